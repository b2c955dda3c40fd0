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
import { findDesign, variant, type Design, type Knobs } from '../../src/kernel/index.ts';

/** One bug of the corpus. */
export interface BugCase {
  readonly id: string;
  readonly title: string;
  readonly invariant: string;
  readonly buggy: Design;
  readonly fixed: Design;
  readonly vendor: 'intel' | 'amd';
  readonly paging?: 4 | 5;
  /** Length of the corpus's minimal trace (its numbered steps). */
  readonly corpusLength: number;
}

/** Seeds and runs per seed: the bounded budget (long budgets live in the bench). */
export const SEEDS = [1, 2, 3];
export const RUNS = Number(process.env.ENTRYCHECK_HISTORY_RUNS ?? 400);

/** A preset by name (throws on a typo). */
export function preset(name: string): Design {
  const d = findDesign(name);
  if (!d) throw new Error(`no preset ${name}`);
  return d;
}

/** `base` with a fix reverted (or applied), named after the bug. */
export function withKnobs(base: string, name: string, change: Partial<Knobs>): Design {
  return variant(preset(base), name, change);
}

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
