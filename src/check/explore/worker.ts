/**
 * An exploration lane's worker thread (threads.ts starts it): loads the designs and invariants,
 * builds the cell, and answers root / expand / adopt requests with an Expander.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadDesigns } from '../designs.ts';
import { discoverInvariants } from '../discover.ts';
import { designByName, kernelOf } from '../session.ts';
import { Expander } from './expander.ts';
import type { LaneAnswer, LaneInit, LaneRequest } from './threads.ts';

/** Runs this thread as an exploration lane. */
export async function startExploreWorker(): Promise<void> {
  const init = workerData as LaneInit;
  const post = (a: LaneAnswer): void => parentPort?.postMessage(a);
  await loadDesigns(undefined, { tolerant: true });
  const invariants = (await discoverInvariants(init.propertiesDir, { tolerant: true })).map((d) => d.invariant);
  const cell = { kernel: kernelOf(designByName(init.design)), vendor: init.vendor, paging: init.paging, ...(init.initial ? { initial: init.initial } : {}) };
  const x = new Expander(invariants, cell, init.alphabet, (n) => post({ kind: 'judged', n }), init.everyBoundary === true);
  parentPort?.on('message', (req: LaneRequest) => {
    try {
      if (req.kind === 'root') post({ kind: 'done', value: x.root(req.ids) });
      else if (req.kind === 'expand') post({ kind: 'done', value: x.expand(req.r) });
      else { x.adopt(req.pairs); post({ kind: 'done', value: null }); }
    } catch (e) {
      post({ kind: 'error', message: e instanceof Error ? e.message : String(e) });
    }
  });
  post({ kind: 'ready' });
}
