/**
 * A restarted system call re-executes the same call: when a system call returns to user mode with
 * RAX put back to its number at an address other than its normal return point (regs->ip -= 2),
 * the instruction there is a system-call instruction (SYSCALL or INT $0x80; SYSENTER cannot be
 * restarted, it loses RIP and RSP) and the argument registers are those of the original call.
 * The return that enters a signal handler is no restart: the handler's RAX is 0 (64-bit) or the
 * signal number (ia32), set by setup_rt_frame (arch/x86/kernel/signal_64.c), whatever the call.
 */
import { defineInvariant, ripWrittenByTracer } from '../../src/index.ts';

const ARGS64 = ['rdi', 'rsi', 'rdx', 'r10', 'r8', 'r9'];
const ARGS32 = ['rbx', 'rcx', 'rdx', 'rsi', 'rdi'];

export default defineInvariant({
  id: 'syscall-restart',
  kind: 'step',
  summary: 'a restarted syscall re-executes the same call: IP points at a syscall instruction with the original arguments',
  source: 'linux-entry-history 2.3 (landing pad: "regs->ip -= 2 lands back on an int $0x80"), selftest ptrace_syscall.c',
  // The instruction user code last executed at each address; per task, the frame of a signal
  // just delivered to a handler (the return to user that follows enters the handler).
  // `moved`: tasks whose RIP a tracer wrote while they were stopped (their next return goes where
  // the tracer said, so a result that equals the call's number is no sign of a restart there).
  init: () => ({ code: new Map<bigint, string>(), frames: new Map<number, bigint>(), moved: new Set<number>() }),
  check(t, ctx, { code, frames, moved }) {
    for (const id of ripWrittenByTracer(t)) moved.add(id);
    // What user code has at `rip`: the last instruction executed there before this point (a
    // trace may run another one there after the return, as code rewritten), else the first one
    // this step runs there, else the vDSO's own `int $0x80` before the landing pad.
    const name = (insn: string): string => (insn === 'int80' ? 'user.int80' : `user.${insn}`);
    const ahead = new Map<bigint, string>();
    for (const o of t.observations) if (o.kind === 'user-insn' && !ahead.has(o.rip)) ahead.set(o.rip, name(o.insn));
    const codeAt = (rip: bigint): string | undefined => code.get(rip) ?? ahead.get(rip) ?? (rip === ctx.kernel.vdso.int80 ? 'user.int80' : undefined);
    for (const o of t.observations) {
      if (o.kind === 'user-insn') code.set(o.rip, name(o.insn));
      if (o.kind === 'signal' && o.frame !== undefined) frames.set(o.task, o.frame);
      if (o.kind !== 'return-to-user') continue;
      // The handler entry the delivery set up runs on its frame (regs->sp = frame).
      const handler = frames.get(o.task) === o.rsp;
      frames.delete(o.task);
      if (moved.delete(o.task)) continue;
      if (handler || !o.act?.args || o.act.insn === undefined) continue;
      const nr = o.act.args.rax;
      const compat = !o.view.cs.l;
      const mask = compat ? 0xffff_ffffn : (1n << 64n) - 1n;
      // A restart puts orig_ax back into ax and keeps orig_ax (rt_sigreturn sets it to -1). A
      // return to the normal return point (after the instruction, or the vDSO's landing pad for a
      // call through __kernel_vsyscall) is no restart, even when the result equals the number.
      const normal = o.rip === o.act.insn + 2n || o.rip === ctx.kernel.vdso.landingPad;
      if (nr === undefined || (o.pt.rax ?? -1n) !== nr || (o.pt.orig_rax ?? -1n) !== nr || normal) continue;
      // A restart point inside the rseq critical section is moved to its abort handler by the
      // same exit (rseq_ip_fixup after arch_do_signal_or_restart, kernel/entry/common.c): the
      // abort handler runs instead, as rseq(2) promises. A system call there is the user's
      // mistake (CONFIG_DEBUG_RSEQ kills the task for it), not the kernel's.
      const { rseq } = ctx.kernel;
      if (o.rip === rseq.abort && o.act.insn >= rseq.start && o.act.insn < rseq.end) continue;
      // At the call's own address, the call's own instruction: another task sharing the memory
      // (a CLONE_VM child) may have run something else there since, which is the user's rewrite.
      const byIntr = o.act.cause === 'idt' && o.act.vector === 0x80;
      const own = o.rip === o.act.insn && (byIntr || o.act.cause === 'syscall64' || o.act.cause === 'syscall32');
      const there = own ? (byIntr ? 'user.int80' : 'user.syscall') : codeAt(o.rip);
      if (there === undefined && o.rip !== o.act.insn) continue; // not a restart: a normal return elsewhere
      if (there !== 'user.syscall' && there !== 'user.int80') {
        return `expected a restarted syscall of task ${o.task} to resume at a SYSCALL or INT $0x80 instruction, got ${there ?? 'no instruction'} at 0x${o.rip.toString(16)}`;
      }
      for (const r of compat ? ARGS32 : ARGS64) {
        const was = (o.act.args[r] ?? 0n) & mask;
        const now = (o.pt[r] ?? 0n) & mask;
        if (was !== now) return `expected restarted syscall argument ${r} = 0x${was.toString(16)}, got 0x${now.toString(16)}`;
      }
    }
    return true;
  },
});
