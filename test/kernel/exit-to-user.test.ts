/**
 * exit_to_user_mode: the work loop (NEED_RESCHED, SIGPENDING), its final IRQs-off check, and
 * signal delivery / rt_sigreturn. Sources: linux-entry-history 6.2 (E1-E5), bugs B20 and B21.
 */
import { describe, expect, it } from 'vitest';
import { rf } from '../../src/isa/index.ts';
import { SIG_HANDLER, TASK1_RSP, variant } from '../../src/kernel/index.ts';
import { SIG, TIF, type Event } from '../../src/model/index.ts';
import { design, ev, failures, returns, run, signals, stepsOf, task, type Run } from './helpers.ts';

const SIGUSR1 = BigInt(SIG.SIGUSR1);
const killSelf = ev.syscall('kill', [1n, SIGUSR1]);
/**
 * Two signals pending at one exit: task 1 yields to task 2, both signals are sent to it while it
 * waits in the kernel (runnable, so nothing is interrupted), then task 2 yields back.
 */
const twoSignals: Event[] = [ev.syscall('sched_yield'), ev.nop, { type: 'sched.signal', task: 1, signal: SIG.SIGUSR2 },
  { type: 'sched.signal', task: 1, signal: SIG.SIGUSR1 }, ev.int80('sched_yield'), ev.nop];

/** For each return to user: the micro-steps from the last work-flags read up to the return instruction. */
function finalWindows(r: Run): Array<Run['micro'][number][]> {
  const out: Array<Run['micro'][number][]> = [];
  let lastRead = -1;
  r.micro.forEach((m, i) => {
    if (m.step.path === 'exit_to_user_mode' && m.step.name.startsWith('ti_work = READ_ONCE')) lastRead = i;
    if (['sysretq', 'iretq'].includes(m.step.name) && m.step.path.endsWith('_exit') && lastRead >= 0) {
      out.push(r.micro.slice(lastRead, i + 1));
      lastRead = -1;
    }
  });
  return out;
}

describe('the exit-to-user work loop (linux-6.7)', () => {
  // E1: "the last read of the work flags ... happens with IRQs off, and IRQs stay off until SYSRET/IRET".
  it('reads the work flags for the last time with IRQs off, and keeps them off until the return', () => {
    const r = run('linux-6.7', [...twoSignals, ev.syscall('rt_sigreturn'), ev.nop]);
    const windows = finalWindows(r);
    expect(windows.length).toBeGreaterThanOrEqual(2);
    for (const w of windows) {
      for (const m of w) expect(m.before.cpu.rflags & rf.IF, m.where).toBe(0n);
      const read = w[0]!.before;
      expect(task(read, read.k.current).tif & (TIF.NEED_RESCHED | TIF.SIGPENDING | TIF.NOTIFY_RESUME)).toBe(0);
    }
  });

  // E2: loop until no work; a timer tick's NEED_RESCHED on the way out runs schedule().
  it('handles NEED_RESCHED from a timer IRQ in user mode by switching to the runnable task', () => {
    const r = run('linux-6.7', [ev.irq(0), ev.nop]);
    expect(failures(r)).toEqual([]);
    expect(stepsOf(r, 'schedule')[0]).toMatch(/clear_tsk_need_resched; pick_next_task$/);
    expect(r.final.k.current).toBe(2);
    expect(returns(r, 2)).toHaveLength(1);
    expect(task(r.final, 1).tif & TIF.NEED_RESCHED).toBe(0);
  });

  // E2 + B20: with two signals pending, both frames are set up before the return, the last one
  // queued (SIGUSR2) on top, so its handler runs first.
  it('delivers every pending signal before returning', () => {
    const r = run('linux-6.7', twoSignals);
    expect(signals(r).map((s) => s.signal)).toEqual([SIG.SIGUSR1, SIG.SIGUSR2]);
    const rets = returns(r);
    expect(rets).toHaveLength(1);
    expect(rets[0]?.view.regs.rdi).toBe(BigInt(SIG.SIGUSR2));
    expect(task(r.final, 1).tif & TIF.SIGPENDING).toBe(0);
  });

  // B20 (2.6.2x): after do_notify_resume only _TIF_NEED_RESCHED was re-checked.
  it('with the 2.6.2x re-check of NEED_RESCHED only, the second signal is left pending at the return', () => {
    const old = variant(design('linux-6.7'), 'recheck-need-resched-only', { exitWork: 'recheck-need-resched-only' });
    const r = run(old, twoSignals.slice(0, -1));
    expect(signals(r).map((s) => s.signal)).toEqual([SIG.SIGUSR1]);
    expect(task(r.final, 1).mode).toBe('user');
    expect(task(r.final, 1).tif & TIF.SIGPENDING).toBe(TIF.SIGPENDING);
  });

  // B21: flags read with IRQs on; a tick between the read and the cli is lost (non-preemptible
  // kernel, so irqentry_exit does not schedule).
  it('with the flags read while IRQs are on, some tick position returns to user with NEED_RESCHED set', () => {
    const leaks = (d: ReturnType<typeof design>): number[] => {
      const found: number[] = [];
      for (let k = 0; k < 60; k++) {
        const r = run(d, [ev.irq(k), ev.syscall('getpid'), ev.nop]);
        const back = r.micro.find((m) => m.step.name === 'sysretq' || m.step.name === 'iretq');
        if (back && task(back.after, 1).mode === 'user' && (task(back.after, 1).tif & TIF.NEED_RESCHED) !== 0) found.push(k);
      }
      return found;
    };
    const np = variant(design('linux-6.7'), 'no-preempt', { preemptKernel: false });
    expect(leaks(np)).toEqual([]);
    expect(leaks(variant(np, 'check-irqs-on', { exitWork: 'check-irqs-on' })).length).toBeGreaterThan(0);
  });
});

describe('signal delivery and rt_sigreturn (linux-6.7)', () => {
  // setup_rt_frame: the frame on the user stack holds pt_regs at delivery; RIP = handler, RDI = signo.
  it('writes a signal frame holding the interrupted state and starts the handler', () => {
    const r = run('linux-6.7', [killSelf, ev.nop]);
    expect(signals(r)).toEqual([expect.objectContaining({ signal: SIG.SIGUSR1, rip: 0x400102n, fatal: false })]);
    const [ret] = returns(r);
    expect(ret).toMatchObject({ via: 'iret', rip: SIG_HANDLER });
    expect(ret!.rsp < TASK1_RSP - 128n).toBe(true);
    expect(ret!.rsp % 16n).toBe(8n);
    expect(ret?.view.regs.rdi).toBe(SIGUSR1);
    const frame = task(r.final, 1).sigframes[ret!.rsp.toString(16)];
    expect(frame).toMatchObject({ rip: 0x400102n, rsp: TASK1_RSP, rax: 0n, orig_rax: 62n, rcx: 0x400102n });
  });

  // restore_sigcontext: pt_regs from the frame; the restored state passes the SYSRET checks.
  it('lets rt_sigreturn restore the saved state exactly', () => {
    const r = run('linux-6.7', [killSelf, ev.nop, ev.syscall('rt_sigreturn'), ev.nop]);
    expect(failures(r)).toEqual([]);
    const back = returns(r)[1];
    expect(back).toMatchObject({ via: 'sysret', rip: 0x400102n, rsp: TASK1_RSP });
    expect(back?.view.regs.rax).toBe(0n);
    expect(back?.view.regs.rsi).toBe(SIGUSR1);
  });

  // restore_sigcontext keeps IF and IOPL from the current flags (FIX_EFLAGS) and forces RPL 3.
  it('lets a forged frame change only the flags FIX_EFLAGS allows, and only to RPL 3 selectors', () => {
    const r = run('linux-6.7', [ev.syscall('rt_sigreturn', undefined, { rip: 0x401000n, rflags: 0x3000n | rf.DF, cs: 0x30 }), ev.nop]);
    const [ret] = returns(r);
    expect(ret?.pt.rflags).toBe(0x202n | rf.DF);
    expect(ret?.pt.cs).toBe(0x33n);
  });

  // The default action of an unhandled signal kills the task: it never returns to user mode.
  it('kills the task when the signal has no handler', () => {
    const r = run('linux-6.7', [killSelf, ev.nop], { initial: { handled: [] } });
    expect(signals(r)).toEqual([expect.objectContaining({ signal: SIG.SIGUSR1, fatal: true })]);
    expect(task(r.final, 1).mode).toBe('dead');
    expect(returns(r, 1)).toEqual([]);
    expect(r.final.k.current).toBe(2);
  });

  // get_signal takes the lowest pending signal; signal 31 (SIGSYS) is bit 31 of the mask, the
  // int32 sign bit, and is still signal 31 (the search found it reported as NaN).
  it('delivers signal 31 as signal 31', () => {
    const r = run('linux-6.7', [ev.syscall('sched_yield'), ev.nop, { type: 'sched.signal', task: 1, signal: 31 }, ev.int80('sched_yield'), ev.nop]);
    expect(signals(r).map((s) => s.signal)).toEqual([31]);
  });
});
