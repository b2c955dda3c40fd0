import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { shrink, simplerEvents } from '../../src/check/shrink.ts';
import { evaluate } from '../../src/check/evaluate.ts';
import { toTraceEvents } from '../../src/check/operands.ts';
import { kernelOf, designByName } from '../../src/check/session.ts';
import type { RawEvent } from '../../src/check/trace-file.ts';
import userProgress from '../../properties/exit/user-progress.ts';

const nop: RawEvent = { type: 'user.nop' };
const irq = (after: number): RawEvent => ({ type: 'hw.irq', after });

describe('shrink', () => {
  // A synthetic predicate: the trace "fails" when it holds two NMIs and a getpid, in any order.
  const fails = (t: RawEvent[]): boolean =>
    t.filter((e) => e.type === 'hw.nmi').length >= 2 && t.some((e) => e.type === 'user.syscall' && e.nr === 'getpid');

  test.prop([fc.array(fc.constantFrom<RawEvent>(nop, irq(3), { type: 'hw.nmi', after: 7 }, { type: 'user.syscall', nr: 'getpid' }), { maxLength: 20 })])(
    'the result is 1-minimal: deleting any single event makes the predicate pass', (trace) => {
      fc.pre(fails(trace));
      const { trace: small } = shrink(trace, fails);
      expect(fails(small)).toBe(true);
      for (let i = 0; i < small.length; i++) expect(fails([...small.slice(0, i), ...small.slice(i + 1)])).toBe(false);
    });

  it('moves `after` toward 0 once events are deleted', () => {
    const f = (t: RawEvent[]): boolean => t.some((e) => e.type === 'hw.nmi');
    expect(shrink([nop, { type: 'hw.nmi', after: 40 }, nop], f).trace).toEqual([{ type: 'hw.nmi', after: 0 }]);
  });

  it('simplifies values toward benign ones', () => {
    expect(simplerEvents({ type: 'user.setReg', reg: 'rcx', value: '0x800000000000' })).toContainEqual({ type: 'user.setReg', reg: 'rcx', value: '0x0' });
    expect(simplerEvents({ type: 'tracer.setRegs', regs: { rip: '0x1', cs: '0x3' } })).toContainEqual({ type: 'tracer.setRegs', regs: { cs: '0x3' } });
  });

  it('shrinks a real violation (the opportunistic-SYSRET TF loop) to a 1-minimal trace', () => {
    const cell = { kernel: kernelOf(designByName('opportunistic-sysret-2015')), vendor: 'intel' as const, paging: 4 as const };
    const failsReal = (t: RawEvent[]): boolean => evaluate(userProgress, cell, toTraceEvents(t, 'test')).violation !== null;
    // A debugger single-steps "movq $stuck_here, %rcx; pushfq; popq %r11; stuck_here:" (B4), with noise.
    const start: RawEvent[] = [nop, irq(40), { type: 'tracer.attach', options: { syscalls: true } }, { type: 'user.syscall', nr: 'getpid' },
      { type: 'tracer.cont' }, nop, { type: 'tracer.singleStep' }, { type: 'user.setReg', reg: 'rcx', value: '$next+10' },
      { type: 'tracer.singleStep' }, { type: 'user.setReg', reg: 'r11', value: '0x302' }, { type: 'tracer.singleStep' }, { type: 'tracer.singleStep' }];
    expect(failsReal(start)).toBe(true);
    const { trace } = shrink(start, failsReal);
    for (let i = 0; i < trace.length; i++) expect(failsReal([...trace.slice(0, i), ...trace.slice(i + 1)])).toBe(false);
    expect(trace.length).toBeLessThanOrEqual(10);
  });
});
