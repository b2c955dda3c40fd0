/**
 * Whoever reads a task's pt_regs reads a fully written frame, and the user state after a return
 * to user mode equals pt_regs (whatever legitimate writer put there: the entry, ptrace,
 * sigreturn, signal delivery).
 */
import { defineInvariant, PT_COMPLETE, PT_FIELDS, sameAsPt, type Observation, type Transition } from '../../src/index.ts';

const GPRS = ['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'rsp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15', 'rip'];

/**
 * No signal or ptrace stop of the task between its system call instruction and this return
 * (history index `end`): a walk back over the system call only.
 */
function untouched(history: Transition['history'], end: number, r: Observation & { kind: 'return-to-user' }): boolean {
  for (let i = end - 1; i >= 0; i--) {
    const o = history[i]?.o;
    if (o === undefined) continue;
    if (o.kind === 'user-insn' && o.task === r.task) return o.rip === r.act?.insn;
    if ((o.kind === 'signal' || o.kind === 'ptrace-stop') && o.task === r.task) return false;
  }
  return false;
}

export default defineInvariant({
  id: 'pt-regs-coherence',
  kind: 'step',
  summary: 'pt_regs is complete whenever it is read, and user mode resumes with exactly the state in pt_regs',
  source: 'linux-entry-history 6.1 (task_pt_regs; writers: ptrace putreg, sigreturn), 6.3 (partial frames), S32',
  check(t) {
    for (let j = 0; j < t.observations.length; j++) {
      const o = t.observations[j] as Observation;
      if (o.kind === 'pt-read' && o.written !== PT_COMPLETE) {
        const missing = PT_FIELDS.filter((_, i) => (o.written & (1 << i)) === 0);
        return `expected ${o.reader} to read a complete pt_regs of task ${o.task}, got one without ${missing.join(', ')}`;
      }
      if (o.kind !== 'return-to-user') continue;
      // The frame holds the user state at entry: a system call that nobody else touched (no
      // signal, no ptrace stop, not rt_sigreturn, which sets orig_ax to -1) returns on the RSP
      // it was made with (the per-CPU scratch slot must not leak another task's, B22).
      if (o.act?.args && o.act.rsp !== undefined && o.pt.orig_rax !== (1n << 64n) - 1n && untouched(t.history, t.historyStart + j, o)) {
        // SYSENTER loses RSP: by its ABI the caller's stack pointer is in EBP (vdso32's
        // __kernel_vsyscall moves it there; entry_SYSENTER_compat pushes %rbp as pt_regs->sp).
        const made = o.act.cause === 'sysenter' ? (o.act.args.rbp ?? o.act.rsp) & 0xffff_ffffn : o.act.rsp;
        if (o.view.regs.rsp !== undefined && o.rsp !== made && (o.view.cs.l || (o.rsp & 0xffff_ffffn) !== (made & 0xffff_ffffn))) {
          return `expected task ${o.task} to return from its system call on RSP 0x${made.toString(16)}, got 0x${o.rsp.toString(16)}`;
        }
      }
      const compat = !o.view.cs.l;
      for (const r of GPRS) {
        const seen = o.view.regs[r];
        const want = o.pt[r === 'rip' ? 'rip' : r];
        if (seen === undefined || want === undefined) continue;
        if (!sameAsPt(seen, want, compat)) return `expected task ${o.task} to resume with ${r} = 0x${want.toString(16)} (pt_regs), got 0x${seen.toString(16)} after ${o.via}`;
      }
      if (o.rflags !== o.pt.rflags) return `expected task ${o.task} to resume with rflags = 0x${(o.pt.rflags ?? 0n).toString(16)} (pt_regs), got 0x${o.rflags.toString(16)} after ${o.via}`;
      if (BigInt(o.cs) !== o.pt.cs || BigInt(o.ss) !== o.pt.ss) return `expected cs:ss 0x${(o.pt.cs ?? 0n).toString(16)}:0x${(o.pt.ss ?? 0n).toString(16)} (pt_regs), got 0x${o.cs.toString(16)}:0x${o.ss.toString(16)} after ${o.via}`;
    }
    return true;
  },
});
