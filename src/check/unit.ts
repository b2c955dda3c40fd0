/**
 * Running one unit: for each invariant, replay the cell's saved counterexamples first (a
 * regression must fail fast); then search the unit's traces for the invariants still without
 * one, judging all of them on each replay, and shrink what was found. Pure but for reading
 * saved files; runs inside worker threads.
 */
import { existsSync, readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { InitialOverrides } from '../kernel/index.ts';
import type { Event } from '../model/index.ts';
import { initialOf, parseCounterexample } from './counterexample.ts';
import { replayCorpus } from './corpus-replay.ts';
import { coverDecisions, emptyCoverage, type Coverage } from './coverage.ts';
import { evaluate, type CellRun, type Violation } from './evaluate.ts';
import type { Invariant } from './invariant.ts';
import { toTraceEvents } from './operands.ts';
import type { Unit } from './plan.ts';
import { searchGroup } from './search.ts';
import type { Tracker } from './tracker.ts';
import { readText } from './validate.ts';
import { fromStart } from './worlds.ts';
import { InputError } from './errors.ts';
import { inputErrors } from './errors.ts';

/** The outcome of one cell in a unit. */
export interface CellOutcome {
  readonly invariant: string;
  readonly verdict: 'holds' | 'violated' | 'error';
  /** Where the violation came from: a saved file that still reproduces, or the random search. */
  readonly source: 'saved' | 'search' | null;
  /** For a violation found by search: the minimal trace, its failure, and the fast-check path. */
  readonly found?: { readonly events: readonly Event[]; readonly failure: Violation; readonly path: string; readonly rawLength: number; readonly initial?: InitialOverrides };
  /** For a saved counterexample that reproduced: its file and length. */
  readonly saved?: { readonly file: string; readonly length: number };
  readonly error?: string;
  /** For a check that threw during the search: the shrunk trace it throws on (saved like a counterexample). */
  readonly thrown?: { readonly events: readonly Event[]; readonly failure: Violation & { readonly threw: true }; readonly path: string; readonly initial?: InitialOverrides };
  /** Milliseconds to the first violation and to shrink it (search only). */
  readonly timeToFind?: number;
  readonly timeToShrink?: number;
}

/** The outcome of a unit. */
export interface UnitResult {
  readonly index: number;
  /** Traces generated and judged, and their events. */
  readonly runs: number;
  readonly events: number;
  readonly microSteps: number;
  /** The exhaustive phase's traces judged and distinct states (not in `runs`). */
  readonly exploredTraces: number;
  readonly exploredStates: number;
  readonly cells: readonly CellOutcome[];
  /** What the random search covered. */
  readonly coverage: Coverage;
  /** One line each: saved files that could not be read and were set aside. */
  readonly warnings: readonly string[];
}

/** Saved counterexample files of a cell, sorted. */
export function savedFiles(outDir: string, u: Unit, invariant: string): string[] {
  const dir = join(outDir, invariant);
  if (!existsSync(dir)) return [];
  const prefix = `${u.group.design}-${u.group.vendor}-${u.group.paging}-`;
  return readdirSync(dir).filter((f) => f.startsWith(prefix) && f.endsWith('.json')).sort().map((f) => join(dir, f));
}

/**
 * Replays the saved files of one cell; the first that still violates it, if any. A file that is
 * not a valid counterexample (hand-edited, cut short) is renamed to `<file>.bad`, so that later
 * runs do not trip on it, and reported in one line: it never stops the run.
 */
function replaySaved(outDir: string, u: Unit, inv: Invariant, cell: CellRun, warnings: string[]): CellOutcome | null {
  for (const file of savedFiles(outDir, u, inv.id)) {
    let ce;
    try {
      ce = parseCounterexample(readText(file), file);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      try { renameSync(file, `${file}.bad`); } catch { /* reported either way */ }
      warnings.push(inputErrors.setAside(e.message, `${file}.bad`));
      continue;
    }
    const initial = initialOf(ce, file);
    if (evaluate(inv, fromStart(cell, initial), toTraceEvents(ce.events, file)).violation) {
      return { invariant: inv.id, verdict: 'violated', source: 'saved', saved: { file, length: ce.events.length } };
    }
  }
  return null;
}

/** Runs one unit. */
export function runUnit(u: Unit, invariants: readonly Invariant[], cell: CellRun, outDir: string, maxLength: number, tracker?: Tracker): UnitResult {
  const cells = new Map<string, CellOutcome>();
  const warnings: string[] = [];
  for (const inv of invariants) {
    try {
      const saved = replaySaved(outDir, u, inv, cell, warnings) ?? replayCorpus(u.corpusDirs, u, inv, cell, outDir);
      if (saved) cells.set(inv.id, saved);
    } catch (e) {
      cells.set(inv.id, { invariant: inv.id, verdict: 'error', source: null, error: (e as Error).message });
    }
  }
  const coverage = emptyCoverage();
  const pending = invariants.filter((inv) => !cells.has(inv.id));
  const r = searchGroup(pending, cell, u.seed, u.runs, {
    maxLength, coverage, exploreDepth: u.chunk === 0 ? u.exploreDepth : 0, ...(tracker ? { track: { tracker, order: invariants.map((i) => i.id) } } : {}),
  });
  coverDecisions(coverage, u.group.design, r.decisions);
  for (const inv of pending) {
    const error = r.errors.get(inv.id);
    const f = r.found.get(inv.id);
    const t = r.thrown.get(inv.id);
    const thrown = t ? { thrown: { events: t.events, failure: { step: t.events.length, message: t.message, threw: true as const }, path: t.path, ...(t.initial ? { initial: t.initial } : {}) } } : {};
    if (error !== undefined) cells.set(inv.id, { invariant: inv.id, verdict: 'error', source: null, error, ...thrown });
    else if (f) {
      cells.set(inv.id, {
        invariant: inv.id, verdict: 'violated', source: 'search',
        found: { events: f.events, failure: f.failure, path: f.path, rawLength: f.rawLength, ...(f.initial ? { initial: f.initial } : {}) }, timeToFind: f.timeToFind, timeToShrink: f.timeToShrink,
      });
    } else cells.set(inv.id, { invariant: inv.id, verdict: 'holds', source: null });
  }
  return {
    index: u.index, runs: r.runs, events: r.events, microSteps: r.microSteps, exploredTraces: r.explored.traces, exploredStates: r.explored.states,
    cells: invariants.map((inv) => cells.get(inv.id) as CellOutcome), coverage, warnings,
  };
}
