/**
 * Model speed: kernel micro-steps per CPU second replaying random traces (the model alone, then
 * with every invariant judged in the same replay), and the cost of a long trace (linear in its
 * length: 1,000 and 10,000 getpid events).
 */
import fc from 'fast-check';
import { traceArbitrary } from '../src/check/arbitrary.ts';
import { judge } from '../src/check/evaluate.ts';
import type { Invariant } from '../src/check/invariant.ts';
import { toTraceEvents } from '../src/check/operands.ts';
import { designByName, kernelOf } from '../src/check/session.ts';
import { initialState } from '../src/kernel/index.ts';
import { replay, type TraceEvent } from '../src/model/index.ts';
import { medianCpuMs } from './measure.ts';

/** The figures of the model section. */
export interface ModelFigures {
  readonly traces: number;
  readonly microSteps: number;
  /** Micro-steps per CPU second, replay only / every invariant judged. */
  readonly stepsPerSec: number;
  readonly stepsPerSecAllInvariants: number;
  /** Traces judged by every invariant per CPU second. */
  readonly tracesPerSecAllInvariants: number;
  /** CPU milliseconds to replay and judge a trace of 1,000 and of 10,000 getpid events. */
  readonly long1k: number;
  readonly long10k: number;
}

/** Measures on linux-6.7, Intel, 4-level paging. */
export function measureModel(invariants: readonly Invariant[], repeats: number, n = 300): ModelFigures {
  const K = kernelOf(designByName('linux-6.7'));
  const cell = { kernel: K, vendor: 'intel' as const, paging: 4 as const };
  const m0 = initialState(K, 'intel', 4);
  const traces = (fc.sample(traceArbitrary(16), { seed: 1, numRuns: n }) as Parameters<typeof toTraceEvents>[0][]).map((t) => toTraceEvents(t, 'bench'));
  let steps = 0;
  for (const t of traces) steps += replay(m0, t, K, { forks: false }).microSteps;
  // The JIT keeps improving the model's code for thousands of traces (measured: the rate climbs
  // for about 10,000): warm up with 20 passes of each measure before timing.
  for (let i = 0; i < 20; i++) for (const t of traces) { replay(m0, t, K, { forks: false }); judge(invariants, cell, t); }
  const replayMs = medianCpuMs(() => { for (const t of traces) replay(m0, t, K, { forks: false }); }, repeats);
  const judgeMs = medianCpuMs(() => { for (const t of traces) judge(invariants, cell, t); }, repeats);
  const long = (events: number): number => {
    const t: TraceEvent[] = Array.from({ length: events }, () => ({ type: 'user.syscall', nr: 'getpid' }));
    return medianCpuMs(() => { judge(invariants, cell, t); }, Math.min(repeats, 5));
  };
  return {
    traces: traces.length, microSteps: steps, stepsPerSec: (steps / replayMs) * 1000, stepsPerSecAllInvariants: (steps / judgeMs) * 1000,
    tracesPerSecAllInvariants: (traces.length / judgeMs) * 1000, long1k: long(1000), long10k: long(10000),
  };
}
