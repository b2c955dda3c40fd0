/**
 * A judgement that goes on from a judged prefix (what explore does: replay only the new event)
 * gives what judging the whole trace from the start gives: the same violations at the same step
 * and micro-step, the same monitor memos, the same open SYSRET/IRET comparisons, the same state
 * fingerprint, the same observations and fork points, on random traces split at random points,
 * for the invariants that held on the prefix (the continuation's contract). Most continuations go
 * on from the prefix's settled drain (its kernel path is not run again).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { traceArbitrary } from '../../src/check/arbitrary.ts';
import { defaultAlphabet } from '../../src/check/explore/alphabet.ts';
import { discoverInvariants } from '../../src/check/discover.ts';
import { judge } from '../../src/check/evaluate.ts';
import { traceFingerprint } from '../../src/check/explore/explore.ts';
import { toTraceEvents } from '../../src/check/operands.ts';
import { kernelOf } from '../../src/check/session.ts';
import { findDesign, type Design } from '../../src/kernel/index.ts';

const invariants = (await discoverInvariants()).map((d) => d.invariant);
const d = (name: string): Design => findDesign(name) as Design;

describe('judging from a continuation', () => {
  for (const name of ['linux-3.19', 'opportunistic-sysret-2015', 'ts-fastsyscall', 'irqs-on-syscall-entry']) {
    it(`agrees with judging from the start (${name})`, () => {
      const cell = { kernel: kernelOf(d(name)), vendor: 'intel' as const, paging: 4 as const };
      // Random traces, and traces of exploration-alphabet events (where these designs' flaws show).
      const traces = fc.oneof(traceArbitrary(8), fc.array(fc.constantFrom(...defaultAlphabet()), { minLength: 1, maxLength: 4 }));
      const cases = fc.sample(fc.tuple(traces, fc.integer({ min: 0, max: 4 })), { seed: 11, numRuns: 150 });
      let resumed = 0;
      let settled = 0;
      let violatedAfter = 0;
      for (const [raw, cut] of cases) {
        const k = Math.min(cut, raw.length);
        const first = judge(invariants, cell, toTraceEvents(raw.slice(0, k), 'test'), { continuable: true });
        const held = invariants.filter((inv) => !first.violations.has(inv.id) && !first.errors.has(inv.id));
        const whole = judge(held, cell, toTraceEvents(raw, 'test'));
        expect(first.next, 'a continuation of plain-data memos').not.toBeNull();
        const again = judge(held, cell, toTraceEvents(raw.slice(k), 'test'), { resume: first.next });
        const at = `${JSON.stringify(raw)} cut at ${k}`;
        expect(again.violations, at).toEqual(whole.violations);
        expect(again.errors, at).toEqual(whole.errors);
        expect(again.openForks, at).toBe(whole.openForks);
        expect(again.run.states.length, at).toBe(whole.run.states.length);
        expect(traceFingerprint(again, raw.length), at).toBe(traceFingerprint(whole, raw.length));
        // The run itself: what a continuation from a settled drain skips must not show.
        expect(again.run.observations, at).toEqual(whole.run.observations);
        expect(again.run.obsStart, at).toEqual(whole.run.obsStart);
        // Fork points are recorded only for a differential invariant (the prefix had one).
        const forks = (j: typeof whole) => j.run.forks.map((f) => [f.event, f.via, f.obsIndex, f.returnClock]);
        if (held.some((inv) => inv.kind === 'differential')) expect(forks(again), at).toEqual(forks(whole));
        expect(again.run.final, at).toEqual(whole.run.final);
        if (first.next?.prefix.settled !== undefined && k < raw.length && !raw[k]!.type.startsWith('hw.')) settled++;
        resumed++;
        if (whole.violations.size > 0 || whole.openForks > 0) violatedAfter++;
      }
      expect(resumed).toBe(150);
      expect(settled, 'continuations that went on from a settled drain').toBeGreaterThan(30);
      // The comparison means something only if verdicts and open comparisons come after the cut.
      expect(violatedAfter, 'traces violating an invariant (or with a comparison open) after the cut').toBeGreaterThan(10);
    });
  }
});
