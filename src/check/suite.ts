/**
 * Running the suite: plan the units, run them (worker threads, or in this thread for tests and
 * custom designs), fold unit results into cell verdicts, compare with the expected verdicts, and
 * save a counterexample for every violation the search found.
 */
import type { Paging, Vendor } from '../isa/index.ts';
import type { Design } from '../kernel/index.ts';
import { saveCounterexample, type Counterexample } from './counterexample.ts';
import { emptyCoverage, mergeCoverage, type Coverage } from './coverage.ts';
import { PROPERTIES_DIR, type Discovered } from './discover.ts';
import type { CellId, Expectation, Expected } from './expected.ts';
import { plan, type Unit } from './plan.ts';
import { runPool } from './pool.ts';
import { kernelOf } from './session.ts';
import { runUnit, type UnitResult } from './unit.ts';

/** Suite options. */
export interface SuiteOptions {
  readonly invariants: readonly Discovered[];
  readonly designs: readonly Design[];
  readonly vendors: readonly Vendor[];
  readonly pagings: readonly Paging[];
  readonly runs: number;
  readonly chunkSize?: number;
  readonly seed: number;
  readonly shard?: { readonly index: number; readonly count: number };
  readonly outDir: string;
  /** Worker threads; 0 runs everything in this thread (needed for designs with predicate overrides). */
  readonly workers: number;
  readonly maxLength?: number;
  readonly expected: Expected;
  readonly renderTxt: (file: string, c: Counterexample) => string;
  readonly onProgress?: (done: number, total: number, r: UnitResult) => void;
}

/** The result of one cell. */
export interface CellResult {
  readonly cell: CellId;
  readonly sanity: boolean;
  readonly expected: Expectation;
  readonly verdict: 'holds' | 'violated' | 'error';
  readonly runs: number;
  readonly counterexample: { readonly file: string; readonly length: number; readonly source: 'saved' | 'search' } | null;
  readonly error?: string;
  readonly units: readonly UnitResult[];
}

/** Whether a cell's verdict is what the expected-verdicts file says. */
export const matches = (c: CellResult): boolean => c.verdict === c.expected.verdict;

/** Runs the suite. */
export async function runSuite(o: SuiteOptions): Promise<{ cells: CellResult[]; ok: boolean; coverage: Coverage }> {
  const maxLength = o.maxLength ?? 16;
  const units = plan({
    invariants: o.invariants.map((d) => ({ id: d.invariant.id, sanity: d.invariant.sanity })),
    designs: o.designs.map((d) => d.name), vendors: o.vendors, pagings: o.pagings,
    runs: o.runs, chunkSize: o.chunkSize ?? Math.max(o.runs, 1), seed: o.seed, shard: o.shard ?? { index: 0, count: 1 },
  });
  const results = new Map<number, UnitResult>();
  let done = 0;
  const record = (r: UnitResult): void => { results.set(r.index, r); done++; o.onProgress?.(done, units.length, r); };
  if (o.workers > 0) {
    await runPool(units, o.workers, { propertiesDir: PROPERTIES_DIR, outDir: o.outDir, maxLength }, record);
  } else {
    const invs = new Map(o.invariants.map((d) => [d.invariant.id, d.invariant]));
    const designs = new Map(o.designs.map((d) => [d.name, d]));
    for (const u of units) {
      const inv = invs.get(u.cell.invariant);
      const design = designs.get(u.cell.design);
      if (!inv || !design) continue;
      record(runUnit(u, inv, { kernel: kernelOf(design), vendor: u.cell.vendor, paging: u.cell.paging }, o.outDir, maxLength));
    }
  }
  const cells = fold(o, units, results);
  const coverage = emptyCoverage();
  for (const u of units) { const c = results.get(u.index)?.coverage; if (c) mergeCoverage(coverage, c); }
  return { cells, ok: cells.every(matches), coverage };
}

/** Unit results to cell results, saving what the search found. */
function fold(o: SuiteOptions, units: readonly Unit[], results: ReadonlyMap<number, UnitResult>): CellResult[] {
  const byCell = new Map<string, Unit[]>();
  for (const u of units) {
    const key = `${u.cell.invariant}|${u.cell.design}|${u.cell.vendor}|${u.cell.paging}`;
    byCell.set(key, [...(byCell.get(key) ?? []), u]);
  }
  const designs = new Map(o.designs.map((d) => [d.name, d]));
  const out: CellResult[] = [];
  for (const us of byCell.values()) {
    const first = us[0] as Unit;
    const rs = us.map((u) => results.get(u.index)).filter((r): r is UnitResult => r !== undefined);
    const runs = rs.reduce((n, r) => n + r.runs, 0);
    const expected = o.expected.of(first.cell, first.sanity);
    let counterexample: CellResult['counterexample'] = null;
    for (const r of rs) {
      if (r.saved && counterexample === null) counterexample = { ...r.saved, source: 'saved' };
      if (r.found) {
        const design = designs.get(first.cell.design) as Design;
        const ce: Counterexample = {
          invariant: first.cell.invariant, design, vendor: first.cell.vendor, paging: first.cell.paging,
          seed: us.find((u) => u.index === r.index)?.seed ?? 0, path: r.found.path, events: r.found.events, failure: r.found.failure,
        };
        const file = saveCounterexample(o.outDir, ce, o.renderTxt);
        if (counterexample === null || (counterexample.source === 'search' && r.found.events.length < counterexample.length)) {
          counterexample = { file, length: r.found.events.length, source: 'search' };
        }
      }
    }
    const errored = rs.find((r) => r.verdict === 'error');
    const verdict = errored ? 'error' : rs.some((r) => r.verdict === 'violated') ? 'violated' : 'holds';
    out.push({ cell: first.cell, sanity: first.sanity, expected, verdict, runs, counterexample, ...(errored?.error ? { error: errored.error } : {}), units: rs });
  }
  return out;
}
