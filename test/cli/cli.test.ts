import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = new URL('../../bin/entrycheck.js', import.meta.url).pathname;
function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
const oneLine = (s: string): void => { expect(s.trim().split('\n')).toHaveLength(1); expect(s).not.toMatch(/\n\s+at /); };

describe('entrycheck CLI', () => {
  it('list --json lists the twelve built-in designs and the invariants', () => {
    const r = cli('list', '--json');
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout) as { designs: Array<{ name: string; knobs: object }>; invariants: Array<{ id: string }> };
    for (const d of ['linux-3.19', 'opportunistic-sysret-2015', 'linux-4.1', 'linux-4.16', 'linux-5.8', 'linux-6.7', 'irqs-on-syscall-entry',
      'pf-trap-gate', 'ts-fastsyscall', 'rseq-in-scheduler', 'rseq-at-exit', 'compat-fast-sysret-2015']) {
      expect(j.designs.map((x) => x.name)).toContain(d);
    }
    expect(j.invariants.map((i) => i.id)).toContain('sysret-iret-equivalence');
  });

  it('run --json is deterministic for a seed and exits 0 when the cell matches', () => {
    const out = mkdtempSync(join(tmpdir(), 'ec-run-'));
    const args = ['run', '--design', 'linux-6.7', '--property', 'compat-status', '--vendor', 'intel', '--paging', '4', '--runs', '8', '--seed', '5', '--out', out, '--json'];
    const a = cli(...args);
    const b = cli(...args);
    expect(a.status).toBe(0);
    // Byte for byte, but for the CPU time it measured (stats.cpuMs).
    const timeless = (s: string): string => s.replace(/"cpuMs": \d+/, '"cpuMs": 0');
    expect(timeless(a.stdout)).toBe(timeless(b.stdout));
    expect(a.stdout).toMatch(/"cpuMs": \d+/);
    const j = JSON.parse(a.stdout) as { ok: boolean; cells: Array<{ verdict: string; expected: string; runs: number }>; stats: Record<string, number> };
    expect(j.ok).toBe(true);
    expect(j.cells).toEqual([expect.objectContaining({ invariant: 'compat-status', design: 'linux-6.7', verdict: 'holds', expected: 'holds', runs: 8 })]);
    // The stats count the exhaustive phase apart from the 8 guided traces; it judges most of them.
    expect(j.stats).toEqual(expect.objectContaining({ traces: 8 }));
    expect(j.stats['exploredTraces']).toBeGreaterThan(1000);
    expect(j.stats['exploredStates']).toBeGreaterThan(100);
    // The text says the same totals before the random search's coverage.
    const text = cli(...args.filter((x) => x !== '--json'));
    expect(text.stdout).toContain(`: ${j.stats['exploredTraces']} traces judged, ${j.stats['exploredStates']} distinct states\nCoverage of the random search (8 traces):`);
  });

  it('run exits 1 and saves a counterexample when a cell does not match', () => {
    const out = mkdtempSync(join(tmpdir(), 'ec-run-'));
    const r = cli('run', '--design', 'linux-6.7', '--property', 'sanity-switch-mid-syscall', '--vendor', 'intel', '--paging', '4', '--runs', '100', '--out', out, '--json');
    const j = JSON.parse(r.stdout) as { ok: boolean; cells: Array<{ verdict: string; counterexample: { file: string } | null }> };
    // A sanity claim is expected to be violated: found and saved, the run matches.
    expect(j.cells[0]?.verdict).toBe('violated');
    expect(j.cells[0]?.counterexample?.file).toMatch(/sanity-switch-mid-syscall\/linux-6\.7-intel-4-[0-9a-f]{10}\.json$/);
    expect(r.status).toBe(0);
    const replay = cli('replay', j.cells[0]?.counterexample?.file ?? '');
    expect(replay.status).toBe(1);
    // A reachability claim is listed apart, and its recorded violation decides the exit status.
    expect(replay.stdout).toMatch(/Reachability claims reached.*\n  sanity-switch-mid-syscall \(recorded\) at step \d+/);
    expect(replay.stdout).toMatch(/the recorded violation of sanity-switch-mid-syscall reproduces\.\n$/);
  });

  it('bad input is one line on stderr and exit status 2', () => {
    for (const args of [['run', '--runs', 'abc'], ['run', '--design', 'linux-9.9'], ['run', '--shard', '3/2'], ['run', '--property', 'nope'], ['replay', '/no/such/file.json']]) {
      const r = cli(...args);
      expect(r.status, args.join(' ')).toBe(2);
      oneLine(r.stderr);
    }
  });

  it('a malformed trace names the file, the event index and the field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ec-trace-'));
    const cases: Array<[object, RegExp]> = [
      [{ type: 'user.teleport' }, /events\[1\]\.type/],
      [{ type: 'user.setReg', reg: 'rax', value: '0xzz' }, /events\[1\]\.value/],
      [{ type: 'hw.nmi' }, /events\[1\]\.after/],
    ];
    for (const [event, field] of cases) {
      const file = join(dir, 't.json');
      writeFileSync(file, JSON.stringify({ format: 'entrycheck/trace@1', design: 'linux-6.7', vendor: 'intel', paging: 4, events: [{ type: 'user.nop' }, event] }));
      const r = cli('replay', file);
      expect(r.status).toBe(2);
      oneLine(r.stderr);
      expect(r.stderr).toContain(file);
      expect(r.stderr).toMatch(field);
    }
  });
});
