/**
 * Search power in time: for each bug of the corpus and each expected violation, the median over
 * seeds of the time to the first violating trace and to shrink it, and the minimal length. A
 * seed that finds nothing within the budget counts as "not found" (Infinity), not dropped: a
 * median of "not found" means most seeds miss it.
 */
import type { Invariant } from '../src/check/invariant.ts';
import { search } from '../src/check/search.ts';
import { kernelOf } from '../src/check/session.ts';
import type { Design } from '../src/kernel/index.ts';
import { median } from './measure.ts';

/** One row of the search section. */
export interface FindRow {
  readonly label: string;
  readonly find: number;
  readonly shrink: number;
  readonly length: number;
  readonly found: number;
  readonly seeds: number;
}

/** Searches `seeds` seeds with at most `runs` traces each. */
export function measureFind(label: string, inv: Invariant, design: Design, vendor: 'intel' | 'amd', paging: 4 | 5, seeds: readonly number[], runs: number): FindRow {
  const find: number[] = [];
  const shrink: number[] = [];
  const len: number[] = [];
  for (const seed of seeds) {
    const r = search(inv, { kernel: kernelOf(design), vendor, paging }, seed, runs);
    find.push(r.found ? r.found.timeToFind : Infinity);
    shrink.push(r.found ? r.found.timeToShrink : Infinity);
    len.push(r.found ? r.found.events.length : Infinity);
  }
  return { label, find: median(find), shrink: median(shrink), length: median(len), found: find.filter(Number.isFinite).length, seeds: seeds.length };
}
