/**
 * Exploration on several cores, level by level: the lanes (expander.ts, each on a worker thread
 * or in this thread) judge the extensions of the traces they hold, and this thread merges every
 * outcome in breadth-first order, exactly as explore.ts does: the same distinct states, the same
 * traces counted, the same first violation, whatever the number of lanes (parallel.test.ts). The
 * first levels are judged by every lane, so each holds every trace there and the next level can be
 * shared out trace by trace; below that a trace's extensions stay with the lane that holds it.
 * One difference from explore.ts: an invariant whose check throws is dropped at the end of the
 * level, not at once (a level is judged before it is merged).
 */
import type { CellRun } from '../evaluate.ts';
import type { Invariant } from '../invariant.ts';
import type { RawEvent } from '../trace-file.ts';
import type { ExploreFound, ExploreProgress, ExploreResult } from './explore.ts';
import { Expander, type ExpandRequest, type Outcome } from './expander.ts';

/** A lane: an expander here or on a worker thread. */
export interface Lane {
  root(ids: readonly string[]): Promise<string>;
  expand(r: ExpandRequest): Promise<Outcome[][]>;
  adopt(pairs: ReadonlyArray<readonly [number, number, number]>): Promise<void>;
  /** Traces judged by this lane in its current (or last) expand call (progress between merges). */
  judged(): number;
  close(): Promise<void>;
}

/** A lane in this thread. */
export function localLane(invariants: readonly Invariant[], cell: CellRun, alphabet: readonly RawEvent[], everyBoundary = false): Lane {
  let judged = 0;
  const x = new Expander(invariants, cell, alphabet, (n) => { judged += n; }, everyBoundary);
  return {
    root: async (ids) => x.root(ids),
    expand: async (r) => { judged = 0; return x.expand(r); },
    adopt: async (pairs) => x.adopt(pairs),
    judged: () => judged,
    close: async () => {},
  };
}

/** What to explore, and on which lanes (all made for the same cell, invariants and alphabet). */
export interface ParallelOptions {
  readonly invariants: readonly Invariant[];
  readonly alphabet: readonly RawEvent[];
  readonly depth: number;
  readonly lanes: readonly Lane[];
  readonly shard?: { readonly index: number; readonly count: number };
  readonly maxStates?: number;
  readonly onProgress?: (p: ExploreProgress) => void;
}

/** Levels judged by every lane: the last two above the deepest, at most (cheap, and they balance the rest). */
const replicated = (depth: number): number => Math.max(0, Math.min(2, depth - 2));

/** Explores every trace up to `o.depth` events on `o.lanes`; stops at the first violation. */
export async function exploreParallel(o: ParallelOptions): Promise<ExploreResult> {
  const t0 = performance.now();
  const n = o.lanes.length;
  let ids = o.invariants.map((inv) => inv.id);
  const errors = new Map<string, string>();
  const errorTraces = new Map<string, readonly RawEvent[]>();
  const seen = new Set<string>();
  let traces = 0;
  const result = (found: ExploreFound | null, depthDone: number): ExploreResult =>
    ({ found, foundAll: new Map(found ? [[found.invariant, found]] : []), states: seen.size, traces, depthDone, errors, errorTraces, ms: performance.now() - t0 });
  seen.add((await Promise.all(o.lanes.map((l) => l.root(ids))))[0] as string);
  let level: RawEvent[][] = [[]];
  // The lane holding each trace of the level; -1: every lane.
  let owner: number[] = [-1];
  let depth = 1;
  let everyLane = false;
  const judged = (): number => (everyLane ? Math.max(...o.lanes.map((l) => l.judged())) : o.lanes.reduce((s, l) => s + l.judged(), 0));
  const tick = setInterval(() => o.onProgress?.({ depth, states: seen.size, traces: traces + judged(), queue: level.length, ms: performance.now() - t0 }), 2000);
  try {
    for (let d = 1; d <= o.depth; d++) {
      const letters = o.alphabet.map((_, i) => i).filter((i) => d > 1 || !o.shard || i % o.shard.count === o.shard.index);
      const extraShard = d === 1 && o.shard ? { extraShard: o.shard } : {};
      const keep = d < o.depth;
      depth = d;
      everyLane = d <= replicated(o.depth);
      const outcomes: Outcome[][] = new Array(level.length);
      if (everyLane) {
        const all = level.map((_, p) => p);
        const res = await Promise.all(o.lanes.map((l) => l.expand({ positions: all, letters, invariants: ids, keep, ...extraShard })));
        (res[0] as Outcome[][]).forEach((x, p) => { outcomes[p] = x; });
      } else {
        const mine: number[][] = o.lanes.map(() => []);
        owner.forEach((w, p) => (mine[w >= 0 ? w : p % n] as number[]).push(p));
        owner = owner.map((w, p) => (w >= 0 ? w : p % n));
        const res = await Promise.all(o.lanes.map((l, k) => l.expand({ positions: mine[k] as number[], letters, invariants: ids, keep, ...extraShard })));
        res.forEach((r, k) => r.forEach((x, q) => { outcomes[(mine[k] as number[])[q] as number] = x; }));
      }
      const next: RawEvent[][] = [];
      const nextOwner: number[] = [];
      const pairs: Array<Array<readonly [number, number, number]>> = o.lanes.map(() => []);
      for (let p = 0; p < level.length; p++) {
        const row = outcomes[p] as Outcome[];
        for (let k = 0; k < row.length; k++) {
          const out = row[k] as Outcome;
          const i = out.letter?.index ?? (letters[k] as number);
          const raw = [...(level[p] as RawEvent[]), out.letter?.event ?? (o.alphabet[i] as RawEvent)];
          traces++;
          for (const [id, msg] of out.errors) if (!errors.has(id)) { errors.set(id, msg); errorTraces.set(id, raw); }
          const hit = out.hits.find((h) => !errors.has(h.id));
          if (hit) return result({ invariant: hit.id, raw, events: hit.events, failure: hit.failure }, d - 1);
          if (out.fp === null || seen.has(out.fp)) continue;
          seen.add(out.fp);
          if (keep) {
            const to = next.length;
            next.push(raw);
            const w = everyLane ? -1 : (owner[p] as number);
            nextOwner.push(w);
            for (let l = 0; l < n; l++) if (w < 0 || w === l) (pairs[l] as Array<readonly [number, number, number]>).push([p, i, to]);
          }
          if (o.maxStates !== undefined && seen.size >= o.maxStates) return result(null, d - 1);
        }
      }
      o.onProgress?.({ depth: d, states: seen.size, traces, queue: next.length, ms: performance.now() - t0 });
      ids = ids.filter((id) => !errors.has(id));
      if (keep) await Promise.all(o.lanes.map((l, k) => l.adopt(pairs[k] as Array<readonly [number, number, number]>)));
      level = next;
      owner = nextOwner;
    }
    return result(null, o.depth);
  } finally {
    clearInterval(tick);
  }
}
