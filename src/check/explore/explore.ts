/**
 * Bounded-exhaustive exploration: every trace of length <= depth over a finite alphabet, breadth
 * first, so the first violation found is a shortest one. A trace whose end has been seen before
 * (the same machine state up to `sameFuture`, the same monitor memos, the same SYSRET/IRET
 * comparisons still open) is not extended again: every extension of it behaves like the
 * extension of the first (the tests check the state counts against a brute-force enumeration).
 * Each new trace is judged by every invariant with the one-replay judge. The soundness of the
 * pruning rests on the fingerprint: step invariants must keep what they remember in a monitor
 * memo (which the fingerprint covers), not re-read the history.
 */
import type { DecisionLog, Event, MachineState, TraceEvent } from '../../model/index.ts';
import { judge, type CellRun, type Continuation, type Judgement, type JudgeOptions, type Violation } from '../evaluate.ts';
import type { Invariant } from '../invariant.ts';
import { toTraceEvent } from '../operands.ts';
import type { Accept, Track } from '../search.ts';
import { startOf } from '../worlds.ts';
import type { RawEvent } from '../trace-file.ts';
import { enabledMask, newlyEnabled, newlyPreempted, newlyRunnable, newRelease, newStep, newStop } from '../gen/enabled.ts';
import { traceKey } from './fingerprint.ts';

/** What to explore. */
export interface ExploreOptions {
  readonly invariants: readonly Invariant[];
  readonly cell: CellRun;
  readonly alphabet: readonly RawEvent[];
  readonly depth: number;
  /** Explore only the traces whose first event's alphabet index is `index` mod `count`. */
  readonly shard?: { readonly index: number; readonly count: number };
  /** Stop after this many distinct states (the claim is then only up to the depth completed). */
  readonly maxStates?: number;
  /** Go on after a violation, judging the invariants not yet violated (each one's first trace is kept). */
  readonly all?: boolean;
  /** A watchdog's view (search.ts Track): each judged trace counts as progress. */
  readonly track?: Track;
  /** Decision coverage: the judged traces' condition vectors are added here. */
  readonly decisions?: DecisionLog;
  /** Which violations count (search.ts); a trace with one refused is not extended. */
  readonly accept?: Accept;
  /**
   * One level past `depth`, only where the last event enabled new actions: each new state at
   * `depth` whose enabling conditions (gen/enabled.ts) gained one is extended by the alphabet's
   * events that need it (a tracee that stopped: resume, detach, rewrite). Beyond the claim.
   */
  readonly extendNewlyEnabled?: boolean;
  /** Levels past `depth` (default 1): the first extends what the last event enabled, the second what the initial state lacks, later ones only the windows the last event opened (a switched-out task, a new stop). */
  readonly extraLevels?: number;
  /**
   * After the levels: each trace up to `depth` whose last event ended in a signal handler is
   * judged with its events once and twice more (the user program looping through the handler:
   * a trap that comes back each round shows only in the second). Beyond the claim.
   */
  readonly loops?: boolean;
  readonly onProgress?: (p: ExploreProgress) => void;
}

/** Progress, reported every few hundred traces and at the end of each depth. */
export interface ExploreProgress {
  readonly depth: number;
  readonly states: number;
  readonly traces: number;
  /** Traces still to extend at this depth, and found so far for the next. */
  readonly queue: number;
  readonly ms: number;
}

/** A violation and its (shortest) trace. */
export interface ExploreFound {
  readonly invariant: string;
  readonly raw: readonly RawEvent[];
  readonly events: readonly Event[];
  readonly failure: Violation;
}

/** The outcome of an exploration. */
export interface ExploreResult {
  /** The first violation (a shortest trace). */
  readonly found: ExploreFound | null;
  /** With `all`: the first violation of each invariant, by id. */
  readonly foundAll: ReadonlyMap<string, ExploreFound>;
  /** Distinct states (fingerprints), the initial one included. */
  readonly states: number;
  /** Traces judged. */
  readonly traces: number;
  /** Every trace up to this length was explored (or pruned as a repeat). */
  readonly depthDone: number;
  /** Invariants whose own check threw, with the message. */
  readonly errors: ReadonlyMap<string, string>;
  /** The trace each of those threw on. */
  readonly errorTraces: ReadonlyMap<string, readonly RawEvent[]>;
  readonly ms: number;
}

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

/**
 * Judges `raw`, an alphabet trace, going on from its prefix's continuation when there is one
 * (only the events after the prefix are replayed), from the start otherwise.
 */
export function judgeOn(invs: readonly Invariant[], cell: CellRun, raw: readonly RawEvent[], from: Continuation | null, o: JudgeOptions): Judgement {
  return from !== null
    ? judge(invs, cell, raw.slice(from.trace.length).map(resolve), { ...o, resume: from })
    : judge(invs, cell, raw.map(resolve), o);
}

/** Explores every trace up to `o.depth` events; stops at the first violation. */
export function explore(o: ExploreOptions): ExploreResult {
  const t0 = performance.now();
  let invs = o.invariants.slice();
  const errors = new Map<string, string>();
  const errorTraces = new Map<string, readonly RawEvent[]>();
  const seen = new Set<string>();
  let traces = 0;
  // Each trace to extend, with where its judgement goes on from (replaying only the new event).
  let level: Array<{ raw: RawEvent[]; cont: Continuation | null }> = [{ raw: [], cont: null }];
  // With extendNewlyEnabled: each kept trace's enabling mask, and the traces at `depth` to extend.
  const masks = new Map<readonly RawEvent[], number>();
  const EMPTY = (level[0] as { raw: RawEvent[] }).raw;
  // `before`: what the level compares with (the prefix's mask; the initial state's at level 2);
  // `prev`: the prefix's mask.
  const extend: Array<{ raw: RawEvent[]; cont: Continuation | null; mask: number; before: number; prev: number }> = [];
  const maskOf = (j: Judgement): number => enabledMask(j.run.states[j.run.states.length - 1] as MachineState);
  const opts = { ...(o.track ? { track: o.track } : {}), ...(o.decisions ? { decisions: o.decisions } : {}) };
  const root = judge(invs, o.cell, [], { ...opts, continuable: true });
  (level[0] as { cont: Continuation | null }).cont = root.next;
  seen.add(traceFingerprint(root, 0));
  if (o.extendNewlyEnabled) masks.set(EMPTY, maskOf(root));
  const progress = (depth: number, queue: number): void =>
    o.onProgress?.({ depth, states: seen.size, traces, queue, ms: performance.now() - t0 });
  const foundAll = new Map<string, ExploreFound>();
  const result = (found: ExploreFound | null, depthDone: number): ExploreResult =>
    ({ found, foundAll, states: seen.size, traces, depthDone, errors, errorTraces, ms: performance.now() - t0 });
  /** Judges one trace: records what threw and what it violates (dropping those invariants from `invs`). */
  // `refused`: a violation `accept` did not count; its continuation is not valid for that invariant.
  const accept = o.accept;
  const start = startOf(o.cell);
  const judgeOne = (raw: RawEvent[], from: Continuation | null, continuable: boolean): { j: Judgement; hits: Invariant[]; refused: boolean } => {
    const j = judgeOn(invs, o.cell, raw, from, { ...opts, continuable });
    traces++;
    for (const [id, msg] of j.errors) { errors.set(id, msg); errorTraces.set(id, raw); }
    if (j.errors.size > 0) invs = invs.filter((inv) => !j.errors.has(inv.id));
    const violated = invs.filter((inv) => j.violations.has(inv.id));
    const hits = accept === undefined ? violated : violated.filter((inv) => accept(inv, j.run.events, start));
    for (const hit of hits) foundAll.set(hit.id, { invariant: hit.id, raw, events: j.run.events, failure: j.violations.get(hit.id) as Violation });
    // Later fingerprints hold fewer memos, so they never match earlier ones: pruning stays sound.
    if (hits.length > 0) invs = invs.filter((inv) => !hits.includes(inv));
    return { j, hits, refused: violated.length > hits.length };
  };
  // With `loops`: the traces whose last event delivered a signal, with their continuations.
  const loops: Array<{ raw: RawEvent[]; cont: Continuation | null }> = [];
  for (let d = 1; d <= o.depth; d++) {
    const next: typeof level = [];
    // Only a trace that may be extended needs a continuation.
    const continuable = d < o.depth || o.extendNewlyEnabled === true;
    for (let n = 0; n < level.length; n++) {
      const { raw: prefix, cont } = level[n] as (typeof level)[number];
      for (let i = 0; i < o.alphabet.length; i++) {
        if (d === 1 && o.shard && i % o.shard.count !== o.shard.index) continue;
        const raw = [...prefix, o.alphabet[i] as RawEvent];
        const { j, hits, refused } = judgeOne(raw, cont, continuable);
        if (hits.length > 0 && !o.all) return result(foundAll.get((hits[0] as Invariant).id) ?? null, d - 1);
        if (hits.length > 0 && invs.length === 0) return result([...foundAll.values()][0] ?? null, d - 1);
        if (hits.length > 0 || refused) continue;
        if (o.loops && signalled(j)) loops.push({ raw, cont: j.next });
        // At the last depth of an extending exploration only a trace that enabled new actions goes
        // on: the others need no fingerprint (the state count is not reported there).
        const mask = o.extendNewlyEnabled ? maskOf(j) : -1;
        const before = masks.get(prefix) ?? -1;
        if (o.extendNewlyEnabled && d === o.depth && !o.alphabet.some((a) => newlyEnabled(a, mask, before))) continue;
        const fp = traceFingerprint(j, raw.length, continuable);
        if (seen.has(fp)) continue;
        seen.add(fp);
        if (d < o.depth) next.push({ raw, cont: j.next });
        if (o.extendNewlyEnabled) {
          if (d < o.depth) masks.set(raw, mask);
          else extend.push({ raw, cont: j.next, mask, before, prev: before });
        }
        if (o.maxStates !== undefined && seen.size >= o.maxStates) return result(null, d - 1);
        if ((traces & 255) === 0) progress(d, level.length - n + next.length);
      }
    }
    progress(d, next.length);
    level = next;
  }
  // Level 1: actions the last event enabled. Level 2: actions the initial state does not have (a
  // tracer's, on a tracee that stops again after each). Level 3 and on (while `extraLevels`
  // lasts): only the windows the last event opened, so a chain goes on while each step ends
  // somewhere new: a call that gives up the CPU to a task the last event left waiting in the
  // kernel (a tracee resumed while another task runs goes on to its exit only then), and a
  // tracer's action on a tracee stopped for a new reason (gen/enabled.ts newlyRunnable, newStop),
  // and at level 3 a system call of a task the tracer just began to single-step (newStep).
  const rootMask = masks.get(EMPTY) ?? -1;
  let frontier = extend;
  for (let lvl = 1; lvl <= (o.extraLevels ?? 1) && frontier.length > 0; lvl++) {
    const next: typeof extend = [];
    const last = lvl === (o.extraLevels ?? 1);
    for (const { raw: prefix, cont, mask, before, prev } of frontier) {
      for (const a of o.alphabet) {
        const follows = (lvl <= 2 && newRelease(a, mask, prev)) || (lvl === 1 && newlyPreempted(a, mask, before)) || (lvl >= 3
          ? newlyRunnable(a, mask, before) || newStop(a, mask, before) || (lvl === 3 && newStep(a, mask, before))
          : newlyEnabled(a, mask, before));
        if (!follows) continue;
        const raw = [...prefix, a];
        const { j, hits, refused } = judgeOne(raw, cont, !last);
        if (invs.length === 0 || (foundAll.size > 0 && !o.all)) return result([...foundAll.values()][0] ?? null, o.depth);
        // The last level extends nothing: no fingerprint needed.
        if (hits.length > 0 || refused || last) continue;
        const fp = traceFingerprint(j, raw.length);
        if (seen.has(fp)) continue;
        seen.add(fp);
        next.push({ raw, cont: j.next, mask: maskOf(j), before: lvl + 1 >= 3 ? mask : rootMask, prev: mask });
      }
    }
    frontier = next;
  }
  // The loops: two more rounds of each signalled trace's events, the second from the first's
  // continuation. A round that meets a state seen before is not taken further.
  for (const { raw: body, cont } of loops) {
    let from = cont;
    let raw = body;
    for (let round = 1; round <= 2 && from !== null; round++) {
      raw = [...raw, ...body];
      const { j, hits, refused } = judgeOne(raw, from, round === 1);
      if (invs.length === 0 || (foundAll.size > 0 && !o.all)) return result([...foundAll.values()][0] ?? null, o.depth);
      if (hits.length > 0 || refused || round === 2) break;
      const fp = traceFingerprint(j, raw.length);
      if (seen.has(fp)) break;
      seen.add(fp);
      from = j.next;
    }
  }
  return result([...foundAll.values()][0] ?? null, o.depth);
}

/** Whether the last event of a judged trace (with the drain after it) delivered a signal to user mode. */
function signalled(j: Judgement): boolean {
  const r = j.run;
  for (let i = r.obsStart[r.events.length - 1] ?? r.observations.length; i < r.observations.length; i++) {
    if (r.observations[i]?.o.kind === 'signal') return true;
  }
  return false;
}
