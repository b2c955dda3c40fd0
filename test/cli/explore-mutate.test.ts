/** The explore and mutate commands from the command line: results, files, exit statuses, bad input. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = new URL('../../bin/entrycheck.js', import.meta.url).pathname;
function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('entrycheck explore', () => {
  it('finds opportunistic-sysret-2015\'s flaw with a 1-event trace, saves it, and the saved file replays to it (exit 1)', () => {
    const out = mkdtempSync(join(tmpdir(), 'ec-explore-'));
    const r = cli('explore', '--design', 'opportunistic-sysret-2015', '--depth', '2', '--out', out, '--json');
    expect(r.status).toBe(1);
    const j = JSON.parse(r.stdout) as { found: { invariant: string; length: number; file: string }; complete: boolean };
    expect(j.found).toMatchObject({ invariant: 'sysret-iret-equivalence', length: 1 });
    expect(JSON.parse(readFileSync(j.found.file, 'utf8'))).toMatchObject({ format: 'entrycheck/counterexample@1', path: 'explore depth 1' });
    expect(cli('replay', j.found.file).status).toBe(1);
  });

  it('claims no violation up to the depth on linux-6.7, with the state count (exit 0)', () => {
    const r = cli('explore', '--design', 'linux-6.7', '--depth', '1', '--out', mkdtempSync(join(tmpdir(), 'ec-explore-')));
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^no violation in any trace of length <= 1 over the alphabet \(\d+ events\): \d+ distinct states, \d+ traces judged in \d+ s\n$/);
    expect(r.stderr).toMatch(/\[explore\] depth 1: \d+ distinct states/);
  });

  it('rejects a bad depth, an unknown design and a malformed alphabet in one line, exit 2', () => {
    const bad = join(mkdtempSync(join(tmpdir(), 'ec-alpha-')), 'a.json');
    spawnSync('sh', ['-c', `printf '[{"type": "user.nope"}]' > ${bad}`]);
    for (const args of [['--design', 'linux-6.7', '--depth', '0'], ['--design', 'linux-9'], ['--design', 'linux-6.7', '--alphabet', bad]]) {
      const r = cli('explore', ...args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});

describe('entrycheck mutate', () => {
  it('scores the chosen mutants: killed with the killer, suspected equivalent (exit 0 when none survived)', () => {
    const r = cli('mutate', '--design', 'linux-6.7', '--only', 'sysretchecks.tfclear', 'sysretchecks.rip', '--runs', '20', '--explore-depth', '1', '--json');
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout) as { killed: number; equivalent: number; mutants: Array<{ change: string; status: string; killer?: { invariant: string } }> };
    expect(j.mutants.find((m) => m.change.startsWith('sysretChecks.tfClear'))).toMatchObject({ status: 'killed', killer: { invariant: 'sysret-iret-equivalence' } });
    expect(j).toMatchObject({ killed: 1, equivalent: 1 });
  });
});
