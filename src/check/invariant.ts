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

/**
 * What a check may ask of the kernel it judges: its text (which micro-step is at an address and
 * what it does) and its memory layout. Never the design's knobs: an invariant judges behaviour,
 * so the same check runs unchanged on every design.
 */
export interface CheckKernel {
  /**
   * The kernel address as people read it: `"entry_SYSCALL_64+0 (swapgs)"`
   * (program, step index, what the step does) for kernel text, `"0x..."` for any other address.
   * Use it in messages.
   */
  readonly describe: KernelImpl['describe'];
  /**
   * The micro-step at a kernel address, or undefined outside kernel text. With `s.cpu.regs.rip`
   * in kernel mode it is the step about to run: its `name`, its `path` (the program, e.g.
   * `"entry_SYSCALL_64"`), whether it touches per-CPU data through %gs (`percpu`) and whether it
   * uses the stack (`stack`), which is what a check needs to say "this step needs a kernel GS
   * base / a kernel stack".
   */
  readonly at: KernelImpl['at'];
  /** The GS base at which the kernel's per-CPU data lives: `s.cpu.gsBase === percpuBase` means the kernel GS is loaded. */
  readonly percpuBase: KernelImpl['percpuBase'];
  /** True for an address inside some kernel stack: a task's thread stack, an IST stack or an entry stack. */
  readonly isKernelStack: KernelImpl['isKernelStack'];
  /** Where a fault at a kernel RIP resumes (its exception-table fixup, as copy_from_user has), or undefined. */
  readonly fixupFor: KernelImpl['fixupFor'];
  /**
   * The 32-bit vDSO's code: `fastcall` (the SYSENTER/SYSCALL instruction of __kernel_vsyscall),
   * `int80` (the `int $0x80` after it) and `landingPad` (where a compat fast return lands).
   */
  readonly vdso: KernelImpl['vdso'];
  /**
   * Task 1's rseq critical section [`start`, `end`) and its `abort` handler: a return to user
   * mode from inside the section goes to `abort` instead (rseq_ip_fixup, kernel/rseq.c).
   */
  readonly rseq: KernelImpl['rseq'];
}

/**
 * What every check may consult besides the states and observations it is given: the run's
 * vendor and paging mode (which decide, e.g., what a canonical address is), and the kernel's
 * text and layout ({@link CheckKernel}). It is the second argument of every `check`.
 */
export interface CheckContext {
  /** The CPU vendor the run models: `'intel'` or `'amd'` (SYSRET and SS attributes differ). */
  readonly vendor: Vendor;
  /** 4- or 5-level paging: user addresses end at 2^47 or 2^56. */
  readonly paging: Paging;
  /** The kernel's text and layout; not the design's knobs. */
  readonly kernel: CheckKernel;
}

/** One transition, for step invariants: an event and what it did. */
export interface Transition {
  /** The event's index in the trace (events.length: the final drain, after the last event). */
  readonly index: number;
  /** The event as it ran, symbols resolved (a `user.nop` stands for the final drain). */
  readonly event: Event;
  /** The event was not enabled where it arrived and did nothing. */
  readonly skipped: boolean;
  /** The state before the event (shared, immutable: read it, do not keep it past the check). */
  readonly before: MachineState;
  /** The state after the event and the kernel work it caused. */
  readonly after: MachineState;
  /** What this event produced, in order: user instructions, returns to user mode, signals, traps, ptrace stops, kernel failures. */
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

/** One kernel micro-step, for `checkMicro`. */
export interface MicroTransition {
  /** The index of the event during whose kernel work it ran. */
  readonly event: number;
  /** The micro-step that ran: `name`, `path`, whether it uses per-CPU data or the stack. */
  readonly step: MicroStep;
  /** The state before it (a snapshot: this is what makes `checkMicro` slow). */
  readonly before: MachineState;
  /** The state after it. */
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
