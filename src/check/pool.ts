/**
 * A small worker pool: units go to whichever worker is free; results come back in any order and
 * are put back in unit order by the caller. A watchdog looks at each busy worker's progress
 * counter (tracker.ts): a unit whose work stops moving for `stallMs` (a check or a design's
 * predicate that loops) is stopped, its worker replaced, and the unit is given back as error
 * cells naming who stalled, so the run goes on. Bad input seen in a worker stays bad input.
 */
import { Worker } from 'node:worker_threads';
import { InputError, inputErrors } from './errors.ts';
import type { Unit } from './plan.ts';
import { Tracker } from './tracker.ts';
import { workerScript } from './worker-url.ts';
import { emptyCoverage } from './coverage.ts';
import type { UnitResult } from './unit.ts';

/** What every worker starts with. */
export interface PoolInit {
  readonly propertiesDir: string;
  readonly outDir: string;
  readonly maxLength: number;
}

/** Pool options. */
export interface PoolOptions {
  /** Stop a unit whose progress counter has not moved for this long (default 60 s). */
  readonly stallMs?: number;
}

/** Error cells for the given invariants of a unit the watchdog stopped, naming who stalled. */
function stalledCells(ids: readonly string[], who: string, seconds: number): UnitResult['cells'] {
  const error = inputErrors.stalled(who, seconds);
  return ids.map((invariant) => ({ invariant, verdict: 'error' as const, source: null, error }));
}

/** A unit's result with error cells added (the invariants that stalled on earlier tries). */
function withCells(r: UnitResult, extra: UnitResult['cells']): UnitResult {
  return extra.length === 0 ? r : { ...r, cells: [...extra, ...r.cells] };
}

/** Runs `units` on `n` worker threads, calling `onResult` as each finishes. */
export async function runPool(units: readonly Unit[], n: number, init: PoolInit, onResult: (r: UnitResult) => void, o: PoolOptions = {}): Promise<void> {
  if (units.length === 0) return;
  const script = workerScript('check');
  const stallMs = o.stallMs ?? 60_000;
  let next = 0;
  const lane = (): Promise<void> => new Promise<void>((resolve, reject) => {
    let tracker = new Tracker();
    let busy: Unit | null = null;
    let seen = -1;
    let since = Date.now();
    let w: Worker | null = null;
    let done = false;
    const finish = (e?: Error): void => {
      if (done) return;
      done = true;
      clearInterval(watch);
      const last = w;
      w = null;
      void (last ? last.terminate() : Promise.resolve()).then(() => (e ? reject(e) : resolve()));
    };
    // A unit given back after a stall, without the invariant that stalled, and the error cells so far.
    let retry: Unit | null = null;
    let stalledSoFar: UnitResult['cells'] = [];
    const feed = (): void => {
      if (retry === null && next >= units.length) { busy = null; finish(); return; }
      if (retry !== null) { busy = retry; retry = null; } else { busy = units[next++] as Unit; stalledSoFar = []; }
      seen = -1;
      since = Date.now();
      w?.postMessage(busy);
    };
    const start = (): void => {
      const me = new Worker(script.url, { workerData: { ...init, ...script.data, tracker: tracker.buffer } });
      w = me;
      me.on('message', (msg: UnitResult | 'ready') => {
        if (msg !== 'ready') onResult(withCells(msg, stalledSoFar));
        feed();
      });
      // A worker's InputError arrives as a plain error: it is still the user's input.
      me.on('error', (e) => finish(e.name === 'InputError' ? new InputError(e.message) : e));
      me.on('exit', (code) => { if (code !== 0 && w === me) finish(new Error(`worker exited with status ${code}`)); });
    };
    const watch = setInterval(() => {
      if (busy === null || w === null) return;
      const p = tracker.progress;
      if (p !== seen) { seen = p; since = Date.now(); return; }
      if (Date.now() - since < stallMs) return;
      // Stuck: replace the worker; an invariant that looped gets an error cell and the unit runs
      // again without it; a loop in the model or a design's predicate makes every cell an error.
      const u = busy;
      const stuck = u.invariants[tracker.current];
      const seconds = Math.round(stallMs / 1000);
      busy = null;
      const old = w;
      w = null;
      old.removeAllListeners();
      void old.terminate();
      if (stuck !== undefined) {
        stalledSoFar = [...stalledSoFar, ...stalledCells([stuck.id], `invariant ${stuck.id}`, seconds)];
        const rest = u.invariants.filter((i) => i.id !== stuck.id);
        if (rest.length > 0) retry = { ...u, invariants: rest };
        else onResult(withCells({ index: u.index, runs: 0, events: 0, microSteps: 0, exploredTraces: 0, exploredStates: 0, coverage: emptyCoverage(), warnings: [], cells: [] }, stalledSoFar));
      } else {
        const cells = stalledCells(u.invariants.map((i) => i.id), `the model or design ${u.group.design}'s predicate`, seconds);
        onResult(withCells({ index: u.index, runs: 0, events: 0, microSteps: 0, exploredTraces: 0, exploredStates: 0, coverage: emptyCoverage(), warnings: [], cells }, stalledSoFar));
      }
      tracker = new Tracker();
      start();
    }, Math.max(10, Math.min(1000, stallMs / 4)));
    start();
  });
  await Promise.all(Array.from({ length: Math.min(n, units.length) }, lane));
}
