/**
 * The precompiled runtime (bin/runtime.js): the CLI and its workers load one module built from
 * the sources and the user's property and design files, not the TypeScript loader. It is found
 * again for the same sources, holds every property file, and starts a unit worker.
 */
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { discoverInvariants, PROPERTIES_DIR } from '../../src/check/discover.ts';

const { runtimePath } = (await import(new URL('../../bin/runtime.js', import.meta.url).href)) as { runtimePath: () => Promise<string | null> };

describe('the precompiled runtime', () => {
  it('is built once per version of the sources and found again', async () => {
    const a = await runtimePath();
    expect(a).not.toBeNull();
    expect(existsSync(a as string)).toBe(true);
    expect(await runtimePath()).toBe(a);
  }, 60_000);

  it('holds every property file, so nothing goes through the TypeScript loader', async () => {
    const path = (await runtimePath()) as string;
    const mod = (await import(pathToFileURL(path).href)) as { main?: unknown };
    expect(typeof mod.main).toBe('function');
    const table = (globalThis as { __entrycheckModules?: Map<string, unknown> }).__entrycheckModules;
    const files = (await discoverInvariants()).map((d) => join(PROPERTIES_DIR, d.file));
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) expect(table?.has(f), f).toBe(true);
  }, 60_000);

  it('starts a unit worker that loads every invariant from itself', async () => {
    const path = (await runtimePath()) as string;
    const ready = await new Promise<string>((resolve, reject) => {
      const w = new Worker(pathToFileURL(path), {
        workerData: { propertiesDir: PROPERTIES_DIR, outDir: '/nonexistent', maxLength: 16, tracker: new SharedArrayBuffer(8), entrycheckWorker: 'check' },
      });
      w.on('message', (m) => { void w.terminate().then(() => resolve(String(m))); });
      w.on('error', reject);
    });
    expect(ready).toBe('ready');
  }, 60_000);
});
