/**
 * The monitors of one judgement: how each kind of invariant is run over a replay (micro-step
 * probes, boundary-state checks, step monitors with their memos), a check that throws turned
 * into an error of that invariant, and the watchdog told which invariant is being checked.
 * evaluate.ts judge() puts them together over one replay.
 */
import type { MachineState, Observation, Probe, Run, TaggedObservation } from '../model/index.ts';
import { copyData } from './copy-data.ts';
import type { Violation } from './evaluate.ts';
import type { CheckContext, Invariant, Transition, Verdict } from './invariant.ts';
import type { Tracker } from './tracker.ts';

/** A deep copy of the memos (plain data), or null if one holds something that cannot be copied. */
export function copyMemos(m: ReadonlyMap<string, unknown>): Map<string, unknown> | null {
  const out = new Map<string, unknown>();
  try {
    for (const [id, v] of m) out.set(id, copyData(v));
  } catch {
    return null;
  }
  return out;
}

/** The message of an error thrown by an invariant's check, with where it was thrown. */
export function checkError(id: string, e: unknown): string {
  const err = e instanceof Error ? e : new Error(String(e));
  const frame = (err.stack ?? '').split('\n').slice(1).map((l) => /\((.*:\d+:\d+)\)|at (\S+:\d+:\d+)/.exec(l)).find((m) => m !== null);
  const where = frame ? ` (at ${(frame[1] ?? frame[2] ?? '').replace(/^file:\/\//, '')})` : '';
  return `invariant ${id} threw: ${err.message}${where}`;
}

export const fail = (v: Verdict, step: number): Violation | null => (v === true ? null : { step, message: String(v) });
export const micro = (inv: Invariant): boolean => (inv.kind === 'state' && inv.granularity === 'micro') || (inv.kind === 'step' && inv.checkMicro !== undefined);

/** A micro-step probe for `inv`; a check that throws is recorded in `errors` and not asked again. */
export function probeOf(inv: Invariant, ctx: CheckContext, errors: Map<string, string>): Probe {
  // Called at every micro-step: no closure per call, the tracker index looked up once.
  const id = inv.id;
  const at = trackIndex.get(id) ?? -1;
  const verdict = (v: Verdict): true | string => (v === true ? true : String(v));
  const threw = (e: unknown): true => {
    errors.set(id, checkError(id, e));
    return true;
  };
  if (inv.kind === 'state') {
    const check = inv.check;
    return {
      before: false,
      check: (after) => {
        if (errors.has(id)) return true;
        tracker?.checking(at);
        try { return verdict(check(after, ctx)); } catch (e) { return threw(e); } finally { tracker?.checking(-1); }
      },
    };
  }
  if (inv.kind !== 'step' || inv.checkMicro === undefined) throw new Error(`invariant ${id} has no micro-step check`);
  const cm = inv.checkMicro;
  return {
    before: true,
    check: (after, step, before, event) => {
      if (errors.has(id)) return true;
      tracker?.checking(at);
      try { return verdict(cm({ event, step, before: before as MachineState, after }, ctx)); } catch (e) { return threw(e); } finally { tracker?.checking(-1); }
    },
  };
}

/** Where judging is (the pool's watchdog reads it); null when nobody watches. */
let tracker: Tracker | null = null;
/** Index of each invariant in the list being judged, for the tracker. */
let trackIndex = new Map<string, number>();
let trackOrder: readonly string[] | null = null;

/** Starts judging one trace under `track`'s watchdog (none: nobody watches). */
export function watch(track: { readonly tracker: Tracker; readonly order: readonly string[] } | undefined): void {
  tracker = track?.tracker ?? null;
  // A unit judges every trace with the same list: the index is built once for it.
  if (track && track.order !== trackOrder) {
    trackIndex = new Map(track.order.map((id, i) => [id, i]));
    trackOrder = track.order;
  }
  tracker?.tick();
  tracker?.checking(-1);
}

/** Runs one invariant's checks; a throw becomes an error of that invariant. */
export function guarded(id: string, errors: Map<string, string>, f: () => void): void {
  if (errors.has(id)) return;
  tracker?.checking(trackIndex.get(id) ?? -1);
  try {
    f();
  } catch (e) {
    errors.set(id, checkError(id, e));
  } finally {
    tracker?.checking(-1);
  }
}

export function stateViolation(inv: Extract<Invariant, { kind: 'state' }>, run: Run, ctx: CheckContext, from: number): Violation | null {
  for (let i = from + 1; i < run.states.length; i++) {
    const v = fail(inv.check(run.states[i] as MachineState, ctx), i - 1);
    if (v) return v;
  }
  return null;
}

/**
 * Step invariants: every transition from `from` on, `history` growing in place (no copies: linear
 * in the trace), each monitor starting from `start` (a continuation's memos) or its `init`.
 * Returns the memos at the end and, with `keep`, a copy of them before the final drain.
 */
export function stepViolations(invs: ReadonlyArray<Extract<Invariant, { kind: 'step' }>>, run: Run, ctx: CheckContext, out: Map<string, Violation>,
  errors: Map<string, string>, from: number, start: Map<string, unknown> | null, keep: boolean): { memos: Map<string, unknown>; kept: Map<string, unknown> | null } {
  const skipped = new Set(run.skipped);
  const history: TaggedObservation[] = run.observations.slice(0, run.obsStart[from] ?? run.observations.length);
  const n = run.states.length - 1;
  const events = run.events.length;
  // An invariant a micro-step probe already caught is still checked on earlier transitions.
  const before = (inv: Invariant, i: number): boolean => i < (out.get(inv.id)?.step ?? Infinity);
  let live = invs.slice();
  const memos = new Map(invs.map((inv) => [inv.id, start?.has(inv.id) ? start.get(inv.id) : inv.init?.()]));
  let kept: Map<string, unknown> | null = null;
  let taken = false;
  for (let i = from; i < n && live.length > 0; i++) {
    if (keep && i === events) { kept = copyMemos(memos); taken = true; }
    live = live.filter((inv) => before(inv, i) && !errors.has(inv.id));
    const from = run.obsStart[i] ?? run.observations.length;
    const historyStart = history.length;
    const to = run.obsStart[i + 1] ?? run.observations.length;
    const observations: Observation[] = [];
    for (let k = from; k < to; k++) {
      const t = run.observations[k] as TaggedObservation;
      history.push(t);
      observations.push(t.o);
    }
    const t: Transition = {
      index: i, event: run.events[i] ?? { type: 'user.nop' }, skipped: skipped.has(i),
      before: run.states[i] as MachineState, after: run.states[i + 1] as MachineState, observations, history, historyStart,
      stateAt: (k: number) => run.states[Math.min(k, run.states.length - 1)] as MachineState,
    };
    for (const inv of live) {
      guarded(inv.id, errors, () => {
        const v = fail(inv.check(t, ctx, memos.get(inv.id)), i);
        if (v) out.set(inv.id, v);
      });
    }
  }
  if (keep && !taken) kept = copyMemos(memos);
  return { memos, kept };
}

