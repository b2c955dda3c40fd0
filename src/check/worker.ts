/**
 * The worker thread's side: receives units, runs them, posts results. Kernels and invariants
 * are loaded once per worker.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Paging, Vendor } from '../isa/index.ts';
import { loadDesigns } from './designs.ts';
import { discoverInvariants } from './discover.ts';
import type { Invariant } from './invariant.ts';
import type { Unit } from './plan.ts';
import { designByName, kernelOf } from './session.ts';
import { Tracker } from './tracker.ts';
import { runUnit } from './unit.ts';

interface Init { readonly propertiesDir: string; readonly outDir: string; readonly maxLength: number; readonly tracker: SharedArrayBuffer }

/** Runs this thread as a unit worker (worker-entry.js, or the precompiled runtime, starts it). */
export async function startCheckWorker(): Promise<void> {
  const init = workerData as Init;
  const tracker = new Tracker(init.tracker);
  // Tolerant: a broken user file is the main thread's to report; units never name its design or invariant.
  await loadDesigns(undefined, { tolerant: true });
  const invariants = new Map<string, Invariant>((await discoverInvariants(init.propertiesDir, { tolerant: true })).map((d) => [d.invariant.id, d.invariant]));
  parentPort?.on('message', (u: Unit) => {
    const invs = u.invariants.map((i) => {
      const inv = invariants.get(i.id);
      if (inv === undefined) throw new Error(`worker: no invariant ${i.id}`);
      return inv;
    });
    const cell = { kernel: kernelOf(designByName(u.group.design)), vendor: u.group.vendor as Vendor, paging: u.group.paging as Paging };
    parentPort?.postMessage(runUnit(u, invs, cell, init.outDir, init.maxLength, tracker));
  });
  parentPort?.postMessage('ready');
}
