/**
 * The random search of one cell from one seed: fast-check generates traces from the trace
 * arbitrary until one violates the invariant (or the budget is spent); the domain shrinker then
 * makes it 1-minimal. Shared by the runner, the acceptance tests and the benchmark.
 */
import fc from 'fast-check';
import type { Event } from '../model/index.ts';
import { traceArbitrary } from './arbitrary.ts';
import { evaluate, type CellRun, type Violation } from './evaluate.ts';
import type { Coverage } from './coverage.ts';
import type { Invariant } from './invariant.ts';
import { shrink } from './shrink.ts';
import type { RawEvent } from './trace-file.ts';

/** What a search found. */
export interface SearchResult {
  readonly runs: number;
  readonly microSteps: number;
  /** The first model error, if the model threw on some trace. */
  readonly error?: string;
  readonly found?: {
    readonly raw: readonly RawEvent[];
    readonly events: readonly Event[];
    readonly failure: Violation;
    readonly path: string | null;
    readonly rawLength: number;
    readonly timeToFind: number;
    readonly timeToShrink: number;
  };
}

/** Searches from `seed` with at most `runs` traces. */
export function search(inv: Invariant, cell: CellRun, seed: number, runs: number, maxLength = 16, coverage?: Coverage): SearchResult {
  let micro = 0;
  let counting = true;
  let error: string | undefined;
  const passes = (t: RawEvent[]): boolean => {
    try {
      const ev = evaluate(inv, cell, t, counting ? coverage : undefined);
      micro += ev.microSteps;
      return ev.violation === null;
    } catch (e) {
      error ??= `${(e as Error).message} (trace ${JSON.stringify(t)})`;
      return true;
    }
  };
  const t0 = performance.now();
  const details = fc.check(fc.property(traceArbitrary(maxLength), passes), { seed, numRuns: runs, endOnFailure: true });
  if (error !== undefined) return { runs: details.numRuns, microSteps: micro, error };
  if (!details.failed || details.counterexample === null) return { runs: details.numRuns, microSteps: micro };
  const timeToFind = performance.now() - t0;
  counting = false; // shrinking re-runs variants of one trace: not part of the search's coverage
  const t1 = performance.now();
  const raw = details.counterexample[0] as RawEvent[];
  const s = shrink(raw, (t) => !passes(t));
  const final = evaluate(inv, cell, s.trace);
  const timeToShrink = performance.now() - t1;
  if (final.violation === null) return { runs: details.numRuns, microSteps: micro, error: 'the shrunk trace no longer fails' };
  return {
    runs: details.numRuns, microSteps: micro,
    found: { raw: s.trace, events: final.events, failure: final.violation, path: details.counterexamplePath, rawLength: raw.length, timeToFind, timeToShrink },
  };
}
