/**
 * Judging invariants on a trace: one replay (a Run) serves every invariant. State invariants
 * read the boundary states; micro-granularity ones and `checkMicro` run as probes after every
 * kernel micro-step of that same replay; step invariants read the transitions with the history
 * so far; differential ones compare the run with its IRET alternative at every fork point.
 */
import type { Paging, Vendor } from '../isa/index.ts';
import { initialState, type BuiltKernel, type InitialOverrides } from '../kernel/index.ts';
import { prefixOf, replay, type DecisionLog, type Event, type MachineState, type Run, type RunPrefix, type TraceEvent } from '../model/index.ts';
import { forkSides } from './differential.ts';
import type { CheckContext, Invariant } from './invariant.ts';
import { copyMemos, fail, guarded, micro, probeOf, stateViolation, stepViolations, watch } from './monitors.ts';
import type { Tracker } from './tracker.ts';

export { checkError } from './monitors.ts';

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

/** No comparison left open (most judgements): one shared empty list. */
const NONE_OPEN: readonly MachineState[] = [];

/** Options of {@link judge}. */
export interface JudgeOptions {
  readonly micro?: boolean;
  readonly track?: { tracker: Tracker; order: readonly string[] };
  readonly edges?: Uint8Array;
  readonly decisions?: DecisionLog;
  /** Record the run's shadowed boundaries (model RunOptions.shadows). */
  readonly shadows?: boolean;
  /** Record every kernel boundary and what it would take at once (model RunOptions.boundaries). */
  readonly boundaries?: boolean;
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
  watch(o.track);
  const K = c.kernel;
  const ctx = contextOf(c);
  const errors = new Map<string, string>();
  const probed = invs.filter(micro);
  const r = o.resume ?? null;
  const from = r ? r.prefix.events.length : 0;
  const full = r ? [...r.trace, ...trace] : trace;
  // One shape of options for every replay (no spreads): the model's reads of them stay monomorphic.
  const run = replay(r ? (r.prefix.states[0] as MachineState) : initialState(K, c.vendor, c.paging, c.initial), trace, K, {
    probes: probed.map((inv) => probeOf(inv, ctx, errors)), forks: invs.some((inv) => inv.kind === 'differential'), micro: o.micro ?? false,
    edges: o.edges, decisions: o.decisions, shadows: o.shadows === true, boundaries: o.boundaries === true, resume: r?.prefix,
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
