/**
 * Bounded work and results that survive: a check that loops is stopped by the pool's watchdog
 * and becomes an error cell naming it while the other cells of its unit still get verdicts; a
 * saved file under --out that is not a counterexample is set aside with a one-line warning and
 * the run goes on; a counterexample is on disk as soon as its unit is done.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { discoverInvariants } from '../../src/check/discover.ts';
import { Expected } from '../../src/check/expected.ts';
import { runSuite } from '../../src/check/suite.ts';
import { findDesign } from '../../src/kernel/index.ts';

const index = new URL('../../src/index.ts', import.meta.url).pathname;
const design = findDesign('linux-6.7');

function propertiesDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'ec-props-'));
  writeFileSync(join(dir, 'package.json'), '{"type": "module"}');
  for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, name), `import { defineInvariant } from '${index}';\nexport default defineInvariant(${body});\n`);
  return dir;
}

const base = { designs: design ? [design] : [], vendors: ['intel'] as const, pagings: [4] as const, runs: 3, seed: 1, expected: new Expected([]), renderTxt: () => '' };

describe('the worker pool', () => {
  it('stops a check that loops: an E cell naming it, and the other cells of the unit still decided', async () => {
    const dir = propertiesDir({
      'loops.ts': "{ id: 'loops', kind: 'state', summary: 'loops', source: 'test', check() { for (;;) { /* never */ } } }",
      'fine.ts': "{ id: 'fine', kind: 'state', summary: 'holds', source: 'test', check() { return true; } }",
    });
    const invariants = await discoverInvariants(dir);
    const r = await runSuite({ ...base, invariants, propertiesDir: dir, outDir: mkdtempSync(join(tmpdir(), 'ec-out-')), workers: 1, stallMs: 400 });
    const byId = new Map(r.cells.map((c) => [c.cell.invariant, c]));
    expect(byId.get('loops')?.verdict).toBe('error');
    expect(byId.get('loops')?.error).toMatch(/^invariant loops made no progress for 0 s \(a loop\?\): the unit was stopped$/);
    expect(byId.get('fine')?.verdict, byId.get('fine')?.error).toBe('holds');
  }, 30_000);
});

describe('saved files', () => {
  it('sets aside a file under --out that is not a counterexample, with one warning line, and goes on', async () => {
    const invariants = (await discoverInvariants()).filter((d) => d.invariant.id === 'compat-status');
    const out = mkdtempSync(join(tmpdir(), 'ec-out-'));
    mkdirSync(join(out, 'compat-status'));
    writeFileSync(join(out, 'compat-status', 'linux-6.7-intel-4-0000000000.json'), '{"format": 42');
    const warnings: string[] = [];
    const r = await runSuite({ ...base, invariants, outDir: out, workers: 0, onWarning: (l) => warnings.push(l) });
    expect(r.cells.map((c) => c.verdict)).toEqual(['holds']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/linux-6\.7-intel-4-0000000000\.json: not JSON: .* \(set aside as .*\.json\.bad\)$/);
    expect(warnings[0]).not.toMatch(/\n/);
    expect(readdirSync(join(out, 'compat-status'))).toEqual(['linux-6.7-intel-4-0000000000.json.bad']);
  });

  it('writes a counterexample as soon as its unit is done, before the run ends', async () => {
    const invariants = (await discoverInvariants()).filter((d) => d.invariant.id === 'sanity-switch-mid-syscall');
    const out = mkdtempSync(join(tmpdir(), 'ec-out-'));
    let seenDuringRun = false;
    await runSuite({
      ...base, invariants, outDir: out, workers: 0, runs: 40, vendors: ['intel', 'amd'],
      onProgress: (done) => { if (done === 1) seenDuringRun = existsSync(join(out, 'sanity-switch-mid-syscall')) && readdirSync(join(out, 'sanity-switch-mid-syscall')).length > 0; },
    });
    expect(seenDuringRun).toBe(true);
  });

  it('merges the units\' coverage in unit order, not in the order workers finish: the same JSON with 2 workers as in this thread', async () => {
    // Two units side by side: linux-6.7's (every trace judged: compat-status holds there) and
    // linux-3.19's, which its exploration ends at once (CVE-2015-2830): the second finishes first.
    const invariants = (await discoverInvariants()).filter((d) => d.invariant.id === 'compat-status');
    const designs = ['linux-6.7', 'linux-3.19'].map((n) => findDesign(n)).filter((d) => d !== undefined);
    const at = async (workers: number) => {
      const r = await runSuite({ ...base, designs, vendors: ['intel'], pagings: [4], runs: 200, invariants, outDir: mkdtempSync(join(tmpdir(), 'ec-out-')), workers });
      return JSON.stringify(r.coverage);
    };
    const here = await at(0);
    expect(Object.keys(JSON.parse(here).decisions)).toEqual(['linux-6.7', 'linux-3.19']);
    expect(await at(2)).toBe(here);
  });
});
