/**
 * The two sides of a differential check at one fork point: the run as it happened (the fast
 * exit: SYSRET, SYSRETL or SYSEXIT) and the alternative that returns by IRET from the same
 * pt_regs. The main run is reused as the actual side; only the alternative is run, and only
 * until it reaches a state the main run also reached at the same event boundary (the same
 * future, `sameFuture`): from there on both would observe the same things.
 *
 * Hardware events in flight: the two exits take different numbers of micro-steps, so the
 * alternative holds the armed countdowns during its exit and re-arms them once it is back in
 * user mode, with the time the fast exit left them: each side sees them at the same user-level
 * point. If one would have fired inside the fast exit itself (or the fast exit never got back
 * to user mode), both sides are run that way from the fork, as the old differential did.
 */
import { cpl } from '../isa/index.ts';
import {
  applyEvent, DEFAULT_MAX_STEPS, boundary, Machine, microStep, newRecording, runKernel,
  type Armed, type ForkPoint, type KernelImpl, type MachineState, type Observation, type Run, type TraceEvent,
} from '../model/index.ts';
import { sameFuture } from './same-future.ts';

/** The observations of both sides from the fork until they agree on the future (or the trace ends). */
export interface ForkSides {
  readonly actual: Observation[];
  readonly alternative: Observation[];
  /** The sides reached states with the same future: no later event can tell them apart. */
  readonly converged: boolean;
  /** When they did not: the states the comparison would go on from (what a longer trace depends on). */
  readonly open: readonly MachineState[];
  /** The event after which they agreed (the trace's length: the final drain, or never). */
  readonly end: number;
}

/** Runs the kernel from a fork until the exit it is on returns to user mode (or halts, or hangs). */
function exitToUser(w: Machine, K: KernelImpl, maxSteps: number): void {
  w.rec.openFork = { event: -1, via: 'iret', state: w, obsIndex: 0, returnClock: -1 };
  for (let n = 0; n < maxSteps && w.k.halted === null && w.rec.openFork !== null; n++) {
    boundary(w);
    if (w.k.halted !== null || cpl(w.cpu) === 3) break;
    microStep(w, K);
  }
  w.rec.openFork = null;
}

/** A machine at `fork` with the armed countdowns held, its exit at `rip` (undefined: the fast exit). */
function held(fork: MachineState, rip?: bigint): Machine {
  const w = new Machine(fork, newRecording({ forks: false }));
  w.hwW().armed = [];
  if (rip !== undefined) w.regsW().rip = rip;
  return w;
}

/** Re-arms `armed` on `w`, shifted so that each fires `due - after` boundaries after `w` returned. */
function rearm(w: Machine, armed: readonly Armed[], after: number): void {
  if (armed.length === 0) return;
  const back = w.clock;
  w.hwW().armed = [...w.hw.armed, ...armed.map((a) => ({ ...a, due: back + Math.max(0, a.due - after) }))];
}

/**
 * Applies events from `from` on (the last "event" is the final drain), stopping at the first
 * boundary where `other(j)`, the other side's state after event j, has the same future.
 * Returns the event after which it stopped.
 */
function rest(w: Machine, K: KernelImpl, trace: readonly TraceEvent[], from: number, other: (j: number) => MachineState | undefined,
  maxSteps: number, after?: (j: number) => void): { end: number; same: boolean } {
  for (let j = from; j <= trace.length; j++) {
    if (j < trace.length) applyEvent(w, trace[j] as TraceEvent, K, maxSteps);
    else runKernel(w, K, maxSteps);
    after?.(j);
    const o = other(j);
    if (o !== undefined && sameFuture(w, o)) return { end: j, same: true };
  }
  return { end: trace.length, same: false };
}

/** The actual and alternative observations at one fork point of `run`. */
export function forkSides(K: KernelImpl, run: Run, fork: ForkPoint, trace: readonly TraceEvent[], maxSteps = DEFAULT_MAX_STEPS): ForkSides {
  const f = fork.state;
  const armed = f.hw.armed;
  const inside = fork.returnClock < 0 || armed.some((a) => a.due <= fork.returnClock);
  const alt = held(f, K.iretExit);
  exitToUser(alt, K, maxSteps);
  if (!inside) {
    // The fast exit's first user boundary came at returnClock + 1; the alternative's comes now.
    rearm(alt, armed, fork.returnClock + 1);
    const { end, same } = rest(alt, K, trace, fork.event, (j) => run.states[j + 1], maxSteps);
    const until = run.obsStart[end + 1] ?? run.observations.length;
    return { actual: run.observations.slice(fork.obsIndex, until).map((t) => t.o), alternative: alt.takeObservations(), converged: same, open: same ? [] : [alt.snapshot()], end };
  }
  // Both sides from the fork, the countdowns held through both exits (the fast one sets the pace).
  const fast = held(f);
  exitToUser(fast, K, maxSteps);
  const paced = fast.clock;
  rearm(fast, armed, paced);
  rearm(alt, armed, paced);
  const states: MachineState[] = [];
  const seen: number[] = [];
  const actual: Observation[] = [];
  rest(fast, K, trace, fork.event, () => undefined, maxSteps, (j) => {
    actual.push(...fast.takeObservations());
    seen[j] = actual.length;
    states[j] = fast.snapshot();
  });
  const { end, same } = rest(alt, K, trace, fork.event, (j) => states[j], maxSteps);
  return { actual: actual.slice(0, seen[end] ?? actual.length), alternative: alt.takeObservations(), converged: same, open: same ? [] : [fast.snapshot(), alt.snapshot()], end };
}
