/**
 * A small worker pool: units go to whichever worker is free; results come back in any order and
 * are put back in unit order by the caller.
 */
import { Worker } from 'node:worker_threads';
import type { Unit } from './plan.ts';
import type { UnitResult } from './unit.ts';

/** Runs `units` on `n` worker threads, calling `onResult` as each finishes. */
export async function runPool(units: readonly Unit[], n: number, init: { propertiesDir: string; outDir: string; maxLength: number },
  onResult: (r: UnitResult) => void): Promise<void> {
  if (units.length === 0) return;
  const entry = new URL('./worker-entry.js', import.meta.url);
  let next = 0;
  const workers = Array.from({ length: Math.min(n, units.length) }, () => new Worker(entry, { workerData: init }));
  try {
    await Promise.all(workers.map((w) => new Promise<void>((resolve, reject) => {
      const feed = (): void => {
        if (next >= units.length) { resolve(); return; }
        w.postMessage(units[next++]);
      };
      w.on('message', (msg: UnitResult | 'ready') => {
        if (msg !== 'ready') onResult(msg);
        feed();
      });
      w.on('error', reject);
      w.on('exit', (code) => { if (code !== 0) reject(new Error(`worker exited with status ${code}`)); });
    })));
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
