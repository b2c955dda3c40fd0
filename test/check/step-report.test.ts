/**
 * step-report (one single-step report per stepped instruction), split from exit-work, and the
 * traces exploration and search reported on cells expected to hold.
 *
 * A single-stepped INT $4 (run --runs 3000, amd-4 of four designs): #OF, SIGSEGV, and one report
 * at the handler, as Linux gives it; it was taken for a stepped instruction with no report. B23
 * (a stepped SYSCALL without its report) is still caught.
 */
import { describe, expect, it } from 'vitest';
import { discoverInvariants } from '../../src/check/discover.ts';
import { judge } from '../../src/check/evaluate.ts';
import { toTraceEvents } from '../../src/check/operands.ts';
import { kernelOf } from '../../src/check/session.ts';
import type { RawEvent } from '../../src/check/trace-file.ts';
import { findDesign, variant, type Design } from '../../src/kernel/index.ts';
import { reference } from '../reference-design.ts';

const inv = (await discoverInvariants()).map((d) => d.invariant).filter((i) => i.id === 'step-report');
const judgeOn = (d: Design, trace: RawEvent[]) => judge(inv, { kernel: kernelOf(d), vendor: 'intel', paging: 4 }, toTraceEvents(trace, 'test'));

describe('step-report with a single-stepped INT $4', () => {
  const stepped = (last: RawEvent): RawEvent[] => [
    { type: 'tracer.attach', options: { syscalls: true } }, { type: 'user.int80', nr: 'getpid' }, { type: 'tracer.cont' }, { type: 'tracer.singleStep' }, last,
  ];
  it('holds: the SIGSEGV of #OF is reported at its handler only', () => {
    for (const name of ['linux-6.7', 'pf-trap-gate']) {
      const j = judgeOn(findDesign(name) as Design, stepped({ type: 'user.int', vector: 4 }));
      const obs = j.run.observations.map((o) => o.o);
      expect(obs.some((o) => o.kind === 'signal' && o.signal === 11), '[FAIL] expected SIGSEGV').toBe(true);
      expect(obs.filter((o) => o.kind === 'trap').map((o) => o.kind === 'trap' && o.rip), '[FAIL] expected one report, at the handler').toEqual([0x400e00n]);
      expect(j.violations.get('step-report'), `[FAIL] expected no violation on ${name}`).toBeUndefined();
    }
  });

  it('is still violated by B23 (no single-step report at syscall exit)', () => {
    const b23 = variant(findDesign('linux-6.7') as Design, 'linux-6.7-no-step-report', { singleStepReport: false });
    const j = judgeOn(b23, [
      { type: 'tracer.attach', options: { syscalls: true } }, { type: 'user.syscall', nr: 'rt_sigreturn', frame: {} }, { type: 'tracer.singleStep' },
      { type: 'user.access', addr: '$user_data', write: false }, { type: 'user.access', addr: '$user_data', write: false },
    ]);
    expect(j.violations.get('step-report')?.message ?? '', '[FAIL] expected a missing report').toMatch(/got 0/);
  });
});

describe('step-report when the tracer stops stepping inside a stepped system call', () => {
  // Found by run --runs 1500 on intel-5 of every design: task 2, single-stepped, makes a fork by
  // the vDSO and stops at the fork event; the tracer detaches (user_disable_single_step), and no
  // report is owed for that instruction any more. It was taken for a missing report.
  const trace: RawEvent[] = [
    { type: 'hw.irq', after: 0 }, { type: 'tracer.attach', options: { syscalls: true, fork: true } }, { type: 'user.int80', nr: 'getpid' },
    { type: 'tracer.cont' }, { type: 'tracer.singleStep' }, { type: 'user.syscall', nr: 'fork' },
    { type: 'user.syscall', nr: 'rt_sigreturn', frame: { cs: '0x23' } }, { type: 'user.int3' }, { type: 'tracer.detach' },
    { type: 'user.syscall', nr: 'getpid' },
  ];
  it('holds on linux-6.7 (intel, 5-level) after a detach at the fork-event stop', () => {
    const j = judge(inv, { kernel: kernelOf(findDesign('linux-6.7') as Design), vendor: 'intel', paging: 5 }, toTraceEvents(trace, 'test'));
    expect(j.run.observations.some((t) => t.o.kind === 'ptrace-stop' && t.o.task === 2), '[FAIL] expected task 2 to stop for the tracer').toBe(true);
    expect(j.violations.get('step-report'), '[FAIL] expected no violation').toBeUndefined();
  });

  it('still counts a second report after the tracer lets go (ts-fastsyscall: the TF SYSRET brings back)', () => {
    const j = judgeOn(findDesign('ts-fastsyscall') as Design, [
      { type: 'tracer.attach', options: { syscalls: true } }, { type: 'user.syscall', nr: 'rt_sigreturn', frame: { rflags: '0x302' } },
      { type: 'tracer.cont' }, { type: 'tracer.singleStep' }, { type: 'user.syscall', nr: 'getpid' }, { type: 'tracer.cont' },
    ]);
    expect(j.violations.get('step-report')?.message ?? '', '[FAIL] expected two reports for one instruction').toMatch(/got 2/);
  });
});

describe('step-report when a machine check outranks a single-step trap', () => {
  // Found by run --runs 20000 --seed 11 on compat-fast-sysret-2015 intel-4 (any design gives
  // it): a stepped POPF completes and a machine check arrives at the same boundary. #MC outranks
  // the previous instruction's debug trap, which the CPU discards (SDM Vol. 3 6.9, Table 6-2),
  // and POPF cleared TF, so no report ever comes: hardware, not the kernel.
  const stepped: RawEvent[] = [
    { type: 'tracer.attach', options: { syscalls: true } }, { type: 'user.syscall', nr: 'getpid' }, { type: 'tracer.cont' },
    { type: 'tracer.singleStep' }, { type: 'user.popf', flags: '0x202' },
  ];
  const next: RawEvent = { type: 'user.setReg', reg: 'rcx', value: '0x0' };
  const traps = (trace: RawEvent[]) => judgeOn(findDesign('linux-6.7') as Design, trace).run.observations.filter((x) => x.o.kind === 'trap').length;

  it('holds on linux-6.7: the discarded trap is no missing report', () => {
    const trace = [...stepped, { type: 'hw.mce', after: 0 } as RawEvent, next];
    expect(traps(trace), '[FAIL] expected the machine check to discard the POPF\'s trap').toBe(0);
    expect(judgeOn(findDesign('linux-6.7') as Design, trace).violations.get('step-report'), '[FAIL] expected no violation').toBeUndefined();
  });

  it('without the machine check, the POPF is reported once', () => {
    expect(traps([...stepped, next])).toBe(1);
    expect(judgeOn(findDesign('linux-6.7') as Design, [...stepped, next]).violations.get('step-report')).toBeUndefined();
  });
});

describe('step-report when a dead task\'s id goes to a fork child', () => {
  // Found by run --runs 20000 --seed 21 on linux-4.16 intel-4: a single-stepped 32-bit task dies
  // of a SIGSEGV (its vDSO stack at 0x2), the other task forks, and the child takes the dead
  // task's slot (task 1). The child's first instruction was taken for the dead task's stepped
  // one, which owed a report. A dead task owes none, and a new task is not the dead one.
  const trace: RawEvent[] = [
    { type: 'tracer.attach', options: { syscalls: true } }, { type: 'user.sysenter', nr: 'sched_yield', ebp: '0x2' },
    { type: 'tracer.singleStep' }, { type: 'user.int', vector: 4, form: 'into' }, { type: 'user.syscall', nr: 'fork' },
    { type: 'hw.irq', after: 35 }, { type: 'user.access', addr: '0x600000', write: false }, { type: 'user.popf', flags: '0x202' },
  ];
  it('holds on linux-4.16 (intel, 4-level): the child is not the stepped task that died', () => {
    const j = judgeOn(findDesign('linux-4.16') as Design, trace);
    const died = j.run.observations.some((x) => x.o.kind === 'signal' && x.o.task === 1 && x.o.fatal);
    const child = j.run.observations.some((x) => x.o.kind === 'return-to-user' && x.o.task === 1 && x.o.via === 'sysretl');
    expect(died && child, '[FAIL] expected task 1 to die and a fork child to run as task 1').toBe(true);
    expect(j.violations.get('step-report'), '[FAIL] expected no violation').toBeUndefined();
  });
});

describe('step-report says a second report when it is made', () => {
  // A stepped SYSCALL whose exit reports the step and then returns by SYSRET with TF set in R11
  // (opportunistic-sysret-2015 has no TF test): the CPU traps again at the same RIP before any
  // instruction runs. The trace ends there; the invariant used to wait for the task's next
  // instruction, so exploration's six-event trace showed nothing and the cell needed ten events.
  const trace: RawEvent[] = [
    { type: 'tracer.attach', options: { syscalls: true } }, { type: 'user.syscall', nr: 'getpid' }, { type: 'tracer.singleStep' },
    { type: 'tracer.singleStep' }, { type: 'user.syscall', nr: 'getpid' }, { type: 'tracer.singleStep' },
  ];
  it('is violated on opportunistic-sysret-2015 by a trace that ends on the second report', () => {
    const j = judgeOn(findDesign('opportunistic-sysret-2015') as Design, trace);
    expect(j.run.observations.at(-1)?.o.kind, '[FAIL] expected the trace to end with task 2 back in user mode').toBe('return-to-user');
    expect(j.violations.get('step-report'), '[FAIL] expected two reports for one instruction').toMatchObject({ step: 6, message: expect.stringMatching(/instruction at 0x400102, got 2$/) });
  });

  it('holds on linux-4.1, whose opportunistic SYSRET tests TF', () => {
    const j = judgeOn(findDesign('linux-4.1') as Design, trace);
    expect(j.run.observations.filter((x) => x.o.kind === 'trap').length, '[FAIL] expected one report per stepped instruction').toBe(2);
    expect(j.violations.get('step-report'), '[FAIL] expected no violation').toBeUndefined();
  });
});

describe('step-report and the lost report of the fast 32-bit -EFAULT return (docs/designs.md)', () => {
  // A stepped SYSENTER from 64-bit code (Intel) whose arg-6 fetch through EBP faults: v4.4 on
  // returns -EFAULT by irqentry_exit_to_user_mode, without syscall_exit_work's report; 3.x's
  // ia32_badarg went through int_ret_from_sys_call, which made it (design knob fastFaultExit).
  const intel: RawEvent[] = [
    { type: 'tracer.attach', options: { syscalls: true } }, { type: 'user.syscall', nr: 'getpid' }, { type: 'tracer.singleStep' },
    { type: 'tracer.singleStep' }, { type: 'user.sysenter', nr: 'getpid', ebp: '0x6ffff8' }, { type: 'user.nop' },
  ];
  // On AMD the 32-bit task's compat SYSCALL with ESP = 0xffffffff does the same.
  const amd: RawEvent[] = [
    { type: 'user.int80', nr: 'sched_yield' }, { type: 'tracer.attach', options: { syscalls: true } }, { type: 'user.setReg', reg: 'rsp', value: '0xffffffff' },
    { type: 'user.int80', nr: 'getpid' }, { type: 'tracer.singleStep' }, { type: 'tracer.singleStep' }, { type: 'user.syscall', nr: 'getpid', raw: true }, { type: 'user.nop' },
  ];
  const on = (d: Design, vendor: 'intel' | 'amd', trace: RawEvent[]) => judge(inv, { kernel: kernelOf(d), vendor, paging: 4 }, toTraceEvents(trace, 'test')).violations.get('step-report');

  it('is violated on linux-6.7 and linux-4.16, on Intel and on AMD', () => {
    for (const name of ['linux-6.7', 'linux-4.16']) {
      expect(on(findDesign(name) as Design, 'intel', intel)?.message ?? '', `[FAIL] ${name} intel: expected a lost report`).toMatch(/instruction at 0x400102, got 0$/);
      expect(on(findDesign(name) as Design, 'amd', amd)?.message ?? '', `[FAIL] ${name} amd: expected a lost report`).toMatch(/task 2's instruction at 0x804810c, got 0$/);
    }
  });

  // The missing report is said at the return to user mode: a trace that ends on the SYSENTER
  // shows it (the default EBP of task 1, a 64-bit process, is its RSP truncated: unmapped).
  it('says the missing report at the return to user mode, in a trace that ends on the SYSENTER', () => {
    const v = on(findDesign('linux-6.7') as Design, 'intel', [...intel.slice(0, 4), { type: 'user.sysenter', nr: 'getpid' }]);
    expect(v?.message ?? '', '[FAIL] expected a lost report').toMatch(/instruction at 0x400102, got 0$/);
  });

  it('holds where that return makes the report: linux-3.19, linux-4.1 (the system call exit), linux-6.7 with the fix (the report alone)', () => {
    for (const d of [findDesign('linux-3.19') as Design, findDesign('linux-4.1') as Design, reference]) {
      expect(on(d, 'intel', intel), `[FAIL] ${d.name} intel: expected no violation`).toBeUndefined();
      expect(on(d, 'amd', amd), `[FAIL] ${d.name} amd: expected no violation`).toBeUndefined();
    }
  });
});
