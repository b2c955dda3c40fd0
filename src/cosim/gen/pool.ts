/**
 * Where traces are generated: on a worker thread when a run is long enough for it to pay
 * (src/cosim/gen/worker.ts), else in this thread. Either way trace i of a seed is the same.
 */
import { Worker } from 'node:worker_threads';
import type { Paging, Vendor } from '../../isa/index.ts';
import { findDesign, type Design } from '../../kernel/index.ts';
import { generateTrace, traceSeed, type GeneratedTrace } from './generate.ts';
import { workerScript } from '../../check/worker-url.ts';

/** The design whose model steers generation, so every design is co-simulated on the same traces. */
export const GUIDE_DESIGN = 'linux-6.7';

/** Everything generation depends on (plain data: it crosses to the worker). */
export interface GenSetup {
  readonly seed: number;
  readonly vendor: Vendor;
  readonly paging: Paging;
  readonly int80: boolean;
  readonly vdso: boolean;
  readonly umip: boolean;
  /** The XSAVE area's size in the host's signal frames (detect.ts; 0: unknown). */
  readonly xstate: bigint;
  readonly includePending: boolean;
}

/** A batch of trace indices [from, to). */
export interface GenRequest {
  readonly from: number;
  readonly to: number;
}

/** Trace `index` of the run `s` describes. */
export function generateOne(s: GenSetup, index: number): GeneratedTrace {
  const guide = findDesign(GUIDE_DESIGN) as Design;
  return generateTrace(traceSeed(s.seed, index), guide, s.vendor, {
    vendor: s.vendor, paging: s.paging, int80: s.int80, vdso: s.vdso, includePending: s.includePending, host: { umip: s.umip, xstate: s.xstate },
  });
}

/** Runs at or above this many traces generate on a worker thread. */
const WORKER_MIN = 400;

/**
 * Generates traces 0..n-1 in batches, calling `onBatch` with each (in order); resolves when all
 * are delivered. `onBatch` may return a promise to hold generation back (backpressure).
 */
export async function generateAll(s: GenSetup, n: number, batch: number,
  onBatch: (traces: readonly (GeneratedTrace & { index: number })[]) => void | Promise<void>): Promise<void> {
  if (n < WORKER_MIN) {
    for (let i = 0; i < n; i += batch) {
      const out = [];
      for (let j = i; j < Math.min(n, i + batch); j++) out.push({ index: j, ...generateOne(s, j) });
      await onBatch(out);
    }
    return;
  }
  const script = workerScript('cosim-gen');
  const w = new Worker(script.url, { workerData: { ...s, ...script.data } });
  // Answers come in request order: one queue of waiters, one listener each.
  const waiting: Array<{ resolve: (v: (GeneratedTrace & { index: number })[]) => void; reject: (e: unknown) => void }> = [];
  w.on('message', (v: (GeneratedTrace & { index: number })[]) => waiting.shift()?.resolve(v));
  w.on('error', (e) => { for (const x of waiting.splice(0)) x.reject(e); });
  try {
    const ask = (from: number): Promise<(GeneratedTrace & { index: number })[]> => new Promise((resolve, reject) => {
      waiting.push({ resolve, reject });
      w.postMessage({ from, to: Math.min(n, from + batch) } satisfies GenRequest);
    });
    // One batch in flight while the previous one is handed over.
    let next = ask(0);
    for (let i = 0; i < n; i += batch) {
      const got = await next;
      if (i + batch < n) next = ask(i + batch);
      await onBatch(got);
    }
  } finally {
    await w.terminate();
  }
}
