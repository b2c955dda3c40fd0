/**
 * Acceptance tests for the bug corpus (linux-entry-history.md, "Bug corpus"): for each bug, a
 * design that has it, the invariant that must catch it, and the fixed design.
 * - Regression: the corpus's trace violates the invariant on the buggy design, not on the fixed.
 * - Search power, with no bug recipe anywhere in the generator: the run's exploration (depth 2,
 *   then levels where the world gained actions or opened a window), exploring every trace up to length 3 over
 *   the exploration alphabet, then the guided search on fixed seeds within a
 *   bounded budget, finds a violation on the buggy design (a shortest one when exploration finds
 *   it), and the same search finds nothing on the fixed design.
 */
import { describe, expect, it } from 'vitest';
import { discoverInvariants } from '../../src/check/discover.ts';
import { judge } from '../../src/check/evaluate.ts';
import { defaultAlphabet, runExploration } from '../../src/check/explore/alphabet.ts';
import { explore } from '../../src/check/explore/explore.ts';
import { toTraceEvents } from '../../src/check/operands.ts';
import { search } from '../../src/check/search.ts';
import { kernelOf } from '../../src/check/session.ts';
import type { Design } from '../../src/kernel/index.ts';
import type { BugCase } from './design-helpers.ts';

/** Seeds and default runs per seed: the bounded budget (long budgets live in the bench). */
export const SEEDS = [1, 2, 3];
export const RUNS = Number(process.env.ENTRYCHECK_HISTORY_RUNS ?? 400);
/** Exploration depth before the random search. */
export const DEPTH = 3;

const invariants = new Map((await discoverInvariants()).map((d) => [d.invariant.id, d.invariant]));

/** Declares the acceptance tests of one bug. */
export function acceptance(c: BugCase): void {
  const inv = invariants.get(c.invariant);
  const cell = (d: Design) => ({ kernel: kernelOf(d), vendor: c.vendor, paging: c.paging ?? 4 });
  const runs = c.search && 'runs' in c.search ? c.search.runs : RUNS;
  const notYet = c.search && 'notYet' in c.search ? c.search.notYet : null;
  const violates = (d: Design): boolean => inv !== undefined && judge([inv], cell(d), toTraceEvents(c.trace, c.id)).violations.has(inv.id);
  describe(`${c.id}: ${c.title}`, () => {
    it(`regression: its trace violates ${c.invariant} on ${c.buggy.name} and not on ${c.fixed.name}`, () => {
      expect(inv).toBeDefined();
      expect(violates(c.buggy)).toBe(true);
      expect(violates(c.fixed)).toBe(false);
    });
    const name = `search: ${c.invariant} is violated on ${c.buggy.name} (the run's exploration, explore to depth ${DEPTH}, then ${SEEDS.length} x ${runs} guided runs)`;
    if (notYet !== null) {
      it.skip(`${name} [not found by the generic search yet: ${notYet}]`, () => {});
    } else {
      it(name, () => {
        if (!inv) throw new Error(`no invariant ${c.invariant}`);
        // The run's own exploration first (depth 2, then the levels where the world gained actions or opened a window).
        const r = explore({ invariants: [inv], cell: cell(c.buggy), ...runExploration(), depth: 2 });
        if (r.found) {
          expect(r.found.raw.length).toBeLessThanOrEqual(c.trace.length);
          return;
        }
        const x = explore({ invariants: [inv], cell: cell(c.buggy), alphabet: defaultAlphabet(), depth: DEPTH });
        if (x.found) {
          // Breadth first: nothing shorter violates it, so it is no longer than the corpus's trace.
          expect(x.found.raw.length).toBeLessThanOrEqual(c.trace.length);
          return;
        }
        // The shortest of what the seeds find (a seed whose first find has more interrupts than
        // the shrinker can take apart may give a longer trace than another seed's).
        let found;
        for (const seed of SEEDS) {
          const r = search(inv, cell(c.buggy), seed, runs, { exploreDepth: 0 });
          expect(r.error).toBeUndefined();
          if (r.found && (found === undefined || r.found.events.length < found.events.length)) found = r.found;
        }
        expect(found, `no violation of ${c.invariant} on ${c.buggy.name} within depth ${DEPTH} and ${SEEDS.length} x ${runs} runs`).toBeDefined();
        expect(found?.events.length).toBeLessThanOrEqual(c.corpusLength + 2);
      });
    }
    it(`search: ${c.invariant} holds on ${c.fixed.name} for the same exploration and ${SEEDS.length} x ${RUNS} guided runs`, () => {
      if (!inv) return;
      const r = explore({ invariants: [inv], cell: cell(c.fixed), ...runExploration(), depth: 2 });
      expect(r.found?.raw, `unexpected violation on ${c.fixed.name}`).toBeUndefined();
      const x = explore({ invariants: [inv], cell: cell(c.fixed), alphabet: defaultAlphabet(), depth: DEPTH });
      expect(x.found?.raw, `unexpected violation on ${c.fixed.name}`).toBeUndefined();
      for (const seed of SEEDS) {
        const r = search(inv, cell(c.fixed), seed, RUNS, { exploreDepth: 0 });
        expect(r.error).toBeUndefined();
        expect(r.found?.failure.message, `unexpected violation on ${c.fixed.name}: ${JSON.stringify(r.found?.raw)}`).toBeUndefined();
      }
    });
  });
}
