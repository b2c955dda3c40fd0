/** The explore and mutate commands from the command line: results, files, exit statuses, bad input. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mutateOutputSchema } from '../../src/check/output-schemas-search.ts';

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

  it('--start task2-64 explores from task 2 a 64-bit process, and the saved file says so', () => {
    const out = mkdtempSync(join(tmpdir(), 'ec-explore-'));
    const r = cli('explore', '--design', 'opportunistic-sysret-2015', '--depth', '1', '--start', 'task2-64', '--out', out, '--json');
    expect(r.status).toBe(1);
    const j = JSON.parse(r.stdout) as { start: string; found: { file: string } };
    expect(j.start).toBe('task2-64');
    expect(JSON.parse(readFileSync(j.found.file, 'utf8'))).toMatchObject({ path: 'explore depth 1, task 2 64-bit', initial: { task2Is64: true } });
    expect(readFileSync(j.found.file.replace(/\.json$/, '.txt'), 'utf8')).toContain('4-level paging; task 2 a 64-bit process\n');
    expect(cli('replay', j.found.file).status).toBe(1);
    expect(JSON.parse(cli('replay', j.found.file, '--json').stdout)).toMatchObject({ initial: { task2Is64: true } });
    expect(cli('view', j.found.file, '-o', '-').stdout).toContain('4-level paging; task 2 a 64-bit process</p>');
  });

  // AMD's compat SYSCALL reads arg 6 at ESP; 3.19 returns the fault through the full exit (ia32_badarg).
  it('--start task1-32 explores from task 1 a 32-bit process with the bare 32-bit SYSCALL: 3.19\'s unpaired exit stop on AMD in 3 events', () => {
    const out = mkdtempSync(join(tmpdir(), 'ec-explore-'));
    const r = cli('explore', '--design', 'linux-3.19', '--vendor', 'amd', '--property', 'syscall-stops', '--depth', '3', '--start', 'task1-32', '--out', out, '--json');
    expect(r.status, r.stderr).toBe(1);
    const j = JSON.parse(r.stdout) as { start: string; alphabet: number; found: { file: string; length: number } };
    expect(j.start).toBe('task1-32');
    expect(j.found.length).toBe(3);
    const file = JSON.parse(readFileSync(j.found.file, 'utf8')) as { initial: unknown; events: Array<{ type: string; raw?: boolean }> };
    expect(file).toMatchObject({ path: 'explore depth 3, task 1 32-bit', initial: { task1Is32: true, task2Is64: true } });
    expect(file.events.at(-1)).toEqual({ type: 'user.syscall', nr: 'getpid', raw: true });
    expect(readFileSync(j.found.file.replace(/\.json$/, '.txt'), 'utf8')).toContain('4-level paging; task 1 a 32-bit process; task 2 a 64-bit process\n');
    expect(cli('replay', j.found.file).status).toBe(1);
  });

  it('claims no violation up to the depth on linux-6.7, with the state count (exit 0)', () => {
    const r = cli('explore', '--design', 'linux-6.7', '--depth', '1', '--out', mkdtempSync(join(tmpdir(), 'ec-explore-')));
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^no violation in any trace of length <= 1 over the alphabet \(\d+ events\): \d+ distinct states, \d+ traces judged in \d+ s\n$/);
    expect(r.stderr).toMatch(/\[explore\] depth 1: \d+ distinct states/);
  });

  it('gives the same states, traces and counterexample with 1 worker and with 2 (worker threads, depth 4)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ec-alpha-'));
    const alphabet = join(dir, 'a.json');
    writeFileSync(alphabet, JSON.stringify([
      { type: 'user.nop' }, { type: 'user.syscall', nr: 'getpid' }, { type: 'user.syscall', nr: 'sched_yield' }, { type: 'user.popf', flags: '0x302' },
      { type: 'user.int80', nr: 'fork' }, { type: 'hw.irq', after: 0 }, { type: 'hw.nmi', after: 1 }, { type: 'tracer.cont' },
    ]));
    const at = (workers: string) => {
      const r = cli('explore', '--design', 'irqs-on-syscall-entry', '--depth', '4', '--alphabet', alphabet, '--workers', workers, '--out', join(dir, workers), '--json');
      expect(r.status, r.stderr).toBe(1);
      const j = JSON.parse(r.stdout) as { states: number; traces: number; found: { invariant: string; length: number } };
      return { states: j.states, traces: j.traces, found: { invariant: j.found.invariant, length: j.found.length } };
    };
    const one = at('1');
    expect(one.found.length).toBe(4);
    expect(at('2')).toEqual(one);
  });

  it('--every-boundary reaches the IRQ deep in irqs-on-syscall-entry\'s SYSCALL entry, the same on 1 worker and on 2 (depth 3)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ec-every-'));
    const alphabet = join(dir, 'a.json');
    writeFileSync(alphabet, JSON.stringify([
      { type: 'user.syscall', nr: 'getpid' }, { type: 'user.sysenter', nr: 'getpid' }, { type: 'hw.irq', after: 0 }, { type: 'hw.irq', after: 1 },
    ]));
    const at = (workers: string, ...more: string[]) => {
      const r = cli('explore', '--design', 'irqs-on-syscall-entry', '--property', 'pt-regs-coherence', '--depth', '3', '--alphabet', alphabet, '--workers', workers,
        '--out', join(dir, workers), '--json', ...more);
      const j = JSON.parse(r.stdout) as { everyBoundary: boolean; states: number; traces: number; found: { invariant: string; length: number } | null };
      return { status: r.status, everyBoundary: j.everyBoundary, states: j.states, traces: j.traces, found: j.found && { invariant: j.found.invariant, length: j.found.length } };
    };
    const one = at('1', '--every-boundary');
    expect(one).toMatchObject({ status: 1, everyBoundary: true, found: { invariant: 'pt-regs-coherence', length: 3 } });
    expect(at('2', '--every-boundary')).toEqual(one);
    expect(at('1')).toMatchObject({ status: 0, everyBoundary: false, found: null });
  });

  it('rejects a bad depth, an unknown design and a malformed alphabet in one line, exit 2', () => {
    const bad = join(mkdtempSync(join(tmpdir(), 'ec-alpha-')), 'a.json');
    spawnSync('sh', ['-c', `printf '[{"type": "user.nope"}]' > ${bad}`]);
    for (const args of [['--design', 'linux-6.7', '--depth', '0'], ['--design', 'linux-9'], ['--design', 'linux-6.7', '--alphabet', bad], ['--design', 'linux-6.7', '--workers', '0'], ['--design', 'linux-6.7', '--start', 'task3-64']]) {
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
    // TF through SYSRET: the corpus's step-report trace (two reports) or the search's early trap.
    const tf = j.mutants.find((m) => m.change.startsWith('sysretChecks.tfClear'));
    expect(tf).toMatchObject({ status: 'killed' });
    expect(['step-report', 'sysret-iret-equivalence']).toContain(tf?.killer?.invariant);
    expect(j).toMatchObject({ killed: 1, equivalent: 1 });
  });

  it('--pairs scores the pairs of mutants suspected equivalent alone, apart from the singles (the output its schema)', () => {
    const r = cli('mutate', '--design', 'linux-6.7', '--no-corpus', '--only', 'switchtosavesscratch', 'dbshiftist', '--runs', '20', '--explore-depth', '1', '--pairs', '--json');
    expect(r.status).toBe(0);
    const j = mutateOutputSchema.parse(JSON.parse(r.stdout));
    expect(j).toMatchObject({ equivalent: 2, pairScore: { equivalent: 1, killed: 0 } });
    expect(j.pairs?.map((m) => [m.change, m.pair])).toEqual([['switchToSavesScratch: false -> true and dbShiftIst: false -> true', true]]);
  });
});
