/**
 * user-progress and a tracer that moves the task by hand. Found by exploration with four
 * extension levels on linux-6.7: the tracer writes a RIP at the end of the user half, single-steps
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
  { type: 'tracer.attach', options: { syscalls: true } }, { type: 'user.sysenter', nr: 'getpid' },
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
