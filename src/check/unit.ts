/**
 * Running one unit: replay the cell's saved counterexamples first (a regression must fail
 * fast); if none reproduces, search with fast-check from the unit's seed and shrink what it
 * finds. Pure but for reading saved files; runs inside worker threads.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Event } from '../model/index.ts';
import { parseCounterexample } from './counterexample.ts';
import { evaluate, type CellRun, type Violation } from './evaluate.ts';
import type { Invariant } from './invariant.ts';
import type { Unit } from './plan.ts';
import { emptyCoverage, type Coverage } from './coverage.ts';
import { search } from './search.ts';

/** The outcome of a unit. */
export interface UnitResult {
  readonly index: number;
  readonly verdict: 'holds' | 'violated' | 'error';
  /** Where the violation came from: a saved file that still reproduces, or the random search. */
  readonly source: 'saved' | 'search' | null;
  readonly runs: number;
  /** For a violation found by search: the minimal trace, its failure, and the fast-check path. */
  readonly found?: { readonly events: readonly Event[]; readonly failure: Violation; readonly path: string | null; readonly rawLength: number };
  /** For a saved counterexample that reproduced: its file and length. */
  readonly saved?: { readonly file: string; readonly length: number };
  readonly error?: string;
  /** Milliseconds to the first violation and to shrink it (search only). */
  readonly timeToFind?: number;
  readonly timeToShrink?: number;
  readonly microSteps: number;
  /** What the random search covered. */
  readonly coverage?: Coverage;
}

/** Saved counterexample files of a cell, sorted. */
export function savedFiles(outDir: string, u: Unit): string[] {
  const dir = join(outDir, u.cell.invariant);
  if (!existsSync(dir)) return [];
  const prefix = `${u.cell.design}-${u.cell.vendor}-${u.cell.paging}-`;
  return readdirSync(dir).filter((f) => f.startsWith(prefix) && f.endsWith('.json')).sort().map((f) => join(dir, f));
}

/** Runs one unit. */
export function runUnit(u: Unit, inv: Invariant, cell: CellRun, outDir: string, maxLength: number): UnitResult {
  let micro = 0;
  for (const file of savedFiles(outDir, u)) {
    const ce = parseCounterexample(readFileSync(file, 'utf8'), file);
    const ev = evaluate(inv, cell, ce.events);
    micro += ev.microSteps;
    if (ev.violation) return { index: u.index, verdict: 'violated', source: 'saved', runs: 0, saved: { file, length: ce.events.length }, microSteps: micro };
  }
  const coverage = emptyCoverage();
  const r = search(inv, cell, u.seed, u.runs, maxLength, coverage);
  micro += r.microSteps;
  if (r.error !== undefined) return { index: u.index, verdict: 'error', source: null, runs: r.runs, error: r.error, microSteps: micro, coverage };
  if (!r.found) return { index: u.index, verdict: 'holds', source: null, runs: r.runs, microSteps: micro, coverage };
  const f = r.found;
  return {
    index: u.index, verdict: 'violated', source: 'search', runs: r.runs,
    found: { events: f.events, failure: f.failure, path: f.path, rawLength: f.rawLength },
    timeToFind: f.timeToFind, timeToShrink: f.timeToShrink, microSteps: micro, coverage,
  };
}
