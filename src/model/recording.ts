/**
 * What a run records besides its boundary states and observations, as it asks: micro-steps,
 * fork points (where a fast exit's IRET alternative starts), probe verdicts, kernel edges and
 * decision vectors. The working machine (machine.ts) carries one in `rec`.
 */
import type { DecisionLog } from './decisions.ts';
import type { MicroStep } from './kernel-api.ts';
import type { ReturnVia } from './observations.ts';
import type { MachineState } from './state.ts';

/** A state predicate evaluated after every kernel micro-step (a micro-granularity invariant). */
export interface Probe {
  /** Whether the check needs the state before the step too (costs a snapshot per step). */
  readonly before: boolean;
  readonly check: (after: MachineState, step: MicroStep, before: MachineState | null, event: number) => true | string;
}

/** One kernel micro-step as recorded when a run asks for micro-transitions. */
export interface MicroRecord {
  /** Index of the trace event during whose kernel run it ran (events.length: the final drain). */
  readonly event: number;
  readonly rip: bigint;
  readonly step: MicroStep;
  readonly before: MachineState;
  readonly after: MachineState;
}

/** A SYSRET/SYSRETL/SYSEXIT exit about to start: where the IRET alternative forks off. */
export interface ForkPoint {
  readonly event: number;
  readonly via: ReturnVia;
  /** The state before the first step of the fast exit. */
  readonly state: MachineState;
  /** Number of the run's observations before the fork. */
  readonly obsIndex: number;
  /** Clock when the fast exit reached user mode (-1 until it does). */
  returnClock: number;
}

/** The first failure of each probe. */
export interface ProbeFailure {
  readonly probe: number;
  readonly event: number;
  readonly rip: bigint;
  readonly step: MicroStep;
  readonly message: string;
}

/** What a run asked to be recorded besides boundary states and observations. */
export interface Recording {
  /** Event index in progress. */
  event: number;
  microSteps: number;
  /** Observations emitted before the event in progress (for fork points). */
  obsBase: number;
  readonly micro: MicroRecord[] | null;
  readonly forks: ForkPoint[] | null;
  readonly probes: readonly Probe[];
  readonly probeFailures: ProbeFailure[];
  readonly probeFailed: boolean[];
  /** Fork whose fast exit has not reached user mode yet. */
  openFork: ForkPoint | null;
  /** Some probe needs the state before each step (a snapshot per step). */
  readonly probeBefore: boolean;
  /** Kernel entries started ("syscall64", "idt:14", ...) and the deepest nesting on one task. */
  readonly entries: Record<string, number>;
  maxDepth: number;
  /** Edge coverage counters (see RunOptions.edges), or null; `prevStep` is the last step's id. */
  readonly edges: Uint8Array | null;
  /** The indices of `edges` that went from 0 to 1 in this replay, when the map has such a list ({@link touchedOf}). */
  readonly touched: number[] | null;
  prevStep: number;
  /** Decision coverage log (see RunOptions.decisions), or null. */
  readonly decisions: DecisionLog | null;
  /**
   * With RunOptions.shadows: each boundary inside an STI or MOV SS shadow at which the instruction
   * the shadow covers changed what an interrupt's reception depends on (reception.ts: IF, the
   * CPL, the GS base, the kernel stack, the nesting), as [event, clock]: only an IRQ held there
   * and released by an NMI's IRET meets that state (engine.ts). Otherwise null.
   */
  readonly shadowed: Array<readonly [number, number]> | null;
  /**
   * With RunOptions.boundaries: each kernel micro-step's boundary as [event, clock, taken], where
   * `taken` has TAKES_IRQ set if an IRQ would be taken there at once and TAKES_NMI if an NMI would
   * (isa boundaryEvent), and ENTERS_PROGRAM if the next step is of another program: where an
   * interrupt can land, for an exploration that places one at every boundary, or at those
   * between two programs (check/explore/boundaries.ts). Otherwise null.
   */
  readonly boundaries: Array<readonly [number, number, number]> | null;
}

/** Recording.boundaries' `taken` bits: the CPU would take an IRQ at once at that boundary, an NMI. */
export const TAKES_IRQ = 1;
export const TAKES_NMI = 2;
/**
 * Recording.boundaries' bit for a boundary between two programs (the step after it belongs to
 * another kernel path than the step before: a call, a return, a jump to the exit): where one
 * path hands a half-done operation to the next, so an interrupt there meets it between the two.
 */
export const ENTERS_PROGRAM = 4;

/** Size of an edge-coverage map: a power of two, so a hash masks into it. */
export const EDGE_MAP_SIZE = 1 << 16;

// An edge map's list of the counters a replay made non-zero, so its reader visits those alone
// instead of scanning the whole map after every trace (gen/features.ts).
const touchedLists = new WeakMap<Uint8Array, number[]>();

/** The list of touched counters of `edges`, made on first use; its reader empties it with the map. */
export function touchedOf(edges: Uint8Array): number[] {
  let t = touchedLists.get(edges);
  if (t === undefined) touchedLists.set(edges, t = []);
  return t;
}

/** A fresh recording. */
export function newRecording(o: { micro?: boolean; forks?: boolean; probes?: readonly Probe[]; edges?: Uint8Array; decisions?: DecisionLog; shadows?: boolean; boundaries?: boolean } = {}): Recording {
  return {
    event: 0, microSteps: 0, obsBase: 0, micro: o.micro ? [] : null, forks: o.forks === false ? null : [],
    probes: o.probes ?? [], probeFailures: [], probeFailed: [], openFork: null, entries: {}, maxDepth: 0,
    probeBefore: (o.probes ?? []).some((p) => p.before), edges: o.edges ?? null,
    touched: o.edges ? touchedOf(o.edges) : null, prevStep: 0, decisions: o.decisions ?? null,
    shadowed: o.shadows === true ? [] : null, boundaries: o.boundaries === true ? [] : null,
  };
}
