/**
 * Running the suite: plan the units, run them (worker threads, or in this thread for tests and
 * custom designs), save each counterexample as soon as its unit is done, fold unit results into
 * cell verdicts, and compare them with the expected verdicts.
 */
import type { Paging, Vendor } from '../isa/index.ts';
import type { Design } from '../kernel/index.ts';
import { completePair, saveCounterexample, type Counterexample } from './counterexample.ts';
import { emptyCoverage, mergeCoverage, type Coverage } from './coverage.ts';
import { PROPERTIES_DIR, type Discovered } from './discover.ts';
import type { CellId, Expectation, Expected } from './expected.ts';
import { cellOf, plan, type Unit } from './plan.ts';
import { runPool } from './pool.ts';
import { kernelOf } from './session.ts';
import { runUnit, type CellOutcome, type UnitResult } from './unit.ts';

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
  /** Depth of each group's exhaustive phase (0: none; default DEFAULT_EXPLORE_DEPTH). */
  readonly exploreDepth?: number;
  /** Folders whose counterexamples of other designs are replayed on each cell before its search (none when absent). */
  readonly corpusDirs?: readonly string[];
  readonly expected: Expected;
  readonly renderTxt: (file: string, c: Counterexample) => string;
  readonly onProgress?: (done: number, total: number, u: Unit) => void;
  /** One line each: saved files set aside, as they are found. */
  readonly onWarning?: (line: string) => void;
  /** Stop a unit whose work has not moved for this long (worker threads only; default 60 s). */
  readonly stallMs?: number;
  /** Where the workers find the invariants (default: properties/ of this checkout). */
  readonly propertiesDir?: string;
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
}

/**
 * What a run did: the guided search's traces judged, their events and kernel micro-steps; the
 * exhaustive phase's traces judged and distinct states (added up over groups and starts); CPU
 * time of the whole process.
 */
export interface RunStats {
  readonly traces: number;
  readonly events: number;
  readonly microSteps: number;
  readonly exploredTraces: number;
  readonly exploredStates: number;
  readonly cpuMs: number;
}

/** Whether a cell's verdict is what the expected-verdicts file says. */
export const matches = (c: CellResult): boolean => c.verdict === c.expected.verdict;

const key = (c: CellId): string => `${c.invariant}|${c.design}|${c.vendor}|${c.paging}`;

/** Runs the suite. */
export async function runSuite(o: SuiteOptions): Promise<{ cells: CellResult[]; ok: boolean; coverage: Coverage; stats: RunStats }> {
  const c0 = process.cpuUsage();
  const maxLength = o.maxLength ?? 16;
  const units = plan({
    invariants: o.invariants.map((d) => ({ id: d.invariant.id, sanity: d.invariant.sanity })),
    designs: o.designs.map((d) => d.name), vendors: o.vendors, pagings: o.pagings,
    runs: o.runs, chunkSize: o.chunkSize ?? Math.max(o.runs, 1), seed: o.seed, shard: o.shard ?? { index: 0, count: 1 },
    ...(o.exploreDepth !== undefined ? { exploreDepth: o.exploreDepth } : {}),
    ...(o.corpusDirs !== undefined ? { corpusDirs: o.corpusDirs } : {}),
  });
  const byIndex = new Map(units.map((u) => [u.index, u]));
  const designs = new Map(o.designs.map((d) => [d.name, d]));
  const outcomes = new Map<string, Array<{ u: Unit; c: CellOutcome; file?: string }>>();
  // Merged in unit order once all are back: workers finish in any order, and the keys of the
  // merged coverage keep their insertion order in the JSON (same seed, same bytes).
  const unitCoverage = new Map<number, Coverage>();
  let done = 0;
  let traces = 0;
  let events = 0;
  let microSteps = 0;
  let exploredTraces = 0;
  let exploredStates = 0;
  const record = (r: UnitResult): void => {
    const u = byIndex.get(r.index) as Unit;
    traces += r.runs;
    events += r.events;
    microSteps += r.microSteps;
    exploredTraces += r.exploredTraces;
    exploredStates += r.exploredStates;
    unitCoverage.set(r.index, r.coverage);
    for (const line of r.warnings) o.onWarning?.(line);
    for (const c of r.cells) {
      const cell = cellOf(u.group, c.invariant);
      let file: string | undefined;
      // A check that threw: its shrunk trace is saved like a counterexample (failure.threw).
      const saved = c.found ?? c.thrown;
      if (saved) {
        // Saved at once (atomically): a run that is stopped later keeps what it found.
        const ce: Counterexample = {
          invariant: c.invariant, design: designs.get(u.group.design) as Design, vendor: u.group.vendor, paging: u.group.paging,
          seed: u.seed, path: saved.path, ...(saved.initial ? { initial: saved.initial } : {}), events: saved.events, failure: saved.failure,
        };
        file = saveCounterexample(o.outDir, ce, o.renderTxt);
      } else if (c.saved) completePair(c.saved.file, o.renderTxt);
      const list = outcomes.get(key(cell)) ?? [];
      list.push({ u, c, ...(file ? { file } : {}) });
      outcomes.set(key(cell), list);
    }
    done++;
    o.onProgress?.(done, units.length, u);
  };
  if (o.workers > 0) {
    await runPool(units, o.workers, { propertiesDir: o.propertiesDir ?? PROPERTIES_DIR, outDir: o.outDir, maxLength }, record, o.stallMs !== undefined ? { stallMs: o.stallMs } : {});
  } else {
    const invs = new Map(o.invariants.map((d) => [d.invariant.id, d.invariant]));
    for (const u of units) {
      const design = designs.get(u.group.design);
      if (!design) continue;
      const list = u.invariants.map((i) => invs.get(i.id)).filter((x) => x !== undefined);
      record(runUnit(u, list, { kernel: kernelOf(design), vendor: u.group.vendor, paging: u.group.paging }, o.outDir, maxLength));
    }
  }
  const coverage = emptyCoverage();
  for (const i of [...unitCoverage.keys()].sort((a, b) => a - b)) mergeCoverage(coverage, unitCoverage.get(i) as Coverage);
  const cells = fold(o, units, outcomes);
  const c = process.cpuUsage(c0);
  return { cells, ok: cells.every(matches), coverage, stats: { traces, events, microSteps, exploredTraces, exploredStates, cpuMs: Math.round((c.user + c.system) / 1000) } };
}

/** Outcomes per cell (one per unit of its group) to cell results, invariant by invariant. */
function fold(o: SuiteOptions, units: readonly Unit[], outcomes: ReadonlyMap<string, Array<{ u: Unit; c: CellOutcome; file?: string }>>): CellResult[] {
  const out: CellResult[] = [];
  const planned = new Set(units.map((u) => `${u.group.design}|${u.group.vendor}|${u.group.paging}`));
  for (const d of o.invariants) {
    for (const design of o.designs) {
      for (const vendor of o.vendors) {
        for (const paging of o.pagings) {
          if (!planned.has(`${design.name}|${vendor}|${paging}`)) continue;
          const cell: CellId = { invariant: d.invariant.id, design: design.name, vendor, paging };
          out.push(cellResult(o, cell, d.invariant.sanity, outcomes.get(key(cell)) ?? []));
        }
      }
    }
  }
  return out;
}

function cellResult(o: SuiteOptions, cell: CellId, sanity: boolean, list: ReadonlyArray<{ u: Unit; c: CellOutcome; file?: string }>): CellResult {
  const rs = list.slice().sort((a, b) => a.u.index - b.u.index);
  const runs = rs.reduce((n, r) => n + (r.c.source === 'saved' ? 0 : r.u.runs), 0);
  let counterexample: CellResult['counterexample'] = null;
  for (const r of rs) {
    if (r.c.saved && counterexample === null) counterexample = { ...r.c.saved, source: 'saved' };
    if (r.c.found && r.file && (counterexample === null || (counterexample.source === 'search' && r.c.found.events.length < counterexample.length))) {
      counterexample = { file: r.file, length: r.c.found.events.length, source: 'search' };
    }
  }
  const errored = rs.find((r) => r.c.verdict === 'error');
  const verdict = errored ? 'error' : rs.some((r) => r.c.verdict === 'violated') ? 'violated' : 'holds';
  const thrownFile = errored?.c.thrown && errored.file ? errored.file : undefined;
  if (thrownFile && errored?.c.thrown) counterexample = { file: thrownFile, length: errored.c.thrown.events.length, source: 'search' };
  return {
    cell, sanity, expected: o.expected.of(cell, sanity), verdict, runs, counterexample,
    ...(errored?.c.error ? { error: `${errored.c.error}${thrownFile ? ` (shrunk trace: ${thrownFile})` : ''}` } : {}),
  };
}
