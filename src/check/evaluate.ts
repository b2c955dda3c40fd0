/**
 * Evaluating one invariant on one trace: replay (resolving the trace's symbolic values), check
 * states, transitions and micro-steps as the invariant asks, and for differential invariants run
 * the IRET alternative from every fork point.
 */
import type { Paging, Vendor } from '../isa/index.ts';
import { initialState, type BuiltKernel, type InitialOverrides } from '../kernel/index.ts';
import { DEFAULT_MAX_STEPS, replay, runKernel, type Event, type MachineState, type MicroStep, type Observation, type ReturnVia } from '../model/index.ts';
import { TraceCoverage, type Coverage } from './coverage.ts';
import type { CheckContext, Invariant, Verdict } from './invariant.ts';
import { resolveEvent, type RawEvent } from './trace-file.ts';

/** Where and why an invariant failed. */
export interface Violation {
  readonly step: number;
  readonly message: string;
}

/** The outcome of an evaluation. */
export interface Evaluation {
  readonly violation: Violation | null;
  /** The events as applied (symbols resolved). */
  readonly events: readonly Event[];
  /** Kernel micro-steps executed by the main replay. */
  readonly microSteps: number;
}

class Stop {
  constructor(readonly v: Violation) {}
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

const fail = (v: Verdict, step: number): Violation | null => (v === true ? null : { step, message: v });

/** Evaluates `inv` on a trace of raw (file-form) or concrete events. */
export function evaluate(inv: Invariant, c: CellRun, trace: readonly (RawEvent | Event)[], coverage?: Coverage): Evaluation {
  const cov = coverage ? new TraceCoverage(coverage, trace) : undefined;
  const K = c.kernel;
  const ctx = contextOf(c);
  const m0 = initialState(K, c.vendor, c.paging, c.initial);
  const micro = (inv.kind === 'state' && inv.granularity === 'micro') || (inv.kind === 'step' && inv.checkMicro !== undefined);
  const forks: Array<{ event: number; via: ReturnVia; state: MachineState }> = [];
  const applied: Event[] = [];
  let current = 0;
  let steps = 0;
  const onMicro = (before: MachineState, step: MicroStep, after: MachineState): void => {
    steps++;
    cov?.step(before, after);
    if (!micro) return;
    let v: Violation | null = null;
    if (inv.kind === 'state') v = fail(inv.check(after, ctx), current);
    else if (inv.kind === 'step' && inv.checkMicro) v = fail(inv.checkMicro({ event: current, step, before, after }, ctx), current);
    if (v) throw new Stop(v);
  };
  let result;
  try {
    result = replay(m0, trace as Event[], K, {
      resolve: (i, m) => resolveEvent(trace[i] as RawEvent, c.paging, i, 'trace', m.cpu.regs.rip),
      onEvent: (i, e) => { applied[i] = e; current = i + 1; },
      onMicro,
      ...(inv.kind === 'differential' ? { onFork: (m: MachineState, via: ReturnVia) => { forks.push({ event: current, via, state: m }); } } : {}),
    });
  } catch (e) {
    if (e instanceof Stop) return { violation: e.v, events: applied.filter((x) => x !== undefined), microSteps: steps };
    throw e;
  }
  const events = applied;
  cov?.close(result.observations);
  const done = (v: Violation | null): Evaluation => ({ violation: v, events, microSteps: steps });
  if (inv.kind === 'state') {
    for (let i = 1; i < result.states.length; i++) {
      const v = fail(inv.check(result.states[i] as MachineState, ctx), i - 1);
      if (v) return done(v);
    }
  } else if (inv.kind === 'step') {
    const skipped = new Set(result.skipped);
    const obs: Observation[][] = result.states.map(() => []);
    for (const t of result.observations) obs[t.at]?.push(t.o);
    for (let i = 0; i < result.states.length - 1; i++) {
      const event = events[i] ?? ({ type: 'user.nop' } as Event);
      const history = result.observations.filter((o) => o.at <= i);
      const t = {
        index: i, event, skipped: skipped.has(i), before: result.states[i] as MachineState, after: result.states[i + 1] as MachineState,
        observations: obs[i] ?? [], history, stateAt: (k: number) => result.states[Math.min(k, result.states.length - 1)] as MachineState,
      };
      const v = fail(inv.check(t, ctx), i);
      if (v) return done(v);
    }
  } else {
    for (const f of forks) {
      const [actual, alternative] = compareRuns(K, f.state, events.slice(f.event));
      const v = fail(inv.check({ event: f.event, via: f.via, state: f.state, actual, alternative }, ctx), f.event);
      if (v) return done(v);
    }
  }
  return done(null);
}

/**
 * Runs the fast exit from a fork state and the IRET exit from the same state, then the rest of
 * the trace on both. The two exits take different numbers of micro-steps, so hardware events
 * armed at the fork are held until both runs are back in user mode and then re-armed in both
 * with the same remaining count: each run sees the same interrupts at the same user-level point.
 */
export function compareRuns(K: BuiltKernel, fork: MachineState, rest: readonly Event[]): [Observation[], Observation[]] {
  const armed = fork.hw.armed;
  const held: MachineState = { ...fork, hw: { ...fork.hw, armed: [] } };
  const alt: MachineState = { ...held, cpu: { ...held.cpu, regs: { ...held.cpu.regs, rip: K.iretExit } } };
  const opts = { maxSteps: DEFAULT_MAX_STEPS };
  const go = (m: MachineState, elapsed?: number): { obs: Observation[]; elapsed: number } => {
    const obs: Observation[] = [];
    const back = runKernel(m, K, (o) => obs.push(o), opts);
    const took = elapsed ?? back.clock - m.clock;
    const rearmed = armed.map((a) => ({ ...a, remaining: Math.max(0, a.remaining - took) }));
    const r = replay({ ...back, hw: { ...back.hw, armed: [...back.hw.armed, ...rearmed] } }, rest, K);
    return { obs: [...obs, ...r.observations.map((t) => t.o)], elapsed: took };
  };
  const a = go(held);
  const b = go(alt, a.elapsed);
  return [a.obs, b.obs];
}
