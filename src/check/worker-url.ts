/**
 * Where a worker thread's code is: the precompiled runtime when the CLI runs from it (bin/
 * runtime.js sets `globalThis.__entrycheckBundle`), so no worker goes through the TypeScript
 * loader; otherwise the small .js entry that registers tsx and loads the TypeScript worker.
 */

/** The kinds of worker threads. */
export type WorkerKind = 'check' | 'cosim-gen' | 'explore';

const ENTRIES: Readonly<Record<WorkerKind, URL>> = {
  check: new URL('./worker-entry.js', import.meta.url),
  'cosim-gen': new URL('../cosim/gen/worker-entry.js', import.meta.url),
  explore: new URL('./explore/worker-entry.js', import.meta.url),
};

/** The script to start a worker of `kind` with, and what to add to its workerData. */
export function workerScript(kind: WorkerKind): { readonly url: URL; readonly data: { readonly entrycheckWorker: WorkerKind } } {
  const bundle = (globalThis as { __entrycheckBundle?: string }).__entrycheckBundle;
  return { url: bundle !== undefined ? new URL(bundle) : ENTRIES[kind], data: { entrycheckWorker: kind } };
}

/** A module the precompiled runtime already holds (a property or design file), if any. */
export function bundledModule(file: string): unknown {
  return (globalThis as { __entrycheckModules?: ReadonlyMap<string, unknown> }).__entrycheckModules?.get(file);
}
