/**
 * Judging invariants on a trace: one replay (a Run) serves every invariant. State invariants
 * read the boundary states; micro-granularity ones and `checkMicro` run as probes after every
 * kernel micro-step of that same replay; step invariants read the transitions with the history
 * so far; differential ones compare the run with its IRET alternative at every fork point.
 */
import type { Paging, Vendor } from '../isa/index.ts';
import { initialState, type BuiltKernel, type InitialOverrides } from '../kernel/index.ts';
import {
  prefixOf, replay, type DecisionLog, type Event, type MachineState, type Observation, type Probe, type Run, type RunPrefix, type TaggedObservation,
  type TraceEvent,
} from '../model/index.ts';
import { copyData } from './copy-data.ts';
import { forkSides } from './differential.ts';
import type { CheckContext, Invariant, Transition, Verdict } from './invariant.ts';
import type { Tracker } from './tracker.ts';

/** Where and why an invariant failed. */
export interface Violation {
  /** The event during which it failed (events.length: the final drain). */
  readonly step: number;
  readonly message: string;
  /** The kernel micro-step it failed at, when a micro-step check or a fork point says ("entry_SYSCALL_64+1 (movq ...)"). */
  readonly where?: string;
}

/** One cell's fixed parameters. */
export interface CellRun {
  readonly kernel: BuiltKernel;
  readonly vendor: Vendor;
  readonly paging: Paging;
  readonly initial?: InitialOverrides;
}

/** Builds the check context of a run. */
export function contextOf(c: CellRun): CheckContext {
  return { vendor: c.vendor, paging: c.paging, kernel: c.kernel };
}

/** The verdicts of one replay: the run, the first violation of each violated invariant, and the
 * invariants whose own code threw (a defect of the invariant, not a verdict). */
export interface Judgement {
  readonly run: Run;
  readonly violations: ReadonlyMap<string, Violation>;
  readonly errors: ReadonlyMap<string, string>;
  /** Each monitor's memo after the last transition (what it carries into a longer trace). */
  readonly memos: ReadonlyMap<string, unknown>;
  /** Fork points whose two sides had not reached the same future by the end of the trace. */
  readonly openForks: number;
  /** The states those comparisons would go on from, in fork order. */
  readonly openStates: readonly MachineState[];
  /** Where a longer trace goes on from (asked for with `continuable`; null when a memo cannot be copied). */
  readonly next: Continuation | null;
}

/**
 * A judged trace as the start of longer ones (explore extends each trace by one event): its run
 * up to the boundary after its last event, its monitors' memos there (before the final drain),
 * and the fork points whose comparison had not ended by then. Valid for judging invariants that
 * all held on it.
 */
export interface Continuation {
  readonly trace: readonly TraceEvent[];
  readonly prefix: RunPrefix;
  readonly memos: ReadonlyMap<string, unknown>;
  /** Indices into `prefix.forks`. */
  readonly open: readonly number[];
}

/** A deep copy of the memos (plain data), or null if one holds something that cannot be copied. */
function copyMemos(m: ReadonlyMap<string, unknown>): Map<string, unknown> | null {
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

const fail = (v: Verdict, step: number): Violation | null => (v === true ? null : { step, message: String(v) });
const micro = (inv: Invariant): boolean => (inv.kind === 'state' && inv.granularity === 'micro') || (inv.kind === 'step' && inv.checkMicro !== undefined);

/** A micro-step probe for `inv`; a check that throws is recorded in `errors` and not asked again. */
function probeOf(inv: Invariant, ctx: CheckContext, errors: Map<string, string>): Probe {
  const guard = (f: () => Verdict): true | string => {
    if (errors.has(inv.id)) return true;
    tracker?.checking(trackIndex.get(inv.id) ?? -1);
    try {
      const v = f();
      return v === true ? true : String(v);
    } catch (e) {
      errors.set(inv.id, checkError(inv.id, e));
      return true;
    } finally {
      tracker?.checking(-1);
    }
  };
  if (inv.kind === 'state') return { before: false, check: (after) => guard(() => inv.check(after, ctx)) };
  if (inv.kind !== 'step' || inv.checkMicro === undefined) throw new Error(`invariant ${inv.id} has no micro-step check`);
  const cm = inv.checkMicro;
  return { before: true, check: (after, step, before, event) => guard(() => cm({ event, step, before: before as MachineState, after }, ctx)) };
}

/** Where judging is (the pool's watchdog reads it); null when nobody watches. */
let tracker: Tracker | null = null;
/** Index of each invariant in the list being judged, for the tracker. */
let trackIndex = new Map<string, number>();

/** Runs one invariant's checks; a throw becomes an error of that invariant. */
function guarded(id: string, errors: Map<string, string>, f: () => void): void {
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

function stateViolation(inv: Extract<Invariant, { kind: 'state' }>, run: Run, ctx: CheckContext, from: number): Violation | null {
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
function stepViolations(invs: ReadonlyArray<Extract<Invariant, { kind: 'step' }>>, run: Run, ctx: CheckContext, out: Map<string, Violation>,
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

/** No comparison left open (most judgements): one shared empty list. */
const NONE_OPEN: readonly MachineState[] = [];

/** Options of {@link judge}. */
export interface JudgeOptions {
  readonly micro?: boolean;
  readonly track?: { tracker: Tracker; order: readonly string[] };
  readonly edges?: Uint8Array;
  readonly decisions?: DecisionLog;
  /** `trace` goes on from this judged prefix (whose every invariant in `invs` held): only the new events are replayed and judged. */
  readonly resume?: Continuation | null;
  /** Return a continuation in `next`. */
  readonly continuable?: boolean;
}

/**
 * Judges `invs` on one trace (one replay). `micro` also records every micro-transition; `track`
 * reports progress to a watchdog, with each invariant's index in `track.order`; `edges` collects
 * the replay's edge coverage for a guided search, `decisions` the kernel's condition vectors.
 * With `resume`, `trace` holds only the events after the continuation's, and the verdicts are
 * those of the whole trace (explore.test.ts checks them against judging it from the start).
 */
export function judge(invs: readonly Invariant[], c: CellRun, trace: readonly TraceEvent[], o: JudgeOptions = {}): Judgement {
  tracker = o.track?.tracker ?? null;
  if (o.track) trackIndex = new Map(o.track.order.map((id, i) => [id, i]));
  tracker?.tick();
  tracker?.checking(-1);
  const K = c.kernel;
  const ctx = contextOf(c);
  const errors = new Map<string, string>();
  const probed = invs.filter(micro);
  const r = o.resume ?? null;
  const from = r ? r.prefix.events.length : 0;
  const full = r ? [...r.trace, ...trace] : trace;
  const run = replay(r ? (r.prefix.states[0] as MachineState) : initialState(K, c.vendor, c.paging, c.initial), trace, K, {
    probes: probed.map((inv) => probeOf(inv, ctx, errors)), forks: invs.some((inv) => inv.kind === 'differential'), micro: o.micro ?? false,
    ...(o.edges ? { edges: o.edges } : {}), ...(o.decisions ? { decisions: o.decisions } : {}), ...(r ? { resume: r.prefix } : {}),
  });
  const out = new Map<string, Violation>();
  for (const f of run.probeFailures) {
    const inv = probed[f.probe];
    if (inv) out.set(inv.id, { step: f.event, message: f.message, where: K.describe(f.rip) });
  }
  for (const inv of invs) {
    if (inv.kind !== 'state') continue;
    // A micro-step probe saw the first violation during its event unless an event state did earlier.
    guarded(inv.id, errors, () => {
      const v = stateViolation(inv, run, ctx, from);
      const p = out.get(inv.id);
      if (v && (p === undefined || v.step < p.step)) out.set(inv.id, v);
    });
  }
  const start = r ? copyMemos(r.memos) : null;
  const steps = stepViolations(invs.filter((inv): inv is Extract<Invariant, { kind: 'step' }> => inv.kind === 'step'), run, ctx, out, errors,
    from, start, o.continuable === true);
  const open = new Map<number, readonly MachineState[]>();
  // A prefix's fork whose comparison ended before its drain ended the same way here (and held).
  const closed = (n: number): boolean => r !== null && n < r.prefix.forks.length && !r.open.includes(n);
  const still = new Set<number>();
  for (const inv of invs) {
    if (inv.kind !== 'differential') continue;
    guarded(inv.id, errors, () => {
      for (const [n, f] of run.forks.entries()) {
        if (closed(n)) continue;
        const sides = forkSides(K, run, f, full);
        if (!sides.converged) open.set(n, sides.open);
        if (!sides.converged || sides.end >= run.events.length) still.add(n);
        const v = fail(inv.check({ event: f.event, via: f.via, state: f.state, actual: sides.actual, alternative: sides.alternative }, ctx), f.event);
        if (v) { out.set(inv.id, { ...v, where: K.describe(f.state.cpu.regs.rip) }); break; }
      }
    });
  }
  for (const id of errors.keys()) out.delete(id);
  const next = o.continuable === true && steps.kept !== null && (r === null || start !== null)
    ? { trace: full, prefix: prefixOf(run, run.events.length), memos: steps.kept, open: [...still].sort((a, b) => a - b) }
    : null;
  return {
    run, violations: out, errors, memos: steps.memos, openForks: open.size, openStates: open.size === 0 ? NONE_OPEN : [...open].sort((a, b) => a[0] - b[0]).flatMap(([, st]) => st), next,
  };
}

/** The outcome of evaluating one invariant. */
export interface Evaluation {
  readonly violation: Violation | null;
  /** The events as applied (symbols resolved). */
  readonly events: readonly Event[];
  /** Kernel micro-steps executed by the main replay. */
  readonly microSteps: number;
}

/** Evaluates one invariant on a trace. */
export function evaluate(inv: Invariant, c: CellRun, trace: readonly TraceEvent[]): Evaluation {
  const j = judge([inv], c, trace);
  const error = j.errors.get(inv.id);
  if (error !== undefined) throw new Error(error);
  return { violation: j.violations.get(inv.id) ?? null, events: j.run.events, microSteps: j.run.microSteps };
}
