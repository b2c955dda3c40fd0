/**
 * The work of a run: groups (design x vendor x paging), each split into chunks of random traces
 * with their own seeds. A unit replays each of its traces once and judges every selected
 * invariant on it, so a group's cells (one per invariant) share their traces. Shards take every
 * unit whose index is I-1 modulo N: the union of all shards is exactly the unsharded run.
 */
import { createHash } from 'node:crypto';
import { DEFAULT_EXPLORE_DEPTH } from './explore-depth.ts';
import type { CellId } from './expected.ts';

/** Design, vendor and paging mode: what one replay is run on. */
export interface Group {
  readonly design: string;
  readonly vendor: 'intel' | 'amd';
  readonly paging: 4 | 5;
}

/** An invariant a unit judges, and whether it is a reachability claim. */
export interface UnitInvariant {
  readonly id: string;
  readonly sanity: boolean;
}

/** One unit of work: some random traces of one group, judged by every invariant. */
export interface Unit {
  readonly index: number;
  readonly group: Group;
  readonly invariants: readonly UnitInvariant[];
  readonly chunk: number;
  readonly runs: number;
  readonly seed: number;
  /** Length up to which the first chunk of a group judges every trace over the exploration alphabet first. */
  readonly exploreDepth: number;
  /** Folders whose counterexamples of other designs are replayed on this unit's cells first (corpus-replay.ts). */
  readonly corpusDirs: readonly string[];
}

/** What to plan. */
export interface PlanInput {
  readonly invariants: readonly UnitInvariant[];
  readonly designs: readonly string[];
  readonly vendors: ReadonlyArray<'intel' | 'amd'>;
  readonly pagings: ReadonlyArray<4 | 5>;
  readonly runs: number;
  readonly chunkSize: number;
  readonly seed: number;
  readonly shard: { readonly index: number; readonly count: number };
  /** The exhaustive phase's depth (search.ts DEFAULT_EXPLORE_DEPTH when absent). */
  readonly exploreDepth?: number;
  /** Folders of the regression corpus replayed across designs (none when absent). */
  readonly corpusDirs?: readonly string[];
}

/** A 31-bit seed derived from the run seed and the unit's coordinates. */
export function unitSeed(seed: number, g: Group, chunk: number): number {
  const h = createHash('sha256').update(`${seed}/${g.design}/${g.vendor}/${g.paging}/${chunk}`).digest();
  return h.readUInt32BE(0) & 0x7fff_ffff;
}

/** The cell of an invariant in a group. */
export const cellOf = (g: Group, invariant: string): CellId => ({ invariant, design: g.design, vendor: g.vendor, paging: g.paging });

/** Every unit of the run, then this shard's (units whose index is shard.index mod shard.count). */
export function plan(p: PlanInput): Unit[] {
  const units: Unit[] = [];
  const chunks = Math.max(1, Math.ceil(p.runs / p.chunkSize));
  for (const design of p.designs) {
    for (const vendor of p.vendors) {
      for (const paging of p.pagings) {
        const group: Group = { design, vendor, paging };
        for (let chunk = 0; chunk < chunks; chunk++) {
          const runs = Math.min(p.chunkSize, p.runs - chunk * p.chunkSize);
          units.push({ index: units.length, group, invariants: p.invariants, chunk, runs, seed: unitSeed(p.seed, group, chunk), exploreDepth: p.exploreDepth ?? DEFAULT_EXPLORE_DEPTH, corpusDirs: chunk === 0 ? p.corpusDirs ?? [] : [] });
        }
      }
    }
  }
  return units.filter((u) => u.index % p.shard.count === p.shard.index);
}
