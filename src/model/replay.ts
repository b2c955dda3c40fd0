/**
 * Replaying a trace: every state, the skipped events, and the observations, each tagged with
 * the index of the event during which it happened (events.length for the final drain).
 */
import { DEFAULT_MAX_STEPS, type EngineOptions } from './engine.ts';
import type { Event } from './events.ts';
import type { KernelImpl } from './kernel-api.ts';
import type { Observation } from './observations.ts';
import type { MachineState } from './state.ts';
import { drain, step } from './step.ts';

/** An observation and the event index it belongs to. */
export interface TaggedObservation {
  readonly at: number;
  readonly o: Observation;
}

/** Everything a replay produced. */
export interface ReplayResult {
  /** states[0] is the initial state; states[i + 1] the state after event i; the last, after the drain. */
  readonly states: readonly MachineState[];
  readonly skipped: readonly number[];
  readonly observations: readonly TaggedObservation[];
  readonly final: MachineState;
}

/** Replay options. */
export interface ReplayOptions extends Partial<EngineOptions> {
  /** Let the kernel run to user mode after the last event (default true). */
  readonly drain?: boolean;
  /** Gives event i its final values at the boundary where it runs (see {@link step}). */
  readonly resolve?: (i: number, m: MachineState) => Event;
  /** Called with each event as it was actually applied. */
  readonly onEvent?: (i: number, e: Event) => void;
}

/** Replays `events` from `initial` on kernel `K`. */
export function replay(initial: MachineState, events: readonly Event[], K: KernelImpl, options: ReplayOptions = {}): ReplayResult {
  const opts: EngineOptions = { maxSteps: DEFAULT_MAX_STEPS, ...options };
  const states: MachineState[] = [initial];
  const skipped: number[] = [];
  const observations: TaggedObservation[] = [];
  let m = initial;
  events.forEach((e, i) => {
    const res = options.resolve;
    let applied = e;
    const r = step(m, e, K, opts, res ? (mm) => (applied = res(i, mm)) : undefined);
    options.onEvent?.(i, applied);
    if (r.skipped) skipped.push(i);
    for (const o of r.observations) observations.push({ at: i, o });
    m = r.state;
    states.push(m);
  });
  if (options.drain !== false) {
    const r = drain(m, K, opts);
    for (const o of r.observations) observations.push({ at: events.length, o });
    m = r.state;
    states.push(m);
  }
  return { states, skipped, observations, final: m };
}
