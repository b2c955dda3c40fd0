/**
 * Building the native harness (native/*.c) with the system's C compiler, once per source
 * version: the binary goes to a cache directory (node_modules/.cache/entrycheck, or the OS
 * temporary directory), named by a hash of the sources, the flags and the compiler, so edits
 * rebuild it and nothing binary is ever committed.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the C sources are. */
export const NATIVE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../native');
const FLAGS = ['-O2', '-std=gnu11', '-Wall', '-fPIE', '-pie'];

/** A built harness, or why there is none. */
export type BuildResult = { readonly ok: true; readonly path: string } | { readonly ok: false; readonly reason: string };

function cacheDir(): string {
  const modules = resolve(NATIVE_DIR, '..', 'node_modules');
  if (existsSync(modules)) return join(modules, '.cache', 'entrycheck');
  return join(tmpdir(), `entrycheck-${process.getuid?.() ?? 'user'}`);
}

function compilerId(cc: string): string | null {
  try {
    return execFileSync(cc, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 }).split('\n')[0] ?? '';
  } catch {
    return null;
  }
}

/** Builds (or finds in the cache) the harness binary. `cc` defaults to $CC or "cc". */
export function buildHarness(cc = process.env.CC ?? 'cc'): BuildResult {
  const id = compilerId(cc);
  if (id === null) return { ok: false, reason: `no C compiler (${cc} not found)` };
  const files = readdirSync(NATIVE_DIR).filter((f) => f.endsWith('.c') || f.endsWith('.h')).sort();
  const hash = createHash('sha256').update(id).update(FLAGS.join(' '));
  for (const f of files) hash.update(f).update(readFileSync(join(NATIVE_DIR, f)));
  const dir = cacheDir();
  const path = join(dir, `harness-${hash.digest('hex').slice(0, 16)}`);
  if (existsSync(path)) return { ok: true, path };
  mkdirSync(dir, { recursive: true });
  // Compile to a private name and rename: concurrent builders (parallel test files) never see
  // a half-written binary.
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    execFileSync(cc, [...FLAGS, '-o', tmp, ...files.filter((f) => f.endsWith('.c')).map((f) => join(NATIVE_DIR, f))],
      { stdio: ['ignore', 'ignore', 'pipe'], timeout: 120_000 });
    renameSync(tmp, path);
    return { ok: true, path };
  } catch (e) {
    rmSync(tmp, { force: true });
    const stderr = String((e as { stderr?: Buffer }).stderr ?? (e as Error).message).trim().split('\n')[0] ?? '';
    return { ok: false, reason: `the harness did not compile: ${stderr}` };
  }
}
