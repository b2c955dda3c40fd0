import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { shrink, simplerEvents } from '../../src/check/shrink.ts';
import { evaluate } from '../../src/check/evaluate.ts';
import { toTraceEvents } from '../../src/check/operands.ts';
import { kernelOf, designByName } from '../../src/check/session.ts';
import type { RawEvent } from '../../src/check/trace-file.ts';
import userProgress from '../../properties/exit/user-progress.ts';
import exitWork from '../../properties/exit/exit-work.ts';
import { judge } from '../../src/check/evaluate.ts';
import { handlerSpan } from '../../src/check/handler-span.ts';
import { initialState, variant } from '../../src/kernel/index.ts';
import { replay } from '../../src/model/index.ts';

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

describe('shrink: an interrupt that only delays another', () => {
  // Found by the search on linux-6.7 with the exit-work flags read with IRQs on (B21): the NMI
  // only delays the IRQ that lands after the flags check; dropped, that IRQ comes 20 boundaries
  // earlier (its handler's span, withoutHwShifted), and the trace still violates exit-work.
  const K = kernelOf(variant(designByName('linux-6.7'), 'b21', { exitWork: 'check-irqs-on' }));
  const cell = { kernel: K, vendor: 'intel' as const, paging: 4 as const };
  const start = initialState(K, 'intel', 4);
  const found: RawEvent[] = [irq(0), { type: 'user.int80', nr: 'getpid' }, { type: 'hw.nmi', after: 7 }, irq(48), irq(0), nop, irq(0)];
  const fails = (t: RawEvent[]): boolean => judge([exitWork], cell, toTraceEvents(t, 'test')).violations.size > 0;
  const clocks = (t: readonly RawEvent[]) => replay(start, toTraceEvents(t, 'test'), K, { forks: false, drain: false }).states.map((s) => s.clock);
  const span = (t: readonly RawEvent[], i: number) => handlerSpan(start, K, toTraceEvents(t, 'test'), i);

  it('measures the NMI handler and drops the NMI, moving the IRQ', () => {
    expect(fails(found)).toBe(true);
    expect(span(found, 2), '[FAIL] expected the NMI handler\'s span in micro-steps').toBeGreaterThan(10);
    const r = shrink(found, fails, 4000, clocks, span);
    expect(r.trace.some((e) => e.type === 'hw.nmi'), `[FAIL] expected the NMI gone, got ${JSON.stringify(r.trace)}`).toBe(false);
    expect(r.trace.length).toBeLessThan(found.length);
    // Without the handler spans the NMI stays (nothing else lands the IRQ where it must).
    expect(shrink(found, fails, 4000, clocks).trace.some((e) => e.type === 'hw.nmi')).toBe(true);
  });
});
