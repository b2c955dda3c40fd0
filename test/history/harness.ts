/**
 * Acceptance tests for the bug corpus (linux-entry-history.md, "Bug corpus"): for each bug, a
 * design that has it, the invariant that must catch it, and the fixed design.
 * - Regression: the corpus's trace violates the invariant on the buggy design, not on the fixed.
 * - Search power, with no bug recipe anywhere in the generator: the run's exploration (depth 2,
 *   then levels where the world gained actions or opened a window), exploring every trace up to length 3 over
 *   the exploration alphabet, then the guided search on fixed seeds within a
 *   bounded budget, finds a violation on the buggy design (a shortest one when exploration finds
 *   it), and the same search finds nothing on the fixed design.
 * Bugs whose fixed design, vendor and paging are the same share that design's two explorations
 * (fixedSide): each judges every invariant those bugs test there. With none violated, as the
 * tests require, judging more invariants prunes no trace (a fingerprint with more monitor memos
 * only keeps more states apart), so each bug's claim is the one a search of its own would make.
 * The two test files take whole groups (halves), so a group is explored once.
 */
import { describe, expect, it } from 'vitest';
import { discoverInvariants } from '../../src/check/discover.ts';
import { judge } from '../../src/check/evaluate.ts';
import { defaultAlphabet, runExploration } from '../../src/check/explore/alphabet.ts';
import { explore, type ExploreResult } from '../../src/check/explore/explore.ts';
import type { Invariant } from '../../src/check/invariant.ts';
import { toTraceEvents } from '../../src/check/operands.ts';
import { search, type SearchResult } from '../../src/check/search.ts';
import { kernelOf } from '../../src/check/session.ts';
import type { Design } from '../../src/kernel/index.ts';
import { BUGS } from './bugs.ts';
import type { BugCase } from './design-helpers.ts';

/** Seeds and default runs per seed: the bounded budget (long budgets live in the bench). */
export const SEEDS = [1, 2, 3];
export const RUNS = Number(process.env.ENTRYCHECK_HISTORY_RUNS ?? 400);
/** Exploration depth before the random search. */
export const DEPTH = 3;

const invariants = new Map((await discoverInvariants()).map((d) => [d.invariant.id, d.invariant]));

/** The group a bug's fixed side belongs to: its fixed design (by name and knobs), vendor and paging. */
const fixedKey = (c: BugCase): string =>
  `${c.fixed.name} ${JSON.stringify(c.fixed.knobs, (_, v: unknown) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v))} ${c.vendor} ${c.paging ?? 4}`;

/** The cell a bug runs on for design `d`: the bug's vendor and paging. */
const cellOf = (c: BugCase, d: Design) => ({ kernel: kernelOf(d), vendor: c.vendor, paging: c.paging ?? 4 });

/** The bugs of one half of the corpus: whole fixed-side groups, the largest first, each to the half with less work so far. */
export function half(which: 0 | 1): BugCase[] {
  const groups = new Map<string, BugCase[]>();
  for (const b of BUGS) groups.set(fixedKey(b), [...groups.get(fixedKey(b)) ?? [], b]);
  // About what a group costs, in seconds on the two-core machine: its fixed side's explorations,
  // and each bug's own search (the buggy side's guided runs cost most when exploration misses).
  const runsOf = (b: BugCase): number => (b.search && 'runs' in b.search ? b.search.runs : RUNS);
  const cost = (g: readonly BugCase[]): number => 20 + g.reduce((t, b) => t + 2 + runsOf(b) / 100, 0);
  const load = [0, 0];
  const out: BugCase[][] = [[], []];
  for (const g of [...groups.values()].sort((x, y) => cost(y) - cost(x))) {
    const h = (load[0] as number) <= (load[1] as number) ? 0 : 1;
    load[h] = (load[h] as number) + cost(g);
    (out[h] as BugCase[]).push(...g);
  }
  return out[which] as BugCase[];
}

const explored = new Map<string, { run: ExploreResult; deep: ExploreResult }>();
const searched = new Map<string, SearchResult>();

/** The fixed design's explorations (run's, then depth DEPTH over the default alphabet), shared by its group. */
function fixedSide(c: BugCase): { run: ExploreResult; deep: ExploreResult } {
  const key = fixedKey(c);
  let hit = explored.get(key);
  if (hit === undefined) {
    const invs = [...new Set(BUGS.filter((b) => fixedKey(b) === key).map((b) => b.invariant))].flatMap((id) => invariants.get(id) ?? []);
    const cell = cellOf(c, c.fixed);
    hit = {
      run: explore({ invariants: invs, cell, ...runExploration(), depth: 2, all: true }),
      deep: explore({ invariants: invs, cell, alphabet: defaultAlphabet(), depth: DEPTH, all: true }),
    };
    explored.set(key, hit);
  }
  return hit;
}

/** The guided search of the fixed design for one invariant and seed (bugs of a group that test the same invariant share it). */
function fixedSearch(c: BugCase, inv: Invariant, seed: number): SearchResult {
  const key = `${fixedKey(c)} ${inv.id} ${seed}`;
  let hit = searched.get(key);
  if (hit === undefined) searched.set(key, hit = search(inv, cellOf(c, c.fixed), seed, RUNS, { exploreDepth: 0 }));
  return hit;
}

/** Declares the acceptance tests of one bug. */
export function acceptance(c: BugCase): void {
  const inv = invariants.get(c.invariant);
  const cell = (d: Design) => cellOf(c, d);
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
        // the shrinker can take apart may give a longer trace than another seed's). A find within
        // the bound ends the loop: the shortest is then within it too.
        let found;
        for (const seed of SEEDS) {
          const r = search(inv, cell(c.buggy), seed, runs, { exploreDepth: 0 });
          expect(r.error).toBeUndefined();
          if (r.found && (found === undefined || r.found.events.length < found.events.length)) found = r.found;
          if (found !== undefined && found.events.length <= c.corpusLength + 2) break;
        }
        expect(found, `no violation of ${c.invariant} on ${c.buggy.name} within depth ${DEPTH} and ${SEEDS.length} x ${runs} runs`).toBeDefined();
        expect(found?.events.length).toBeLessThanOrEqual(c.corpusLength + 2);
      });
    }
    it(`search: ${c.invariant} holds on ${c.fixed.name} for the same exploration and ${SEEDS.length} x ${RUNS} guided runs`, () => {
      if (!inv) return;
      const { run, deep } = fixedSide(c);
      // Any invariant of the group violated would prune the others' traces: none may be.
      expect([...run.foundAll.values()].map((f) => [f.invariant, f.raw]), `unexpected violation on ${c.fixed.name}`).toEqual([]);
      expect([...deep.foundAll.values()].map((f) => [f.invariant, f.raw]), `unexpected violation on ${c.fixed.name}`).toEqual([]);
      expect(run.errors.size + deep.errors.size).toBe(0);
      for (const seed of SEEDS) {
        const r = fixedSearch(c, inv, seed);
        expect(r.error).toBeUndefined();
        expect(r.found?.failure.message, `unexpected violation on ${c.fixed.name}: ${JSON.stringify(r.found?.raw)}`).toBeUndefined();
      }
    });
  });
}
