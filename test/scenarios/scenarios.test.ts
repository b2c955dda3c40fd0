/**
 * The hand-written scenario traces: each file replays to the observations its expected/ file
 * lists (on each run the file's "on" names), and every scenario replays without an exception on
 * every design, vendor and paging mode through the code the CLI uses (parseTrace, runTraceFile,
 * replayText / replayReport). Convention: test/scenarios/README.md.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { designByName, runTraceFile } from '../../src/check/session.ts';
import { parseTrace } from '../../src/check/trace-file.ts';
import { DESIGNS } from '../../src/kernel/index.ts';
import { replayReport, replayText } from '../../src/report/replay-report.ts';
import { check, expectationSchema } from './expect.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = resolve(here, '../..');
const scenarios = readdirSync(here).filter((f) => f.endsWith('.json')).sort();
const load = (f: string) => parseTrace(readFileSync(join(here, f), 'utf8'), join(here, f));

describe('scenario files', () => {
  it('exist, parse, and each has an expected-observations file (and no expectation is orphaned)', () => {
    expect(scenarios.length).toBeGreaterThanOrEqual(10);
    for (const f of scenarios) expect(() => load(f), f).not.toThrow();
    const expected = readdirSync(join(here, 'expected')).filter((f) => f.endsWith('.json')).sort();
    expect(expected).toEqual(scenarios);
  });

  for (const f of scenarios) {
    it(`${f} replays to its expected observations`, () => {
      const t = load(f);
      const e = expectationSchema.parse(JSON.parse(readFileSync(join(here, 'expected', f), 'utf8')));
      for (const on of e.on ?? [{}]) {
        const run = runTraceFile(t, f, {
          verbose: true, ...(on.design ? { design: designByName(on.design) } : {}),
          ...(on.vendor ? { vendor: on.vendor } : {}), ...(on.paging ? { paging: on.paging } : {}),
        });
        expect(run.result.skipped, `${f} ${JSON.stringify(on)}: skipped events`).toEqual([]);
        expect(check(run, e, f), `${f} on ${run.design.name} ${run.vendor} ${run.paging}-level`).toEqual([]);
      }
    });
  }
});

describe('the expectation checker can fail', () => {
  const t = load('getpid-sysret.json');
  const run = runTraceFile(t, 'getpid-sysret.json', { verbose: true });
  const e = (over: object) => expectationSchema.parse({ about: 'x', ...over });

  it('reports a wrong value, a wrong order, a present "absent" and an unexpected kernel failure', () => {
    expect(check(run, e({ observations: [{ kind: 'return-to-user', via: 'iret' }] }), 'f')).toHaveLength(1);
    expect(check(run, e({ observations: [{ kind: 'user-insn', rip: '0x400102' }, { kind: 'user-insn', rip: '0x400100' }] }), 'f')).toHaveLength(1);
    expect(check(run, e({ absent: [{ kind: 'return-to-user', view: { regs: { rax: '0x1' } } }] }), 'f')).toHaveLength(1);
    expect(check(run, e({ steps: [{ path: 'entry_SYSCALL_64', gsBase: '$percpu', where: 'entry_SYSCALL_64+0 (swapgs)' }] }), 'f')).toHaveLength(1);
    const failed = { ...run, result: { ...run.result, observations: [...run.result.observations, { at: 2, o: { kind: 'kernel-failure' as const, what: 'hang' as const, detail: 'x' } }] } };
    expect(check(failed, e({}), 'f')).toEqual([expect.stringContaining('unexpected kernel failure')]);
    expect(check(run, e({ observations: [{ kind: 'return-to-user', via: 'sysret', rip: '$user_code+0x102' }] }), 'f')).toEqual([]);
  });
});

describe('every scenario on every design, vendor and paging mode (the CLI code path)', () => {
  for (const f of scenarios) {
    it(`${f} replays and reports without throwing`, () => {
      const t = load(f);
      let runs = 0;
      for (const design of DESIGNS) {
        for (const vendor of ['intel', 'amd'] as const) {
          for (const paging of [4, 5] as const) {
            const run = runTraceFile(t, f, { design, vendor, paging });
            expect(replayText(run)).toMatch(new RegExp(`^design ${design.name}, ${vendor}, ${paging}-level paging\\n`));
            expect(replayReport(run).steps).toHaveLength(t.events.length + 1);
            runs++;
          }
        }
      }
      expect(runs).toBe(DESIGNS.length * 4);
    });
  }
});

describe('entrycheck replay (spawned)', () => {
  const cli = (...args: string[]) => spawnSync(process.execPath, [join(root, 'bin/entrycheck.js'), 'replay', ...args], { cwd: root, encoding: 'utf8' });

  it('replays a scenario file: exit 0, the step table on stdout, nothing on stderr', () => {
    const r = cli('test/scenarios/getpid-sysret.json');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^design linux-6\.7, intel, 4-level paging\n/);
    expect(r.stdout).toContain('> return-to-user task 1 via sysret: rip 0x400102');
  });

  it('honours --design/--vendor/--paging and --json', () => {
    const r = cli('test/scenarios/sigreturn-noncanonical-rip.json', '--design', 'linux-3.19', '--vendor', 'amd', '--paging', '5', '--json');
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout) as { design: string; vendor: string; paging: number; observations: Array<{ kind: string }> };
    expect([j.design, j.vendor, j.paging]).toEqual(['linux-3.19', 'amd', 5]);
    expect(j.observations.some((o) => o.kind === 'return-to-user')).toBe(true);
  });
});
