/**
 * The search of one group (design, vendor, paging) from one seed: the coverage-guided generator
 * (gen/guided.ts) proposes traces; each is replayed once, judged by every invariant still without
 * a counterexample, and its coverage steers the next proposals; the first trace that violates an
 * invariant is its counterexample, made 1-minimal by the domain shrinker (judging that invariant
 * alone). Shared by the runner, the acceptance tests and the benchmark.
 */
import { initialState, type InitialOverrides } from '../kernel/index.ts';
import { replay, type DecisionLog, type Event } from '../model/index.ts';
import { coverTrace, type Coverage } from './coverage.ts';
import { judge, type CellRun, type Violation } from './evaluate.ts';
import type { Invariant } from './invariant.ts';
import { DEFAULT_EXPLORE_DEPTH } from './explore-depth.ts';
import { exploreStarts } from './explore-starts.ts';
import { GuidedSearch } from './gen/guided.ts';
import { toTraceEvents } from './operands.ts';
import { handlerSpan } from './handler-span.ts';
import { shrink } from './shrink.ts';
import type { Tracker } from './tracker.ts';
import type { RawEvent } from './trace-file.ts';
import { startOf } from './worlds.ts';

/** A counterexample the search found and shrank. */
export interface Found {
  readonly raw: readonly RawEvent[];
  readonly events: readonly Event[];
  readonly failure: Violation;
  /** fast-check path of the generated trace: its run index (replay it with the unit's seed). */
  readonly path: string;
  readonly rawLength: number;
  readonly timeToFind: number;
  readonly timeToShrink: number;
  /** The initial-state overrides it was found from (worlds.ts), when not the cell's own. */
  readonly initial?: InitialOverrides;
}

/** A trace on which an invariant's own check threw, shrunk while it still throws. */
export interface Thrown {
  readonly events: readonly Event[];
  /** The error, with where the check threw (file:line:col). */
  readonly message: string;
  readonly path: string;
  readonly rawLength: number;
  /** The initial-state overrides it was found from, when not the cell's own. */
  readonly initial?: InitialOverrides;
}

/** What a group search did. */
export interface GroupSearch {
  readonly runs: number;
  readonly events: number;
  readonly microSteps: number;
  readonly found: ReadonlyMap<string, Found>;
  /** Invariants whose check threw, or every pending one when the model itself threw. */
  readonly errors: ReadonlyMap<string, string>;
  /** The kernel's decisions as the search's replays took them (decision coverage). */
  readonly decisions: DecisionLog;
  /** For invariants whose check threw: the shrunk trace it throws on. */
  readonly thrown: ReadonlyMap<string, Thrown>;
  /** The exhaustive phase's traces judged and distinct states (explore-starts.ts); `runs` and the rest count the guided search only. */
  readonly explored: Explored;
}

/** What a group's exhaustive phase did: traces judged and distinct states, over every start. */
export interface Explored {
  readonly traces: number;
  readonly states: number;
}

const traces = (t: readonly RawEvent[]) => toTraceEvents(t, 'trace');

/**
 * The traces a search from `seed` generates on `cell`, in order (run index k is path "k"). The
 * guided search depends on what each replay covered, so this replays them as the search does.
 */
export function sampleTraces(cell: CellRun, seed: number, runs: number, maxLength = 16): RawEvent[][] {
  const g = new GuidedSearch(seed, maxLength, cell.kernel);
  const out: RawEvent[][] = [];
  const start = initialState(cell.kernel, cell.vendor, cell.paging, cell.initial);
  for (let k = 0; k < runs; k++) {
    const raw = g.next();
    g.feed(raw, replay(start, traces(raw), cell.kernel, { forks: false, edges: g.edges, decisions: g.decisions }));
    out.push(raw);
  }
  return out;
}

/** Trace `path` of a search from `seed` on `cell`: what a counterexample's seed and path name. */
export function traceAt(cell: CellRun, seed: number, path: number, maxLength = 16): RawEvent[] {
  return sampleTraces(cell, seed, path + 1, maxLength)[path] as RawEvent[];
}

/** Shrinks `raw`, a trace that violates `inv`, and judges the result once more. */
function minimise(inv: Invariant, cell: CellRun, raw: readonly RawEvent[], track?: Track, accept?: Accept): { raw: RawEvent[]; events: readonly Event[]; failure: Violation } | null {
  const violates = (t: readonly RawEvent[]): boolean => {
    try {
      const j = judge([inv], cell, traces(t), track ? { track } : {});
      return j.violations.has(inv.id) && (accept === undefined || accept(inv, j.run.events, { quick: true, ...startOf(cell) }));
    } catch {
      return false;
    }
  };
  const start = initialState(cell.kernel, cell.vendor, cell.paging, cell.initial);
  const clocks = (t: readonly RawEvent[]): number[] =>
    replay(start, traces(t), cell.kernel, { forks: false, drain: false }).states.map((s) => s.clock);
  const s = shrink(raw, violates, 4000, clocks, (t, i) => handlerSpan(start, cell.kernel, traces(t), i));
  const final = judge([inv], cell, traces(s.trace), track ? { track } : {});
  const failure = final.violations.get(inv.id);
  if (failure && accept !== undefined && !accept(inv, final.run.events, startOf(cell))) {
    const found = judge([inv], cell, traces(raw), track ? { track } : {});
    const first = found.violations.get(inv.id);
    return first ? { raw: [...raw], events: found.run.events, failure: first } : null;
  }
  return failure ? { raw: s.trace, events: final.run.events, failure } : null;
}

/** Shrinks `raw`, a trace on which `inv`'s check throws, while it still throws. */
function minimiseThrow(inv: Invariant, cell: CellRun, raw: readonly RawEvent[], track?: Track): { events: readonly Event[]; message: string; raw: RawEvent[] } | null {
  const throws = (t: readonly RawEvent[]): boolean => {
    try {
      return judge([inv], cell, traces(t), track ? { track } : {}).errors.has(inv.id);
    } catch {
      return false;
    }
  };
  if (!throws(raw)) return null;
  const s = shrink(raw, throws);
  const final = judge([inv], cell, traces(s.trace), track ? { track } : {});
  const message = final.errors.get(inv.id);
  return message === undefined ? null : { events: final.run.events, message, raw: s.trace };
}

/** A watchdog's view of the search: the tracker and the order its invariant indices refer to. */
export interface Track {
  readonly tracker: Tracker;
  readonly order: readonly string[];
}

/** How a group search goes. */
export interface SearchOptions {
  /** Longest generated trace (default 16). */
  readonly maxLength?: number;
  /**
   * First judge every trace up to this length over the default exploration alphabet (breadth
   * first, repeats pruned; 0: none). What it finds is a shortest trace and needs no shrinking.
   */
  readonly exploreDepth?: number;
  readonly coverage?: Coverage;
  readonly track?: Track;
  /**
   * Which violations count: one `accept` refuses is not a counterexample, and the invariant is
   * searched on (mutate: a flaw the base design shares kills no mutant). All count when absent.
   */
  readonly accept?: Accept;
}

/**
 * A filter of violations (SearchOptions.accept): the invariant, the trace's applied events, and
 * the initial-state overrides they start from (`initial`, absent for the model's own).
 * `quick`: a shrink candidate, judged by the filter's cheap part only (the shrunk trace gets the
 * whole filter, and the trace as found stands when it fails it).
 */
export type Accept = (inv: Invariant, events: readonly Event[], o?: { readonly quick?: boolean; readonly initial?: InitialOverrides }) => boolean;

/** Searches `runs` traces from `seed` for violations of `invs` on one group. */
export function searchGroup(invs: readonly Invariant[], cell: CellRun, seed: number, runs: number, o: SearchOptions = {}): GroupSearch {
  const { maxLength = 16, coverage, track, accept } = o;
  const t0 = performance.now();
  const found = new Map<string, Found>();
  const errors = new Map<string, string>();
  const hits: Array<{ inv: Invariant; index: number; raw: RawEvent[]; at: number }> = [];
  const throwHits: Array<{ inv: Invariant; index: number; raw: RawEvent[]; cell?: CellRun }> = [];
  let pending = invs.slice();
  let micro = 0;
  let events = 0;
  let done = 0;
  const depth = o.exploreDepth ?? DEFAULT_EXPLORE_DEPTH;
  const g = new GuidedSearch(seed, maxLength, cell.kernel);
  // Exploration keeps its own log: the guided search's draws must not depend on it (a search's
  // trace k is the same with or without the exhaustive phase, for replay --seed --path).
  const explored: DecisionLog = new Map();
  const x = exploreStarts(pending, cell, { depth, decisions: explored, ...(track ? { track } : {}), ...(accept ? { accept } : {}) });
  for (const [id, f] of x.found) {
    found.set(id, {
      raw: [...f.raw], events: f.events, failure: f.failure, path: f.path, rawLength: f.raw.length, timeToFind: f.ms, timeToShrink: 0,
      ...(f.initial ? { initial: f.initial } : {}),
    });
  }
  for (const [id, e] of x.errors) {
    errors.set(id, e.message);
    const inv = pending.find((v) => v.id === id);
    if (inv && e.raw.length > 0) throwHits.push({ inv, index: -1, raw: [...e.raw], cell: e.cell });
  }
  pending = pending.filter((inv) => !found.has(inv.id) && !errors.has(inv.id));
  for (let k = 0; k < runs && pending.length > 0; k++) {
    const raw = g.next();
    done++;
    events += raw.length;
    let j;
    try {
      j = judge(pending, cell, traces(raw), { edges: g.edges, decisions: g.decisions, track });
    } catch (e) {
      for (const inv of pending) errors.set(inv.id, `${(e as Error).message} (trace ${JSON.stringify(raw)})`);
      pending = [];
      break;
    }
    micro += j.run.microSteps;
    g.feed(raw, j.run);
    if (coverage) coverTrace(coverage, raw, j.run);
    for (const [id, msg] of j.errors) {
      errors.set(id, msg);
      const inv = pending.find((x) => x.id === id);
      if (inv) throwHits.push({ inv, index: k, raw });
    }
    const hit = pending.filter((inv) => j.violations.has(inv.id) && (accept === undefined || accept(inv, j.run.events, startOf(cell))));
    for (const inv of hit) hits.push({ inv, index: k, raw, at: performance.now() - t0 });
    pending = pending.filter((inv) => !hit.includes(inv) && !j.errors.has(inv.id));
  }
  for (const h of hits) {
    const t1 = performance.now();
    const m = minimise(h.inv, cell, h.raw, track, accept);
    if (m === null) { errors.set(h.inv.id, 'the shrunk trace no longer fails'); continue; }
    found.set(h.inv.id, { ...m, path: String(h.index), rawLength: h.raw.length, timeToFind: h.at, timeToShrink: performance.now() - t1 });
  }
  const thrown = new Map<string, Thrown>();
  for (const h of throwHits) {
    const m = minimiseThrow(h.inv, h.cell ?? cell, h.raw, track);
    const own = h.cell?.initial && h.cell !== cell ? { initial: h.cell.initial } : {};
    if (m !== null) thrown.set(h.inv.id, { events: m.events, message: m.message, path: h.index < 0 ? 'explore' : String(h.index), rawLength: h.raw.length, ...own });
  }
  const decisions: DecisionLog = new Map(g.decisions);
  for (const [id, d] of explored) {
    const mine = decisions.get(id);
    decisions.set(id, mine && mine.conditions.length === d.conditions.length ? { conditions: mine.conditions, vectors: new Set([...mine.vectors, ...d.vectors]) } : d);
  }
  return { runs: done, events, microSteps: micro, found, errors, thrown, decisions, explored: { traces: x.traces, states: x.states } };
}

/** What a single-invariant search found (the acceptance tests and the benchmark use it). */
export interface SearchResult {
  readonly runs: number;
  readonly microSteps: number;
  readonly error?: string;
  readonly found?: Found;
}

/** Searches from `seed` with at most `runs` traces for a violation of one invariant. */
export function search(inv: Invariant, cell: CellRun, seed: number, runs: number, o: SearchOptions = {}): SearchResult {
  const r = searchGroup([inv], cell, seed, runs, o);
  const error = r.errors.get(inv.id);
  const found = r.found.get(inv.id);
  return { runs: r.runs, microSteps: r.microSteps, ...(error !== undefined ? { error } : {}), ...(found ? { found } : {}) };
}
