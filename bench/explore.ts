/**
 * Exploration speed: distinct states per CPU second of `explore` on linux-6.7 (Intel, 4-level,
 * the default alphabet, every invariant but the sanity claims) at depth 3, on this thread. The
 * JIT keeps speeding the model up for tens of thousands of traces, so the median is taken over
 * repeats after warm-up passes; a one-shot `entrycheck explore` also pays the warm-up.
 */
import { defaultAlphabet } from '../src/check/explore/alphabet.ts';
import { explore } from '../src/check/explore/explore.ts';
import type { Invariant } from '../src/check/invariant.ts';
import { designByName, kernelOf } from '../src/check/session.ts';
import { medianCpuMs } from './measure.ts';

/** The figures of the exploration row. */
export interface ExploreFigures {
  readonly depth: number;
  readonly states: number;
  readonly traces: number;
  /** Median CPU milliseconds of one exploration, warmed up. */
  readonly cpuMs: number;
  /** Distinct states and traces judged per CPU second. */
  readonly statesPerSec: number;
  readonly tracesPerSec: number;
}

/** Explores linux-6.7 to `depth` `warmups + repeats` times; the median of the timed repeats. */
export function measureExplore(invariants: readonly Invariant[], repeats: number, depth = 3, warmups = 3): ExploreFigures {
  const cell = { kernel: kernelOf(designByName('linux-6.7')), vendor: 'intel' as const, paging: 4 as const };
  const o = { invariants: invariants.filter((i) => i.sanity !== true), cell, alphabet: defaultAlphabet(), depth };
  let states = 0;
  let traces = 0;
  const once = (): void => {
    const r = explore(o);
    states = r.states;
    traces = r.traces;
  };
  // medianCpuMs warms up once more itself.
  for (let i = 1; i < warmups; i++) once();
  const ms = medianCpuMs(once, repeats);
  return { depth, states, traces, cpuMs: ms, statesPerSec: (states / ms) * 1000, tracesPerSec: (traces / ms) * 1000 };
}
