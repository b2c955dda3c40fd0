/**
 * The regression corpus across designs: before a cell is searched, the counterexamples saved
 * for the same invariant on the other designs (same vendor and paging mode) are replayed on it.
 * A known bug that a design brings back, or a reachability claim another design's trace reaches,
 * is found at once, whatever the search budget; the trace is then saved for this cell like one
 * the search found (its path names the file it came from). These are recorded traces replayed as
 * data, never recipes in the generator (docs/search.md).
 */
import { existsSync, readdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { InitialOverrides } from '../kernel/index.ts';
import type { Event } from '../model/index.ts';
import { initialOf, parseCounterexample } from './counterexample.ts';
import { InputError } from './errors.ts';
import { evaluate, type CellRun } from './evaluate.ts';
import type { Invariant } from './invariant.ts';
import { toTraceEvents } from './operands.ts';
import type { Unit } from './plan.ts';
import { fromStart } from './worlds.ts';
import type { CellOutcome } from './unit.ts';
import { readText } from './validate.ts';

/** The repository's reviewed corpus (counterexamples/ of this checkout). */
export const CORPUS_DIR = new URL('../../counterexamples', import.meta.url).pathname;

/** Where a trace is replayed: the design it must not come from, and the vendor and paging it must. */
export interface CorpusCell {
  readonly design: string;
  readonly vendor: string;
  readonly paging: number;
}

/**
 * Saved files of `invariant` for this vendor and paging, sorted: those of other designs, and of
 * this design too in a directory other than `own` (the --out directory, whose files of this cell
 * the unit replays first): `run --out elsewhere` meets the repository's files of its cells.
 */
function savedFor(dir: string, at: CorpusCell, invariant: string, own: string | undefined): string[] {
  const d = join(dir, invariant);
  if (!existsSync(d)) return [];
  const suffix = new RegExp(`^(.+)-${at.vendor}-${at.paging}-[0-9a-f]+\\.json$`);
  const mine = own !== undefined && resolve(dir) === resolve(own);
  return readdirSync(d).filter((f) => {
    const m = suffix.exec(f);
    return m !== null && (m[1] !== at.design || (own !== undefined && !mine));
  }).sort().map((f) => join(d, f));
}

/**
 * The saved traces of `invariant` on other designs (and on this one outside `own`: savedFor),
 * with their files (unreadable ones skipped: their own cell sets them aside).
 */
export function* corpusTraces(dirs: readonly string[], invariant: string, at: CorpusCell, own?: string): Generator<{ file: string; events: Event[]; initial?: InitialOverrides }> {
  for (const file of dirs.flatMap((d) => savedFor(d, at, invariant, own))) {
    let events: Event[];
    let initial: InitialOverrides | undefined;
    try {
      // Saved traces hold resolved events: the conversion gives back their values.
      const f = parseCounterexample(readText(file), file);
      events = toTraceEvents(f.events, file) as Event[];
      initial = initialOf(f, file);
    } catch (e) {
      if (e instanceof InputError) continue;
      throw e;
    }
    yield { file, events, ...(initial ? { initial } : {}) };
  }
}

/** The first saved trace of the corpus (corpusTraces; `out`: the run's --out) that violates `inv` on this cell, as a found violation. */
export function replayCorpus(dirs: readonly string[], u: Unit, inv: Invariant, cell: CellRun, out: string): CellOutcome | null {
  for (const { file, events, initial } of corpusTraces(dirs, inv.id, u.group, out)) {
    const v = evaluate(inv, fromStart(cell, initial), events).violation;
    if (v) {
      return {
        invariant: inv.id, verdict: 'violated', source: 'search',
        found: { events, failure: v, path: `corpus ${basename(file)}`, rawLength: events.length, ...(initial ? { initial } : {}) }, timeToFind: 0, timeToShrink: 0,
      };
    }
  }
  return null;
}
