/**
 * Exit to user mode: syscall one-shot work, the work-flags loop, and the choice of the return
 * instruction.
 *
 * Kernel guarantees (linux-entry-history 6.2, E1-E3): one-shot syscall-exit work (ptrace exit
 * report, single-step report) runs exactly once with IRQs on; the last read of the work flags
 * happens with IRQs off, and IRQs stay off until SYSRET/SYSEXIT/IRET; no return with work
 * pending; TS_COMPAT is cleared after signal handling.
 */
import { recordDecision, TIF, type Machine } from '../model/index.ts';
import { cliStep, stiStep, type Ctx } from './ctx.ts';
import { compatFastEligible, sysretEligible } from './exit-choice.ts';
import { act, call, cur, jump, note, patchTask, setScratch, tif } from './ops.ts';
import { label, step, type Item, type Program, type StepSpec } from './program.ts';

/** Flags the exit loop must clear before returning (EXIT_TO_USER_MODE_WORK as modelled). */
export const EXIT_WORK = TIF.NEED_RESCHED | TIF.SIGPENDING | TIF.NOTIFY_RESUME;
const FLAG_CONDITIONS: ReadonlyArray<readonly [string, number]> = [['NEED_RESCHED', TIF.NEED_RESCHED], ['SIGPENDING', TIF.SIGPENDING], ['NOTIFY_RESUME', TIF.NOTIFY_RESUME]];

/** One item of work, highest priority first: a call into its handler (or the flag cleared). */
function doOneWork(c: Ctx, w: Machine, back: bigint, only?: number): void {
  const { T, d } = c;
  const t = cur(w);
  const flags = t.tif & (only ?? EXIT_WORK);
  if (flags === 0) return;
  note(w, { slow: true });
  if (flags & TIF.NEED_RESCHED) { call(w, T.addr('schedule'), back); return; }
  if (flags & TIF.SIGPENDING) { call(w, T.addr('do_signal'), back); return; }
  tif(w, 0, TIF.NOTIFY_RESUME);
  if (d.rseq === 'exit-to-user' && t.rseq) call(w, T.addr('rseq_handle_notify_resume'), back);
}

/** syscall_exit_to_user_mode and exit_to_user_mode. */
export function exitToUser(c: Ctx): Program[] {
  const { T, d } = c;
  const syscallExit: Item[] = [
    // syscall_exit_work: `step = report_single_step(work); if (step || SYSCALL_TRACE)
    // ptrace_report_syscall_exit(regs, step)`: one report, the single-step one or the
    // syscall-exit stop, decided before stopping (kernel/entry/common.c). PTRACE_SINGLESTEP
    // clears SYSCALL_TRACE, and resuming a syscall-exit stop with it reports nothing more here.
    step('syscall_exit_work: ptrace syscall-exit report', (w, x) => {
      const t = cur(w);
      const p = t.ptrace;
      if (!recordDecision(w.rec.decisions, 'exit work: syscall-exit stop', [['traced', p.attached], ['syscall stops', p.syscalls], ['not stepping', !p.stepping]],
        p.attached && p.syscalls && !p.stepping)) return;
      note(w, { slow: true });
      setScratch(w, { exitReported: true });
      call(w, T.addr('ptrace_stop.syscall-exit'), x.next);
    }),
    // Where a fast 32-bit -EFAULT return reports a single step without a syscall stop
    // (fastFaultExit step-report): the call's entry work never ran.
    label('syscall_exit_to_user_mode.step_report'),
    step('syscall_exit_work: single-step report', (w, x) => {
      const t = cur(w);
      if (!d.singleStepReport || (t.tif & TIF.SINGLESTEP) === 0 || !t.ptrace.attached) return;
      if (act(w)?.notes.scratch?.exitReported === true) return;
      note(w, { slow: true });
      call(w, T.addr('ptrace_stop.singlestep'), x.next);
    }),
    step('one-shot exit work done', (w) => note(w, { exitWorkDone: true })),
    cliStep('local_irq_disable_exit_to_user'),
    step('jmp exit_to_user_mode', (w) => jump(w, T.addr('exit_to_user_mode'))),
  ];
  // The work-flags test is a decision: any of the flags it reads set (each one is a condition).
  // The conditions are listed only when a decision log is kept (the arrays are garbage otherwise).
  const read = (why: string, work: string, done: string, mask = EXIT_WORK): StepSpec => {
    const flags = FLAG_CONDITIONS.filter(([, bit]) => (mask & bit) !== 0);
    return step(why, (w) => {
      const f = cur(w).tif;
      const log = w.rec.decisions;
      const busy = (f & mask) !== 0;
      if (log !== null) recordDecision(log, 'exit work: flags test', flags.map(([n, bit]) => [n, (f & bit) !== 0] as const), busy);
      jump(w, T.addr(busy ? work : done));
    });
  };
  let loop: Item[];
  if (d.exitWork === 'loop-irqs-off') {
    loop = [
      label('exit_to_user_mode.check'),
      read('ti_work = READ_ONCE(flags) (IRQs off)', 'exit_to_user_mode.work', 'exit_to_user_mode.done'),
      label('exit_to_user_mode.work'),
      stiStep('local_irq_enable_exit_to_user'),
      step('handle one work item', (w, x) => doOneWork(c, w, x.next)),
      cliStep('local_irq_disable_exit_to_user'),
      step('reevaluate the work flags', (w) => jump(w, T.addr('exit_to_user_mode.check'))),
    ];
  } else if (d.exitWork === 'recheck-need-resched-only') {
    // 2.6.2x: after do_notify_resume only _TIF_NEED_RESCHED is re-checked (S1, bug B20).
    loop = [
      read('test $_TIF_WORK_MASK (IRQs off)', 'exit_to_user_mode.work', 'exit_to_user_mode.done'),
      label('exit_to_user_mode.work'),
      stiStep('ENABLE_INTERRUPTS'),
      step('do_notify_resume: one signal or notify-resume', (w, x) => doOneWork(c, w, x.next, TIF.SIGPENDING | TIF.NOTIFY_RESUME)),
      cliStep('DISABLE_INTERRUPTS'),
      label('exit_to_user_mode.recheck'),
      read('1: movl $_TIF_NEED_RESCHED, %edi', 'exit_to_user_mode.resched', 'exit_to_user_mode.done', TIF.NEED_RESCHED),
      label('exit_to_user_mode.resched'),
      stiStep('ENABLE_INTERRUPTS'),
      step('call schedule', (w, x) => { note(w, { slow: true }); call(w, T.addr('schedule'), x.next); }),
      cliStep('DISABLE_INTERRUPTS'),
      step('jmp 1b', (w) => jump(w, T.addr('exit_to_user_mode.recheck'))),
    ];
  } else {
    // Flags read with IRQs on, then IRQs disabled without a re-read (bug B21).
    loop = [
      stiStep('local_irq_enable'),
      label('exit_to_user_mode.check'),
      read('ti_work = READ_ONCE(flags) (IRQs on)', 'exit_to_user_mode.work', 'exit_to_user_mode.irqoff'),
      label('exit_to_user_mode.work'),
      step('handle one work item', (w, x) => doOneWork(c, w, x.next)),
      step('loop', (w) => jump(w, T.addr('exit_to_user_mode.check'))),
      label('exit_to_user_mode.irqoff'),
      cliStep('local_irq_disable'),
    ];
  }
  const done: Item[] = [
    label('exit_to_user_mode.done'),
    step('clear TS_COMPAT (after signal handling: restart fixup needs it)', (w) => { if (cur(w).tsCompat) patchTask(w, { tsCompat: false }); }),
    step('choose SYSRET/SYSRETL/SYSEXIT or IRET', (w) => jump(w, T.addr(chooseExit(c, w)))),
  ];
  return [
    { name: 'syscall_exit_to_user_mode', items: syscallExit },
    { name: 'exit_to_user_mode', items: [...loop, ...done] },
  ];
}

/** The exit program for the innermost activation of the current task. */
function chooseExit(c: Ctx, m: Machine): string {
  const t = cur(m);
  const a = act(m);
  if (a === undefined) return 'iret_exit';
  if (a.cause === 'sysenter' || a.cause === 'syscall32') {
    if (!compatFastEligible(c, t, a, m.cpu.paging, m.rec.decisions)) return 'iret_exit';
    return a.cause === 'sysenter' && c.d.sysenterReturn === 'sysexit' && m.cpu.vendor === 'intel' ? 'sysexit_exit' : 'sysretl_exit';
  }
  return sysretEligible(c, t, a, m.cpu.paging, m.rec.decisions) ? 'sysret_exit' : 'iret_exit';
}
