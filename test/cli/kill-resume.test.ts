/**
 * A run killed with SIGKILL as soon as its first counterexample is on disk (docs/reliability.md):
 * every .json left under --out is a whole counterexample (files are renamed into place), and the
 * run started again ends with the same files as a run that was never stopped (it replays what
 * was saved, writes a .txt the kill cut off, and searches only what is missing; the search is
 * deterministic).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCounterexample } from '../../src/check/counterexample.ts';

const root = new URL('../../', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'ec-kill-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const ARGS = ['run', '--design', 'linux-3.19', '--runs', '60', '--explore-depth', '1'];

/** Every file under `dir`, relative, sorted. */
function files(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string): void => {
    for (const f of readdirSync(d)) {
      if (statSync(join(d, f)).isDirectory()) walk(join(d, f), `${rel}${f}/`);
      else out.push(`${rel}${f}`);
    }
  };
  walk(dir, '');
  return out.sort();
}

describe('a killed run', () => {
  it('leaves only whole counterexamples, and a rerun ends where an uninterrupted run does', async () => {
    const clean = join(tmp, 'clean');
    // Exit 0: the repository's own files of linux-3.19 are replayed first even with --out elsewhere,
    // so every cell ends as expected; the rerun after the kill must end the same way.
    const status = spawnSync(process.execPath, [join(root, 'bin/entrycheck.js'), ...ARGS, '--out', clean], { cwd: root }).status;
    expect(status).toBe(0);

    const killed = join(tmp, 'killed');
    const child = spawn(process.execPath, [join(root, 'bin/entrycheck.js'), ...ARGS, '--out', killed], { cwd: root, stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    for (let i = 0; i < 600; i++) {
      let n = 0;
      try { n = files(killed).filter((f) => f.endsWith('.json')).length; } catch { /* not yet made */ }
      if (n > 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGKILL');
    await exited;
    const left = files(killed).filter((f) => f.endsWith('.json'));
    expect(left.length, '[FAIL] expected at least one counterexample before the kill').toBeGreaterThan(0);
    for (const f of left) expect(() => parseCounterexample(readFileSync(join(killed, f), 'utf8'), f)).not.toThrow();

    expect(spawnSync(process.execPath, [join(root, 'bin/entrycheck.js'), ...ARGS, '--out', killed], { cwd: root }).status).toBe(status);
    const json = (d: string): string[] => files(d).filter((f) => f.endsWith('.json') || f.endsWith('.txt'));
    expect(json(killed), '[FAIL] expected the rerun to end with the files of an uninterrupted run').toEqual(json(clean));
  }, 120_000);
});
