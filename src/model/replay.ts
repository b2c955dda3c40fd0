/**
 * A run as a value: a whole trace replayed on one working machine, with everything replay,
 * search, shrinking, reports and invariants read: the events as they ran, the state at every
 * event boundary, the observations tagged with their event, the fork points of fast exits, and,
 * where asked for, every micro-transition and the verdicts of micro-step probes.
 */
import { DEFAULT_MAX_STEPS, runKernel } from './engine.ts';
import type { Event, TraceEvent } from './events.ts';
import type { KernelImpl } from './kernel-api.ts';
import { Machine, newRecording, type ForkPoint, type MicroRecord, type ProbeFailure } from './machine.ts';
import type { Observation } from './observations.ts';
import type { MachineState } from './state.ts';
import { applyEvent, type RunOptions } from './step.ts';

/** An observation and the event index it belongs to (events.length: the final drain). */
export interface TaggedObservation {
  readonly at: number;
  readonly o: Observation;
}

/** Everything a replay produced. */
export interface Run {
  /** The events as they ran (operands resolved). */
  readonly events: readonly Event[];
  /** Indices of the events that were not enabled where they arrived. */
  readonly skipped: readonly number[];
  /** states[0] is the initial state; states[i + 1] the state after event i; the last, after the drain. */
  readonly states: readonly MachineState[];
  readonly observations: readonly TaggedObservation[];
  /** Index into `observations` of the first observation of event i (i = events.length: the drain). */
  readonly obsStart: readonly number[];
  readonly forks: readonly ForkPoint[];
  /** Every micro-transition, when the run was asked to record them; otherwise null. */
  readonly micro: readonly MicroRecord[] | null;
  readonly probeFailures: readonly ProbeFailure[];
  readonly microSteps: number;
  /** Kernel entries started, by kind ("syscall64", "idt:14"), and the deepest nesting on one task. */
  readonly entries: Readonly<Record<string, number>>;
  readonly maxDepth: number;
  readonly final: MachineState;
}

/** Replay options. */
export interface ReplayOptions extends RunOptions {
  /** Let the kernel run to user mode after the last event (default true). */
  readonly drain?: boolean;
}

/** Replays `events` from `initial` on kernel `K`. Cost is linear in the number of events. */
export function replay(initial: MachineState, events: readonly TraceEvent[], K: KernelImpl, o: ReplayOptions = {}): Run {
  const rec = newRecording(o);
  const w = new Machine(initial, rec);
  const maxSteps = o.maxSteps ?? DEFAULT_MAX_STEPS;
  const states: MachineState[] = [initial];
  const applied: Event[] = [];
  const skipped: number[] = [];
  const observations: TaggedObservation[] = [];
  const obsStart: number[] = [];
  const take = (at: number): void => {
    for (const ob of w.takeObservations()) observations.push({ at, o: ob });
    rec.obsBase = observations.length;
  };
  for (let i = 0; i < events.length; i++) {
    rec.event = i;
    obsStart.push(observations.length);
    const r = applyEvent(w, events[i] as TraceEvent, K, maxSteps);
    applied.push(r.applied);
    if (r.skipped) skipped.push(i);
    take(i);
    states.push(w.snapshot());
  }
  obsStart.push(observations.length);
  if (o.drain !== false) {
    rec.event = events.length;
    runKernel(w, K, maxSteps);
    take(events.length);
    states.push(w.snapshot());
  }
  return {
    events: applied, skipped, states, observations, obsStart, forks: rec.forks ?? [], micro: rec.micro,
    probeFailures: rec.probeFailures, microSteps: rec.microSteps, entries: rec.entries, maxDepth: rec.maxDepth,
    final: states[states.length - 1] as MachineState,
  };
}

/** The old name of a run's result. */
export type ReplayResult = Run;
