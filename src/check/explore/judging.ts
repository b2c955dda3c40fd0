/**
 * What an exploration keeps while it judges traces: the invariants still judged, the distinct
 * states seen, the traces judged, the first violation of each invariant and the checks that
 * threw. Shared by the levels up to the depth (explore.ts) and those past it (beyond.ts), with
 * the judging of one alphabet trace from its prefix's continuation (also the lanes', expander.ts).
 */
import type { MachineState, TraceEvent } from '../../model/index.ts';
import { judge, type CellRun, type Continuation, type Judgement, type JudgeOptions, type Violation } from '../evaluate.ts';
import type { Invariant } from '../invariant.ts';
import { toTraceEvent } from '../operands.ts';
import type { RawEvent } from '../trace-file.ts';
import { startOf } from '../worlds.ts';
import type { ExploreFound, ExploreOptions, ExploreResult } from './explore.ts';
import { traceKey } from './fingerprint.ts';

/**
 * The fingerprint of a judged trace of `length` events: its end state (before the final drain),
 * its monitors' memos, and the states of the SYSRET/IRET comparisons still open (a longer trace
 * goes on comparing from there). `extended` false: no trace will go on from this one.
 */
export function traceFingerprint(j: Judgement, length: number, extended = true): string {
  return traceKey(j.run.states[length] as MachineState, j.memos, j.openStates, extended);
}

// An alphabet event's operands resolved once: every trace that ends in it reuses the same object.
const resolved = new WeakMap<RawEvent, TraceEvent>();
function resolve(e: RawEvent, i: number): TraceEvent {
  let t = resolved.get(e);
  if (t === undefined) {
    t = toTraceEvent(e, i, 'alphabet');
    resolved.set(e, t);
  }
  return t;
}

/** The options of judge() an exploration sets. */
export type OnOptions = Pick<JudgeOptions, 'track' | 'decisions' | 'continuable' | 'shadows' | 'boundaries'>;

/**
 * Judges `raw`, an alphabet trace, going on from its prefix's continuation when there is one
 * (only the events after the prefix are replayed), from the start otherwise.
 */
export function judgeOn(invs: readonly Invariant[], cell: CellRun, raw: readonly RawEvent[], from: Continuation | null, o: OnOptions): Judgement {
  // Every field always present, none spread in: judge's reads of its options keep one shape
  // (about 10% less CPU per explored trace than spreads, warmed, paired runs; README "Performance").
  const opts: JudgeOptions = { track: o.track, decisions: o.decisions, continuable: o.continuable, shadows: o.shadows, boundaries: o.boundaries, resume: from };
  return judge(invs, cell, (from !== null ? raw.slice(from.trace.length) : raw).map(resolve), opts);
}

/** One judged trace: its judgement, the violations counted, and whether `accept` refused one. */
export interface Judged {
  readonly j: Judgement;
  readonly hits: readonly Invariant[];
  /** A violation `accept` did not count: the trace's continuation is not valid for that invariant. */
  readonly refused: boolean;
}

/** The state of one exploration's judging. */
export class Judging {
  /** The invariants still judged: one that threw or was violated (and counted) is dropped. */
  invs: Invariant[];
  readonly seen = new Set<string>();
  traces = 0;
  readonly foundAll = new Map<string, ExploreFound>();
  readonly errors = new Map<string, string>();
  readonly errorTraces = new Map<string, readonly RawEvent[]>();
  private readonly t0 = performance.now();
  private readonly start: ReturnType<typeof startOf>;

  constructor(private readonly o: ExploreOptions) {
    this.invs = o.invariants.slice();
    this.start = startOf(o.cell);
  }

  /** Milliseconds since the exploration began. */
  get ms(): number {
    return performance.now() - this.t0;
  }

  /** Judges the empty trace (the initial state, run to user mode), to go on from. */
  judgeRoot(): Judgement {
    return judgeOn(this.invs, this.o.cell, [], null, { track: this.o.track, decisions: this.o.decisions, continuable: true });
  }

  /** Judges `raw` (going on from `from`): records what threw and what it violates; `shadows` records the run's shadowed boundaries, `boundaries` all its boundaries. */
  judgeOne(raw: RawEvent[], from: Continuation | null, continuable: boolean, shadows = false, boundaries = false): Judged {
    const { cell, accept } = this.o;
    const j = judgeOn(this.invs, cell, raw, from, { track: this.o.track, decisions: this.o.decisions, continuable, shadows, boundaries });
    this.traces++;
    for (const [id, msg] of j.errors) { this.errors.set(id, msg); this.errorTraces.set(id, raw); }
    if (j.errors.size > 0) this.invs = this.invs.filter((inv) => !j.errors.has(inv.id));
    const violated = this.invs.filter((inv) => j.violations.has(inv.id));
    const hits = accept === undefined ? violated : violated.filter((inv) => accept(inv, j.run.events, this.start));
    for (const hit of hits) this.foundAll.set(hit.id, { invariant: hit.id, raw, events: j.run.events, failure: j.violations.get(hit.id) as Violation });
    // Later fingerprints hold fewer memos, so they never match earlier ones: pruning stays sound.
    if (hits.length > 0) this.invs = this.invs.filter((inv) => !hits.includes(inv));
    return { j, hits, refused: violated.length > hits.length };
  }

  /** Nothing left to look for: every invariant decided, or a first violation found without `all`. */
  over(): boolean {
    return this.invs.length === 0 || (this.foundAll.size > 0 && !this.o.all);
  }

  /** The first violation found, if any. */
  first(): ExploreFound | null {
    return [...this.foundAll.values()][0] ?? null;
  }

  /** The exploration's result, `found` its violation and `depthDone` the depth explored in full. */
  result(found: ExploreFound | null, depthDone: number): ExploreResult {
    return { found, foundAll: this.foundAll, states: this.seen.size, traces: this.traces, depthDone, errors: this.errors, errorTraces: this.errorTraces, ms: this.ms };
  }
}
