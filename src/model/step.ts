/**
 * The step semantics of a trace: one event applied to a machine. Every event but `hw.*` first
 * lets the kernel run until user code is next (or nothing can run); `hw.*` events arm a
 * countdown at the boundary where the CPU is, so `after` counts from there. An event's symbolic
 * operands are resolved where it runs. An event that is not enabled in the state it meets is
 * skipped, so deleting events always leaves a valid trace. `step` is the pure form: a state in,
 * the next state and everything that happened out, as data.
 */
import type { DecisionLog } from './decisions.ts';
import { cpl, is64 } from '../isa/index.ts';
import { currentTask, traceeOf } from './delivery.ts';
import { DEFAULT_MAX_STEPS, runKernel } from './engine.ts';
import { isHwEvent, isUserEvent, type Event, type TraceEvent } from './events.ts';
import type { KernelImpl } from './kernel-api.ts';
import { Machine } from './machine.ts';
import { newRecording, type ForkPoint, type MicroRecord, type Probe, type ProbeFailure } from './recording.ts';
import type { Observation } from './observations.ts';
import { resolveEvent } from './operand.ts';
import type { MachineState } from './state.ts';
import { execUser } from './user.ts';

/** What a run records besides boundary states and observations. */
export interface RunOptions {
  /** Micro-steps allowed per kernel run before the kernel is declared hung. */
  readonly maxSteps?: number;
  /** Record every kernel micro-step with the states around it (reports, tests). */
  readonly micro?: boolean;
  /** Record SYSRET/SYSRETL/SYSEXIT fork points (the differential invariant; default true). */
  readonly forks?: boolean;
  /** State predicates evaluated after every micro-step (micro-granularity invariants). */
  readonly probes?: readonly Probe[];
  /**
   * Edge coverage for a guided search: each (previous micro-step, micro-step, nesting depth)
   * bumps a saturating counter at its hash in this caller-owned map (EDGE_MAP_SIZE bytes).
   */
  readonly edges?: Uint8Array;
  /** Decision coverage: the kernel's decisions record their condition vectors here (decisions.ts). */
  readonly decisions?: DecisionLog;
  /** Record the boundaries inside an interrupt shadow whose held-back IRQ would meet another state than one boundary later (Recording.shadowed). */
  readonly shadows?: boolean;
  /** Record every kernel micro-step's boundary and the interrupts it would take at once (Recording.boundaries). */
  readonly boundaries?: boolean;
}

/** True when the current task's user code is the next thing the CPU runs. */
export function atUserBoundary(m: MachineState): boolean {
  return m.k.halted === null && cpl(m.cpu) === 3 && currentTask(m).mode === 'user';
}

/**
 * R8-R15 exist only in 64-bit mode: 32-bit code has no REX prefix to name them (SDM Vol. 1
 * 3.4.1.1), so a write to one from compatibility mode is not an instruction user code can run.
 */
function encodable(w: Machine, e: Event): boolean {
  return e.type !== 'user.setReg' || !REX_ONLY.has(e.reg) || is64(w.cpu);
}
const REX_ONLY: ReadonlySet<string> = new Set(['r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15']);

/**
 * The RIP an event's `$rip` and `$next` are read at: the CPU's, except for a tracer's event while
 * the tracee is not the task running user code. A tracer acts on the tracee's saved user
 * registers (pt_regs, what PTRACE_GETREGS shows it), so `tracer.setRegs {rip: $rip+2}` skips the
 * instruction the tracee stopped at, as a debugger does, whichever task runs meanwhile.
 */
function ripOf(w: Machine, e: TraceEvent): bigint {
  if (e.type.startsWith('tracer.')) {
    const t = traceeOf(w);
    if (t !== undefined && !(t.id === w.k.current && atUserBoundary(w))) return t.regs.rip;
  }
  return w.cpu.regs.rip;
}

/** Applies one event to the working machine; returns it as it ran, and whether it was skipped. */
export function applyEvent(w: Machine, e: TraceEvent, K: KernelImpl, maxSteps = DEFAULT_MAX_STEPS): { applied: Event; skipped: boolean } {
  const symbols = K.symbols(w.cpu.paging);
  if (w.k.halted !== null) return { applied: resolveEvent(e, ripOf(w, e), symbols), skipped: true };
  if (isHwEvent(e)) {
    const due = w.clock + e.after;
    const armed = e.type === 'hw.irq' ? { kind: 'irq' as const, vector: e.vector ?? 0x20, due }
      : e.type === 'hw.nmi' ? { kind: 'nmi' as const, vector: 2, due }
        : e.type === 'hw.mce' ? { kind: 'mce' as const, vector: 18, due } : { kind: 'ldt' as const, vector: e.index, due };
    const hw = w.hwW();
    hw.armed = [...hw.armed, armed];
    return { applied: e, skipped: false };
  }
  runKernel(w, K, maxSteps);
  const applied = resolveEvent(e, ripOf(w, e), symbols);
  if (isUserEvent(applied)) {
    if (!atUserBoundary(w) || !encodable(w, applied)) return { applied, skipped: true };
    execUser(w, applied, K);
    return { applied, skipped: false };
  }
  if (w.k.halted !== null || isHwEvent(applied)) return { applied, skipped: true };
  return { applied, skipped: !K.env(w, applied) };
}

/** What one event did. */
export interface StepResult {
  readonly state: MachineState;
  /** The event as it ran (operands resolved). */
  readonly applied: Event;
  readonly skipped: boolean;
  readonly observations: readonly Observation[];
  /** Micro-transitions (only with `micro`), fork points, probe failures, micro-steps run. */
  readonly micro: readonly MicroRecord[];
  readonly forks: readonly ForkPoint[];
  readonly probeFailures: readonly ProbeFailure[];
  readonly microSteps: number;
  /** With `shadows`: the clocks of the event's shadowed boundaries (Recording.shadowed); otherwise empty. */
  readonly shadowed: readonly number[];
  /** With `boundaries`: each kernel boundary of the event as [clock, taken] (Recording.boundaries); otherwise empty. */
  readonly boundaries: ReadonlyArray<readonly [number, number]>;
}

function result(w: Machine, applied: Event, skipped: boolean): StepResult {
  const r = w.rec;
  return {
    state: w.snapshot(), applied, skipped, observations: w.takeObservations(), micro: r.micro ?? [], forks: r.forks ?? [],
    probeFailures: r.probeFailures, microSteps: r.microSteps, shadowed: r.shadowed?.map(([, clock]) => clock) ?? [],
    boundaries: r.boundaries?.map(([, clock, taken]) => [clock, taken] as const) ?? [],
  };
}

/** Applies one event to a state. */
export function step(m: MachineState, e: TraceEvent, K: KernelImpl, o: RunOptions = {}): StepResult {
  const w = new Machine(m, newRecording(o));
  const r = applyEvent(w, e, K, o.maxSteps);
  return result(w, r.applied, r.skipped);
}

/** Lets the kernel finish what the last event started (run until user code is next). */
export function drain(m: MachineState, K: KernelImpl, o: RunOptions = {}): StepResult {
  const w = new Machine(m, newRecording(o));
  runKernel(w, K, o.maxSteps);
  return result(w, { type: 'user.nop' }, false);
}
