/**
 * The pure step function: one trace event applied to a machine state. Every event but `hw.*`
 * first lets the kernel run until user code is next (or nothing can run); `hw.*` events arm a
 * countdown at the boundary where the CPU is, so `after` counts from there. An event that is not
 * enabled in the state it meets is skipped, so deleting events always leaves a valid trace.
 */
import { cpl } from '../isa/index.ts';
import { currentTask, runKernel, type EngineOptions } from './engine.ts';
import { isHwEvent, isUserEvent, type Event } from './events.ts';
import type { KernelImpl } from './kernel-api.ts';
import type { Observation } from './observations.ts';
import type { Armed, MachineState } from './state.ts';
import { execUser } from './user.ts';

/** What one event did. */
export interface StepResult {
  readonly state: MachineState;
  readonly skipped: boolean;
  readonly observations: readonly Observation[];
}

/** True when the current task's user code is the next thing the CPU runs. */
export function atUserBoundary(m: MachineState): boolean {
  return m.k.halted === null && cpl(m.cpu) === 3 && currentTask(m).mode === 'user';
}

/**
 * Applies one event. `resolve`, if given, is asked for the event's final values at the boundary
 * where it runs (how a trace file's "$next" becomes an address); `e` only needs the right type.
 */
export function step(m0: MachineState, e0: Event, K: KernelImpl, opts: EngineOptions, resolve?: (m: MachineState) => Event): StepResult {
  let e = e0;
  const observations: Observation[] = [];
  const emit = (o: Observation): void => { observations.push(o); };
  if (m0.k.halted !== null) return { state: m0, skipped: true, observations };
  if (isHwEvent(e)) {
    const armed: Armed = e.type === 'hw.irq' ? { kind: 'irq', vector: e.vector ?? 0x20, remaining: e.after }
      : e.type === 'hw.nmi' ? { kind: 'nmi', vector: 2, remaining: e.after } : { kind: 'ldt', vector: e.index, remaining: e.after };
    return { state: { ...m0, hw: { ...m0.hw, armed: [...m0.hw.armed, armed] } }, skipped: false, observations };
  }
  const m = runKernel(m0, K, emit, opts);
  if (resolve) e = resolve(m);
  if (isUserEvent(e)) {
    if (!atUserBoundary(m)) return { state: m, skipped: true, observations };
    return { state: execUser(m, e, K, emit), skipped: false, observations };
  }
  if (m.k.halted !== null) return { state: m, skipped: true, observations };
  if (isHwEvent(e)) return { state: m, skipped: true, observations };
  const r = K.env(m, e, { emit, next: 0n });
  return r === null ? { state: m, skipped: true, observations } : { state: r, skipped: false, observations };
}

/** Lets the kernel finish what the last event started (run until user code is next). */
export function drain(m: MachineState, K: KernelImpl, opts: EngineOptions): StepResult {
  const observations: Observation[] = [];
  const state = runKernel(m, K, (o) => { observations.push(o); }, opts);
  return { state, skipped: false, observations };
}
