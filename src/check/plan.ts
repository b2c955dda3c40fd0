/**
 * The work of a run: cells (invariant x design x vendor x paging), each split into chunks of
 * random runs with their own seeds, and the deterministic split of that work into shards.
 * The union of all shards' units is exactly the unsharded run's units.
 */
import { createHash } from 'node:crypto';
import type { CellId } from './expected.ts';

/** One unit of work: some random runs of one cell. */
export interface Unit {
  readonly index: number;
  readonly cell: CellId;
  readonly sanity: boolean;
  readonly chunk: number;
  readonly runs: number;
  readonly seed: number;
}

/** What to plan. */
export interface PlanInput {
  readonly invariants: ReadonlyArray<{ id: string; sanity: boolean }>;
  readonly designs: readonly string[];
  readonly vendors: ReadonlyArray<'intel' | 'amd'>;
  readonly pagings: ReadonlyArray<4 | 5>;
  readonly runs: number;
  readonly chunkSize: number;
  readonly seed: number;
  readonly shard: { readonly index: number; readonly count: number };
}

/** A 31-bit seed derived from the run seed and the unit's coordinates. */
export function unitSeed(seed: number, c: CellId, chunk: number): number {
  const h = createHash('sha256').update(`${seed}/${c.invariant}/${c.design}/${c.vendor}/${c.paging}/${chunk}`).digest();
  return h.readUInt32BE(0) & 0x7fff_ffff;
}

/** Every unit of the run, then this shard's (units whose index is shard.index mod shard.count). */
export function plan(p: PlanInput): Unit[] {
  const units: Unit[] = [];
  const chunks = Math.max(1, Math.ceil(p.runs / p.chunkSize));
  for (const inv of p.invariants) {
    for (const design of p.designs) {
      for (const vendor of p.vendors) {
        for (const paging of p.pagings) {
          const cell: CellId = { invariant: inv.id, design, vendor, paging };
          for (let chunk = 0; chunk < chunks; chunk++) {
            const runs = Math.min(p.chunkSize, p.runs - chunk * p.chunkSize);
            units.push({ index: units.length, cell, sanity: inv.sanity, chunk, runs, seed: unitSeed(p.seed, cell, chunk) });
          }
        }
      }
    }
  }
  return units.filter((u) => u.index % p.shard.count === p.shard.index);
}
