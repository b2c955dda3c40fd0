/**
 * The exhaustive phase of a group search (search.ts): run's exploration from each start of
 * worlds.ts in turn, each over the invariants no earlier start decided. A cell with initial-state
 * overrides of its own (a trace file's) is explored from those alone.
 */
import type { InitialOverrides } from '../kernel/index.ts';
import type { DecisionLog } from '../model/index.ts';
import type { CellRun } from './evaluate.ts';
import { runExploration } from './explore/alphabet.ts';
import { explore, type ExploreFound } from './explore/explore.ts';
import type { Invariant } from './invariant.ts';
import type { Accept, Explored, Track } from './search.ts';
import type { RawEvent } from './trace-file.ts';
import { worldOf, WORLDS, type World } from './worlds.ts';

/** A violation an exploration found, with where it started and when. */
export interface StartFind extends ExploreFound {
  /** "explore depth N", and the start's label when it is not the cell's own. */
  readonly path: string;
  /** The start's overrides, when not the cell's own. */
  readonly initial?: InitialOverrides;
  /** Milliseconds from the phase's start to the end of the exploration that found it. */
  readonly ms: number;
}

/** A check that threw on an explored trace, with the trace and the cell (start) it ran on. */
export interface StartError {
  readonly message: string;
  readonly raw: readonly RawEvent[];
  readonly cell: CellRun;
}

/** What to explore with besides the invariants and the cell. */
export interface StartsOptions {
  readonly depth: number;
  /** Every start's decision vectors go here. */
  readonly decisions: DecisionLog;
  readonly track?: Track;
  readonly accept?: Accept;
}

/** What the explorations from every start found, and their traces and states added up. */
export interface StartsResult extends Explored {
  readonly found: Map<string, StartFind>;
  readonly errors: Map<string, StartError>;
}

/** Explores `cell` from each start; returns the first violation of each invariant and the checks that threw. */
export function exploreStarts(invs: readonly Invariant[], cell: CellRun, o: StartsOptions): StartsResult {
  const t0 = performance.now();
  const found = new Map<string, StartFind>();
  const errors = new Map<string, StartError>();
  // A cell started from a start's own overrides (a find's replay, a test) is explored as that start.
  const starts: readonly World[] = cell.initial === undefined ? WORLDS : [worldOf(cell.initial) ?? { id: 'own', initial: cell.initial, label: '' }];
  let pending = invs.slice();
  let traces = 0;
  let states = 0;
  for (const w of starts) {
    if (o.depth === 0 || pending.length === 0) break;
    const from: CellRun = Object.keys(w.initial).length === 0 || w.initial === cell.initial ? cell : { ...cell, initial: w.initial };
    const run = runExploration();
    const x = explore({
      invariants: pending, cell: from, ...run, alphabet: [...(w.frames === false ? run.alphabet.filter((a) => !('frame' in a)) : run.alphabet), ...(w.letters ?? [])],
      ...(w.extraLevels !== undefined ? { extraLevels: w.extraLevels } : {}), ...(w.loops !== undefined ? { loops: w.loops } : {}),
      ...(w.followAttach === true ? { followAttach: true } : {}),
      depth: o.depth, all: true, decisions: o.decisions, ...(o.track ? { track: o.track } : {}), ...(o.accept ? { accept: o.accept } : {}),
    });
    const ms = performance.now() - t0;
    traces += x.traces;
    states += x.states;
    const own = from === cell ? {} : { initial: w.initial };
    for (const [id, f] of x.foundAll) found.set(id, { ...f, path: `explore depth ${f.raw.length}${w.label}`, ms, ...own });
    for (const [id, message] of x.errors) errors.set(id, { message, raw: x.errorTraces.get(id) ?? [], cell: from });
    pending = pending.filter((inv) => !found.has(inv.id) && !errors.has(inv.id));
  }
  return { found, errors, traces, states };
}
