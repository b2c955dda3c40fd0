/**
 * Acceptance tests for the bug corpus (linux-entry-history.md, "Bug corpus"): for each bug, a
 * design that has it, the invariant that must catch it, and the fixed design. The checker runs on
 * fixed seeds within a bounded budget and must (a) find the violation, (b) shrink it to a trace no
 * longer than the corpus's, (c) find nothing on the fixed design with the same budget.
 */
import { describe, expect, it } from 'vitest';
import { discoverInvariants } from '../../src/check/discover.ts';
import { search } from '../../src/check/search.ts';
import { kernelOf } from '../../src/check/session.ts';
import type { Design } from '../../src/kernel/index.ts';
import type { BugCase } from './design-helpers.ts';

/** Seeds and runs per seed: the bounded budget (long budgets live in the bench). */
export const SEEDS = [1, 2, 3];
export const RUNS = Number(process.env.ENTRYCHECK_HISTORY_RUNS ?? 400);

const invariants = new Map((await discoverInvariants()).map((d) => [d.invariant.id, d.invariant]));

/** Declares the acceptance tests of one bug. */
export function acceptance(c: BugCase): void {
  const inv = invariants.get(c.invariant);
  const cell = (d: Design) => ({ kernel: kernelOf(d), vendor: c.vendor, paging: c.paging ?? 4 });
  describe(`${c.id}: ${c.title}`, () => {
    it(`${c.invariant} is violated on ${c.buggy.name} with a minimal trace of at most ${c.corpusLength} events`, () => {
      expect(inv).toBeDefined();
      if (!inv) return;
      let found;
      for (const seed of SEEDS) {
        const r = search(inv, cell(c.buggy), seed, RUNS);
        expect(r.error).toBeUndefined();
        if (r.found) { found = r.found; break; }
      }
      expect(found, `no violation of ${c.invariant} on ${c.buggy.name} within ${SEEDS.length} x ${RUNS} runs`).toBeDefined();
      expect(found?.events.length).toBeLessThanOrEqual(c.corpusLength);
    });
    it(`${c.invariant} holds on ${c.fixed.name} for the same budget`, () => {
      if (!inv) return;
      for (const seed of SEEDS) {
        const r = search(inv, cell(c.fixed), seed, RUNS);
        expect(r.error).toBeUndefined();
        expect(r.found?.failure.message, `unexpected violation on ${c.fixed.name}: ${JSON.stringify(r.found?.raw)}`).toBeUndefined();
      }
    });
  });
}
