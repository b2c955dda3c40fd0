/**
 * 64-bit SYSCALL entry (entry_SYSCALL_64) and do_syscall_64.
 *
 * Hardware (x86-semantics 4.1): SYSCALL saved RIP in RCX and RFLAGS in R11, loaded CS/SS and
 * masked RFLAGS with FMASK, but switched neither RSP nor GS: the first instructions run on the
 * user's stack with the user's GS base, and must not be interruptible by anything that trusts
 * either (IF is masked; NMI, #DB, #MC use IST).
 * Kernel guarantees: SWAPGS before any per-CPU access; the user RSP parked in the per-CPU scratch
 * slot is consumed before anything can preempt (linux-entry-history 6.3); pt_regs is complete
 * before C code reads it; the syscall returns by SYSRET only if the final pt_regs is one SYSRET
 * can reproduce (section 1), otherwise by IRET.
 */
import { USER_CS, USER_DS } from '../isa/index.ts';
import { TIF, type MachineState } from '../model/index.ts';
import { knobOf } from './design.ts';
import { ENOSYS, GPR_PUSH_ORDER, push, stiStep, swapgsStep, sysEntries, type Ctx } from './ctx.ts';
import { act, call, cur, jump, note, setPercpu, setRegs, tif, writePt } from './ops.ts';
import { label, step, type Item, type Program } from './program.ts';
import { stackTop } from './layout.ts';
import { syscallName } from './syscall-table.ts';

/** The per-CPU top of the current task's stack (cpu_current_top_of_stack). */
export const topOfStack = (m: MachineState): bigint => stackTop(m.k.current);

/** entry_SYSCALL_64 through the dispatch of the system call. */
export function syscall64(c: Ctx): Program[] {
  const { d, T } = c;
  const sysEntry = sysEntries(T);
  const sti = (why: string): Item[] => [stiStep(`ENABLE_INTERRUPTS (${why})`)];
  const items: Item[] = [
    swapgsStep('swapgs'),
    step('movq %rsp, %gs:rsp_scratch', (w) => setPercpu(w, { rspScratch: w.cpu.regs.rsp }), { percpu: true }),
    step('movq %gs:cpu_current_top_of_stack, %rsp', (w) => setRegs(w, { rsp: topOfStack(w) }), { percpu: true }),
    ...(d.syscallIrqEnable === 'asm-before-scratch' ? sti('before the user RSP is pushed: old_rsp era') : []),
    push('ss', () => BigInt(USER_DS), { what: '$__USER_DS ' }),
    push('rsp', (w) => w.k.percpu.rspScratch, { percpu: true, what: '%gs:rsp_scratch ' }),
    label('entry_SYSCALL_64.scratch_consumed'),
    ...(d.syscallIrqEnable === 'asm-after-scratch' ? sti('after rsp_scratch is consumed: v4.1') : []),
    push('rflags', (w) => w.cpu.regs.r11, { what: '%r11 ' }),
    push('cs', () => BigInt(USER_CS), { what: '$__USER_CS ' }),
    push('rip', (w) => w.cpu.regs.rcx, { what: '%rcx ' }),
    push('orig_rax', (w) => w.cpu.regs.rax, { what: '%rax ' }),
    ...GPR_PUSH_ORDER.map((r) => push(r, (w) => (r === 'rax' ? ENOSYS : w.cpu.regs[r]), { what: r === 'rax' ? '$-ENOSYS ' : `%${r} ` })),
    label('entry_SYSCALL_64.regs_saved'),
    step('note: pt_regs at task_pt_regs, GS swapped', (w) => note(w, { userRegs: true, swapgs: true })),
    ...(d.fastSyscallFlag !== 'off' ? [step('set TS_FASTSYSCALL', (w) => tif(w, TIF.FASTSYSCALL))] : []),
    label('do_syscall_64'),
    ...(d.syscallIrqEnable === 'c-after-entry-work' ? [
      step('enter_from_user_mode (context tracking, lockdep)', () => {}),
      ...sti('local_irq_enable in do_syscall_64'),
    ] : []),
    step('syscall_trace_enter', (w, x) => {
      const t = cur(w);
      // PTRACE_SINGLESTEP clears SYSCALL_TRACE (kernel/ptrace.c ptrace_resume): a task being
      // single-stepped makes no syscall stops, whatever the tracer attached with.
      if (t.ptrace.attached && t.ptrace.syscalls && !t.ptrace.stepping) {
        note(w, { slow: true });
        call(w, T.addr('ptrace_stop.syscall-entry'), x.next);
      }
    }),
    step('dispatch: regs->ax = sys_call_table[orig_ax](regs)', (w, x) => {
      // Since v5.14 the entry passes EAX sign-extended ("movslq %eax, %rsi", entry_64.S, v6.6
      // line 116) to do_syscall_64(regs, int nr): RAX bits 63:32 are ignored, also for an orig_ax
      // a tracer wrote (selftests/x86/syscall_numbering.c at 15c82d98a0f7: "The MSB is ... ignored").
      const orig = cur(w).regs.orig_rax;
      const name = syscallName(knobOf(d, 'syscallNrInt') ? BigInt.asIntN(32, orig) : orig, false);
      if (name === undefined) { note(w, { nr: 'unknown', ret: ENOSYS }); return; }
      note(w, { nr: name });
      call(w, sysEntry(name), x.next);
    }),
    step('regs->ax = return value', (w) => writePt(w, { rax: act(w)?.notes.ret ?? ENOSYS })),
    step('jmp syscall_exit_to_user_mode', (w) => jump(w, T.addr('syscall_exit_to_user_mode'))),
  ];
  return [{ name: 'entry_SYSCALL_64', items }];
}
