/**
 * A run as a value: a whole trace replayed on one working machine, with everything replay,
 * search, shrinking, reports and invariants read: the events as they ran, the state at every
 * event boundary, the observations tagged with their event, the fork points of fast exits, and,
 * where asked for, every micro-transition and the verdicts of micro-step probes.
 */
import { DEFAULT_MAX_STEPS, runKernel } from './engine.ts';
import { isHwEvent, type Event, type TraceEvent } from './events.ts';
import type { KernelImpl } from './kernel-api.ts';
import { Machine } from './machine.ts';
import { newRecording, type ForkPoint, type MicroRecord, type ProbeFailure } from './recording.ts';
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
  /** With `shadows`: the shadowed boundaries an IRQ and NMI pair can reach, as [event, clock] (Recording.shadowed); otherwise null. */
  readonly shadowed: ReadonlyArray<readonly [number, number]> | null;
  /** With `boundaries`: each kernel micro-step's boundary as [event, clock, taken] (Recording.boundaries); otherwise null. */
  readonly boundaries: ReadonlyArray<readonly [number, number, number]> | null;
  readonly probeFailures: readonly ProbeFailure[];
  readonly microSteps: number;
  /** Kernel entries started, by kind ("syscall64", "idt:14"), and the deepest nesting on one task. */
  readonly entries: Readonly<Record<string, number>>;
  readonly maxDepth: number;
  readonly final: MachineState;
}

/**
 * A run's first events, up to the boundary after its last event (no drain): a longer trace that
 * starts with the same events goes on from here instead of replaying them. Its `states` end at
 * states[events.length] and its `obsStart` has one entry per event.
 */
export type RunPrefix = Pick<Run, 'events' | 'skipped' | 'states' | 'observations' | 'obsStart' | 'forks'> & {
  /** The run's final drain, when a longer trace may start from its end (see {@link Settled}). */
  readonly settled?: Settled;
};

/**
 * What the final drain of a run did: the kernel ran from the last event's boundary to user mode
 * (or to idle), and that is the first thing any next event but a hardware one does (step.ts
 * applyEvent), with the same event index. A longer trace that goes on from the prefix with such
 * an event starts from here instead of running the kernel path again: explore extends each state
 * by every event of its alphabet, so this saves one kernel path per trace. Kept only when the
 * drain ended normally (not halted, every fast exit it started back in user mode), so the runs
 * agree (resume.test.ts compares them with replays from the start).
 */
export interface Settled {
  readonly state: MachineState;
  /** The drain's observations, in order. */
  readonly out: readonly Observation[];
  /** Fork points the drain started (their fast exits ended in it). */
  readonly forks: readonly ForkPoint[];
}

/** Replay options. */
export interface ReplayOptions extends RunOptions {
  /** Let the kernel run to user mode after the last event (default true). */
  readonly drain?: boolean;
  /**
   * Go on from this prefix: `events` are the events after it, and the run returned is the whole
   * trace's (indices count from the start). Micro-step counts, entries, probes, edges and
   * decisions cover only what this call ran.
   */
  readonly resume?: RunPrefix;
}

/** The prefix of `run` up to the boundary after its first `length` events. */
export function prefixOf(run: Run, length: number): RunPrefix {
  const obsEnd = run.obsStart[length] ?? run.observations.length;
  const prefix = {
    events: run.events.slice(0, length), skipped: run.skipped.filter((i) => i < length), states: run.states.slice(0, length + 1),
    observations: run.observations.slice(0, obsEnd), obsStart: run.obsStart.slice(0, length), forks: run.forks.filter((f) => f.event < length),
  };
  const drained = length === run.events.length && run.states.length === length + 2 && run.final.k.halted === null;
  const forks = drained ? run.forks.filter((f) => f.event === length) : [];
  if (!drained || forks.some((f) => f.returnClock < 0)) return prefix;
  return { ...prefix, settled: { state: run.final, out: run.observations.slice(obsEnd).map((t) => t.o), forks } };
}

/** Replays `events` from `initial` (or after `o.resume`) on kernel `K`. Cost is linear in the number of events. */
export function replay(initial: MachineState, events: readonly TraceEvent[], K: KernelImpl, o: ReplayOptions = {}): Run {
  const rec = newRecording(o);
  const p = o.resume;
  const states: MachineState[] = p ? p.states.slice() : [initial];
  // Going on from a settled drain: the first event would run that same kernel path first.
  const settled = p?.settled !== undefined && o.micro !== true && events.length > 0 && !isHwEvent(events[0] as TraceEvent) ? p.settled : null;
  const w = new Machine(settled?.state ?? states[states.length - 1] as MachineState, rec);
  const maxSteps = o.maxSteps ?? DEFAULT_MAX_STEPS;
  const applied: Event[] = p ? p.events.slice() : [];
  const skipped: number[] = p ? p.skipped.slice() : [];
  const observations: TaggedObservation[] = p ? p.observations.slice() : [];
  const obsStart: number[] = p ? p.obsStart.slice() : [];
  rec.obsBase = observations.length;
  // The machine's observation buffer is drained in place (no new array per event).
  const take = (at: number): void => {
    const out = w.out;
    for (let k = 0; k < out.length; k++) observations.push({ at, o: out[k] as Observation });
    out.length = 0;
    rec.obsBase = observations.length;
  };
  if (settled !== null) {
    w.out.push(...settled.out);
    rec.forks?.push(...settled.forks);
  }
  const base = applied.length;
  const all = base + events.length;
  for (let i = base; i < all; i++) {
    rec.event = i;
    obsStart.push(observations.length);
    const r = applyEvent(w, events[i - base] as TraceEvent, K, maxSteps);
    applied.push(r.applied);
    if (r.skipped) skipped.push(i);
    take(i);
    states.push(w.snapshot());
  }
  obsStart.push(observations.length);
  if (o.drain !== false) {
    rec.event = all;
    runKernel(w, K, maxSteps);
    take(all);
    states.push(w.snapshot());
  }
  return {
    events: applied, skipped, states, observations, obsStart, forks: p ? [...p.forks, ...rec.forks ?? []] : rec.forks ?? [], micro: rec.micro, shadowed: rec.shadowed, boundaries: rec.boundaries,
    probeFailures: rec.probeFailures, microSteps: rec.microSteps, entries: rec.entries, maxDepth: rec.maxDepth,
    final: states[states.length - 1] as MachineState,
  };
}

/** The old name of a run's result. */
export type ReplayResult = Run;
