/**
 * Trace generation on a worker thread, so the model's runs (which steer generation) overlap
 * with the main thread's comparisons and the harness's work: the main thread asks for batches
 * of trace indices and gets each trace with the guide design's model run back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { GenRequest, GenSetup } from './pool.ts';
import { generateOne } from './pool.ts';

/** Runs this thread as a trace generator (worker-entry.js, or the precompiled runtime, starts it). */
export function startGenWorker(): void {
  const setup = workerData as GenSetup;
  parentPort?.on('message', (req: GenRequest) => {
    const out = [];
    for (let i = req.from; i < req.to; i++) out.push({ index: i, ...generateOne(setup, i) });
    parentPort?.postMessage(out);
  });
}
