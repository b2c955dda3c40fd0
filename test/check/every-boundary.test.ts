/**
 * Exploration with interrupts at every boundary (`explore --every-boundary`): each trace is also
 * extended by an IRQ and an NMI at each boundary of its kernel run where the CPU takes one at once
 * (explore/boundaries.ts). Its state counts against a brute-force enumeration of those traces
 * (each replayed from scratch, no pruning), the same result on one lane or three, and a race
 * deeper than the alphabet's interrupt window that only these letters reach at that depth.
 */
import { describe, expect, it } from 'vitest';
import { discoverInvariants } from '../../src/check/discover.ts';
import { judge } from '../../src/check/evaluate.ts';
import { boundaryInterrupts } from '../../src/check/explore/boundaries.ts';
import { traceFingerprint } from '../../src/check/explore/explore.ts';
import { exploreParallel, localLane } from '../../src/check/explore/parallel.ts';
import { toTraceEvents } from '../../src/check/operands.ts';
import { kernelOf } from '../../src/check/session.ts';
import type { RawEvent } from '../../src/check/trace-file.ts';
import { findDesign, type Design } from '../../src/kernel/index.ts';

const invariants = (await discoverInvariants()).map((d) => d.invariant).filter((i) => i.sanity !== true);
const cellOf = (name: string) => ({ kernel: kernelOf(findDesign(name) as Design), vendor: 'intel' as const, paging: 4 as const });
const SMALL: RawEvent[] = [
  { type: 'user.nop' }, { type: 'user.syscall', nr: 'getpid' }, { type: 'user.syscall', nr: 'sched_yield' },
  { type: 'hw.irq', after: 0 }, { type: 'hw.nmi', after: 0 },
];

/** Every trace up to length k, each extended by the alphabet and its own boundary interrupts, judged from scratch. */
function bruteForce(name: string, k: number): { states: number; traces: number } {
  const cell = cellOf(name);
  const root = judge(invariants, cell, [], { boundaries: true });
  const seen = new Set([traceFingerprint(root, 0)]);
  let traces = 0;
  let level: Array<{ raw: RawEvent[]; letters: RawEvent[] }> = [{ raw: [], letters: [...SMALL, ...boundaryInterrupts(root, 0, SMALL)] }];
  for (let depth = 1; depth <= k; depth++) {
    const next: typeof level = [];
    for (const { raw: prefix, letters } of level) {
      for (const a of letters) {
        const raw = [...prefix, a];
        const j = judge(invariants, cell, toTraceEvents(raw, 'test'), { boundaries: true });
        traces++;
        expect(j.violations.size, JSON.stringify(raw)).toBe(0);
        seen.add(traceFingerprint(j, raw.length));
        next.push({ raw, letters: [...SMALL, ...boundaryInterrupts(j, raw.length, SMALL)] });
      }
    }
    level = next;
  }
  return { states: seen.size, traces };
}

describe('explore with interrupts at every boundary', () => {
  for (const k of [1, 2, 3]) {
    it(`finds as many distinct states as a brute-force enumeration up to length ${k} (linux-6.7)`, async () => {
      const cell = cellOf('linux-6.7');
      const r = await exploreParallel({ invariants, alphabet: SMALL, depth: k, lanes: [localLane(invariants, cell, SMALL, true)] });
      const b = bruteForce('linux-6.7', k);
      expect(r.found).toBeNull();
      expect(r.states).toBe(b.states);
      // From depth 2 on, a system call's kernel run adds IRQs in its body and NMIs at every
      // boundary; at depth 3 pruning judged fewer traces than the enumeration.
      if (k === 2) expect(b.traces).toBeGreaterThan(SMALL.length + SMALL.length ** 2);
      if (k === 3) expect(r.traces).toBeLessThan(b.traces);
    });
  }

  it('gives the same result on one lane and on three', async () => {
    const cell = cellOf('linux-6.7');
    const run = (n: number) => exploreParallel({ invariants, alphabet: SMALL, depth: 3, lanes: Array.from({ length: n }, () => localLane(invariants, cell, SMALL, true)) });
    const [one, three] = [await run(1), await run(3)];
    expect([three.states, three.traces, three.found]).toEqual([one.states, one.traces, one.found]);
  });

  it('reaches an IRQ deep in a SYSCALL entry that leaves interrupts on (irqs-on-syscall-entry), where the window alone finds nothing', async () => {
    // An IRQ five micro-steps into the entry (past the window the IRQ entry rewinds) preempts a
    // half-built pt_regs; the other task's IRQ then lands on the same IST stack (docs/designs.md).
    // Not a recipe: the letters are the boundaries of the SYSCALL's own kernel run, for any design.
    const A: RawEvent[] = [{ type: 'user.syscall', nr: 'getpid' }, { type: 'user.sysenter', nr: 'getpid' }, { type: 'hw.irq', after: 0 }, { type: 'hw.irq', after: 1 }];
    const pt = invariants.filter((i) => i.id === 'pt-regs-coherence');
    const run = (name: string, every: boolean) => exploreParallel({ invariants: pt, alphabet: A, depth: 3, lanes: [localLane(pt, cellOf(name), A, every)] });
    const found = (await run('irqs-on-syscall-entry', true)).found;
    expect(found?.raw).toEqual([A[0], { type: 'hw.irq', after: 5 }, { type: 'hw.irq', after: 19 }]);
    expect((await run('irqs-on-syscall-entry', false)).found).toBeNull();
    expect((await run('linux-6.7', true)).found).toBeNull();
  });
});
