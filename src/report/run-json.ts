/**
 * What `entrycheck run --json` prints (schema: schemas/run-output.schema.json), and what
 * `entrycheck merge` reads back: every cell with its verdict, its expected verdict and why,
 * whether it is a reachability claim, the counterexample; the coverage; the run's parameters
 * (seed, runs, shard) so shards can be merged; stats.
 */
import type { Coverage } from '../check/coverage.ts';
import { mcdc } from '../model/index.ts';
import type { CellResult, RunStats } from '../check/suite.ts';

/** The parameters of a run. */
export interface RunParams {
  readonly seed: number;
  readonly runs: number;
  readonly shard: { readonly index: number; readonly count: number };
}

/** One cell of the JSON output. */
export function cellJson(c: CellResult): unknown {
  return {
    invariant: c.cell.invariant, design: c.cell.design, vendor: c.cell.vendor, paging: c.cell.paging,
    verdict: c.verdict, expected: c.expected.verdict, why: c.expected.why, sanity: c.sanity, runs: c.runs,
    counterexample: c.counterexample ? { file: c.counterexample.file, length: c.counterexample.length } : null,
    ...(c.error ? { error: c.error } : {}),
  };
}

/** Decision coverage per design and decision, worked out from the vectors seen. */
export function mcdcJson(coverage: Coverage): unknown {
  return Object.fromEntries(Object.entries(coverage.decisions).map(([design, ds]) => [design, Object.fromEntries(Object.entries(ds).map(([id, d]) => {
    const n = d.conditions.length;
    const outcomes = [...new Set(d.vectors.map((v) => (v >> n & 1) === 1))].sort();
    return [id, { outcomes, conditions: mcdc(d.conditions, d.vectors) }];
  }))]));
}

/** The whole JSON output of a run. */
export function runJson(ok: boolean, cells: readonly CellResult[], coverage: Coverage, params: RunParams, stats: RunStats): unknown {
  return {
    ok, params: { seed: params.seed, runs: params.runs, shard: `${params.shard.index + 1}/${params.shard.count}` }, cells: cells.map(cellJson), coverage,
    mcdc: mcdcJson(coverage), stats,
  };
}
