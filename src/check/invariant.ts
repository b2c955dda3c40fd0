/**
 * defineInvariant: the one way to write an invariant. Three kinds (DESIGN.md section 4):
 * - `state`: a predicate on every state (after each event, or after each kernel micro-step);
 * - `step`: a predicate on each transition (previous state, event, next state, observations);
 * - `differential`: at each point where the kernel returned with SYSRET/SYSRETL/SYSEXIT, the
 *   checker forks the state, runs the alternative (an IRET exit from the same pt_regs) over the
 *   rest of the trace, and hands both observation sequences to the check.
 * A check returns true, or a message "expected X, got Y". Invariants read states and
 * observations; none may read a design's knobs (they are not given any).
 */
import type { Paging, Vendor } from '../isa/index.ts';
import type { Event, KernelImpl, MachineState, MicroStep, Observation, ReturnVia, TaggedObservation } from '../model/index.ts';

/** true, or what went wrong as "expected X, got Y". */
export type Verdict = true | string;

/** What every check may consult besides the states: the run's parameters and the kernel text. */
export interface CheckContext {
  readonly vendor: Vendor;
  readonly paging: Paging;
  /** Describes kernel addresses and exposes the text's metadata; not the design's knobs. */
  readonly kernel: Pick<KernelImpl, 'describe' | 'at' | 'percpuBase' | 'isKernelStack' | 'fixupFor' | 'vdso'>;
}

/** One transition, for step invariants. */
export interface Transition {
  readonly index: number;
  readonly event: Event;
  readonly skipped: boolean;
  readonly before: MachineState;
  readonly after: MachineState;
  readonly observations: readonly Observation[];
  /**
   * Every observation up to the end of this event, tagged with its event index. It grows in
   * place as the run is judged: read it during the check, do not keep it. `observations[j]` is
   * `history[historyStart + j]`.
   */
  readonly history: readonly TaggedObservation[];
  readonly historyStart: number;
  /** The state before event i (i = events.length: the final state). */
  readonly stateAt: (i: number) => MachineState;
}

/** One kernel micro-step, for micro-granularity checks. */
export interface MicroTransition {
  readonly event: number;
  readonly step: MicroStep;
  readonly before: MachineState;
  readonly after: MachineState;
}

/** The two runs a differential check compares, from one fork point. */
export interface Fork {
  /** Event index during whose kernel run the fork happened. */
  readonly event: number;
  readonly via: ReturnVia;
  /** The state at the fork (before the first step of the fast exit). */
  readonly state: MachineState;
  /** Observations of the run as it happened (fast exit), from the fork on. */
  readonly actual: readonly Observation[];
  /** Observations of the alternative run that returns by IRET instead, from the fork on. */
  readonly alternative: readonly Observation[];
}

interface Common {
  /** Stable id; also the counterexamples/ folder name. */
  readonly id: string;
  /** One line: what must hold. */
  readonly summary: string;
  /** What the invariant rests on (reference section, SDM, commit). */
  readonly source: string;
}

/** A state invariant. */
export interface StateInvariantSpec extends Common {
  readonly kind: 'state';
  /** 'event': after each event (default); 'micro': after every kernel micro-step as well. */
  readonly granularity?: 'event' | 'micro';
  readonly check: (s: MachineState, ctx: CheckContext) => Verdict;
}

/**
 * A step invariant. With `init`, it is a monitor: `init()` gives fresh memory for each trace
 * and every check of that trace gets it (what it has seen so far), so a check can look at this
 * event's observations only instead of the whole history: judging stays linear in the trace.
 */
export interface StepInvariantSpec<M = unknown> extends Common {
  readonly kind: 'step';
  readonly init?: () => M;
  readonly check: (t: Transition, ctx: CheckContext, memo: M) => Verdict;
  /** Optional: checked on every kernel micro-step too. */
  readonly checkMicro?: (t: MicroTransition, ctx: CheckContext) => Verdict;
}

/** A differential invariant. */
export interface DifferentialInvariantSpec extends Common {
  readonly kind: 'differential';
  readonly check: (f: Fork, ctx: CheckContext) => Verdict;
}

/** Any invariant spec. */
export type InvariantSpec = StateInvariantSpec | StepInvariantSpec | DifferentialInvariantSpec;

/** A defined invariant. `sanity` marks reachability claims that must be violated. */
export type Invariant = InvariantSpec & { readonly sanity: boolean };

/** Defines an invariant (the default export of a file under properties/). */
export function defineInvariant<M>(spec: (StateInvariantSpec | StepInvariantSpec<M> | DifferentialInvariantSpec) & { sanity?: boolean }): Invariant;
export function defineInvariant(spec: InvariantSpec & { sanity?: boolean }): Invariant {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(spec.id)) throw new Error(`invariant id "${spec.id}": lower-case letters, digits and dashes only`);
  return { ...spec, sanity: spec.sanity ?? false };
}
