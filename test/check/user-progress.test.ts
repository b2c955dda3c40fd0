/**
 * user-progress and a tracer that moves the task by hand. Found by exploration with four
 * extension levels on linux-6.7 (there at a failed SYSENTER's exit stop, which co-simulation on
 * Intel showed Linux does not make: here a getpid's): the tracer writes a RIP at the end of the
 * user half, single-steps
 * (a SIGSEGV; signal_setup_done reports the step at the handler's first instruction), writes the
 * same RIP again and steps again: a second report at the handler, no user instruction between.
 * That is Linux's behaviour, driven by the tracer, not a trap loop: the write starts the task afresh.
 */
import { describe, expect, it } from 'vitest';
import { discoverInvariants } from '../../src/check/discover.ts';
import { judge } from '../../src/check/evaluate.ts';
import { toTraceEvents } from '../../src/check/operands.ts';
import { kernelOf } from '../../src/check/session.ts';
import type { RawEvent } from '../../src/check/trace-file.ts';
import { findDesign, type Design } from '../../src/kernel/index.ts';

const inv = (await discoverInvariants()).map((d) => d.invariant).filter((i) => i.id === 'user-progress');
const write: RawEvent = { type: 'tracer.setRegs', regs: { rip: '$user_half_end', rcx: '$user_half_end' } };
const TRACE: RawEvent[] = [
  { type: 'tracer.attach', options: { syscalls: true } }, { type: 'user.syscall', nr: 'getpid' }, { type: 'tracer.cont' },
  write, { type: 'tracer.singleStep' }, write, { type: 'tracer.singleStep' },
];

describe('user-progress with a tracer that rewrites RIP', () => {
  it('holds on linux-6.7 (intel): two step reports at the handler, each after a write', () => {
    const j = judge(inv, { kernel: kernelOf(findDesign('linux-6.7') as Design), vendor: 'intel', paging: 4 }, toTraceEvents(TRACE, 'test'));
    const traps = j.run.observations.map((t) => t.o).filter((o) => o.kind === 'trap');
    expect(traps.length, '[FAIL] expected two step reports').toBe(2);
    expect(traps[0]?.rip, '[FAIL] expected both at one RIP').toBe(traps[1]?.rip);
    expect(j.violations.get('user-progress'), '[FAIL] expected no violation').toBeUndefined();
  });

  it('is still violated by B4\'s trap loop, where the tracer only steps (opportunistic-sysret-2015)', () => {
    const b4: RawEvent[] = [
      { type: 'tracer.attach', options: { syscalls: true } }, { type: 'user.syscall', nr: 'getpid' }, { type: 'tracer.cont' },
      { type: 'tracer.singleStep' }, { type: 'user.setReg', reg: 'rcx', value: '0x400116' }, { type: 'tracer.singleStep' },
      { type: 'user.setReg', reg: 'r11', value: '0x302' }, { type: 'tracer.singleStep' },
    ];
    const j = judge(inv, { kernel: kernelOf(findDesign('opportunistic-sysret-2015') as Design), vendor: 'intel', paging: 4 }, toTraceEvents(b4, 'test'));
    expect(j.violations.get('user-progress')?.message ?? '', '[FAIL] expected B4\'s trap loop').toMatch(/two traps|get past/);
  });
});

describe('user-progress when a second signal comes before the handler runs', () => {
  // Found by run --runs 20000 --seed 22 on linux-4.16 intel-4: a stepped 32-bit task gets SIGUSR2
  // (the step is reported at the handler), and SIGUSR2 again before the handler's first
  // instruction (SA_NODEFER, as the test program installs it): a second frame, a second report
  // at the same handler address. Each report belongs to a new frame: no trap loop.
  const trace: RawEvent[] = [
    { type: 'hw.irq', after: 0 }, { type: 'tracer.attach', options: { syscalls: true } }, { type: 'user.sysenter', nr: 'sigaltstack', ebp: '0x2884efc0864c1f77' },
    { type: 'tracer.singleStep' }, { type: 'sched.signal', task: 2, signal: 12 }, { type: 'tracer.singleStep' }, { type: 'sched.signal', task: 2, signal: 12 },
    { type: 'tracer.singleStep' },
  ];
  it('holds on linux-4.16 (intel, 4-level): two deliveries, two reports at the handler', () => {
    const j = judge(inv, { kernel: kernelOf(findDesign('linux-4.16') as Design), vendor: 'intel', paging: 4 }, toTraceEvents(trace, 'test'));
    const delivered = j.run.observations.filter((x) => x.o.kind === 'signal' && x.o.task === 2 && x.o.frame !== undefined).length;
    const traps = j.run.observations.filter((x) => x.o.kind === 'trap' && x.o.task === 2 && x.o.rip === 0x8048e00n).length;
    expect([delivered, traps], '[FAIL] expected two deliveries and two reports at the handler').toEqual([2, 2]);
    expect(j.violations.get('user-progress'), '[FAIL] expected no violation').toBeUndefined();
  });
});
