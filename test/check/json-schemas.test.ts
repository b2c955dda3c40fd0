/**
 * schemas/*.schema.json are what `npm run schemas` generates from the zod schemas (commit them
 * after a change); they accept every real file of the project and a file naming its "$schema";
 * and the `--json` outputs entrycheck really prints match both the zod output schemas and the
 * generated JSON Schemas (checked with ajv, an independent validator).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { counterexampleSchema } from '../../src/check/counterexample.ts';
import { expectedSchema } from '../../src/check/expected.ts';
import { renderSchemas } from '../../src/check/json-schemas.ts';
import { cosimOutputSchema, listOutputSchema, replayOutputSchema, runOutputSchema } from '../../src/check/output-schemas.ts';
import { MAX_EVENTS } from '../../src/check/limits.ts';
import { exploreOutputSchema, mutateOutputSchema } from '../../src/check/output-schemas-search.ts';
import { traceSchema } from '../../src/check/trace-file.ts';
import { runCli } from '../../scripts/fuzz/cli.ts';

const root = new URL('../../', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'ec-schemas-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
// strict: an unknown keyword or a type-less constraint in a generated schema is an error.
const ajv = new Ajv2020({ strict: true, logger: { log: () => {}, warn: (m: string) => { throw new Error(m); }, error: (m: string) => { throw new Error(m); } } });
const committed = (file: string): Record<string, unknown> => JSON.parse(readFileSync(join(root, 'schemas', file), 'utf8')) as Record<string, unknown>;
const compiled = new Map<string, ReturnType<typeof ajv.compile>>();
const validator = (file: string): ReturnType<typeof ajv.compile> => {
  let v = compiled.get(file);
  if (!v) { v = ajv.compile(committed(file)); compiled.set(file, v); }
  return v;
};
const json = (file: string): unknown => JSON.parse(readFileSync(file, 'utf8'));
const files = (dir: string): string[] => readdirSync(join(root, dir), { recursive: true }).map(String).filter((f) => f.endsWith('.json')).map((f) => join(root, dir, f));

/** Checks `value` against the zod schema and the committed JSON Schema. */
function conforms(value: unknown, zod: z.ZodType, schemaFile: string): void {
  const r = zod.safeParse(value);
  expect(r.success, r.success ? '' : JSON.stringify(r.error.issues[0])).toBe(true);
  const v = validator(schemaFile);
  expect(v(value), JSON.stringify(v.errors?.[0])).toBe(true);
}

describe('schemas/', () => {
  it('holds exactly what npm run schemas generates', () => {
    const generated = renderSchemas();
    expect(readdirSync(join(root, 'schemas')).filter((f) => f.endsWith('.json')).sort()).toEqual(generated.map((g) => g.file).sort());
    for (const g of generated) expect(readFileSync(join(root, 'schemas', g.file), 'utf8'), `${g.file} is stale: run npm run schemas`).toBe(g.text);
  });

  it('accepts every trace, counterexample and expected-verdicts file of the project', () => {
    for (const f of files('counterexamples')) conforms(json(f), counterexampleSchema, 'counterexample.schema.json');
    for (const f of readdirSync(join(root, 'test/scenarios')).filter((x) => x.endsWith('.json'))) conforms(json(join(root, 'test/scenarios', f)), traceSchema, 'trace.schema.json');
    conforms(json(join(root, 'expected-verdicts.json')), expectedSchema, 'expected-verdicts.schema.json');
  });

  it('lets a file name its "$schema", and rejects what the zod schemas reject by shape', () => {
    const trace = { $schema: '../schemas/trace.schema.json', ...(json(join(root, 'test/scenarios/getpid-sysret.json')) as object) };
    conforms(trace, traceSchema, 'trace.schema.json');
    const v = validator('trace.schema.json');
    for (const bad of [{ ...trace, $schema: 7 }, { ...trace, design: '../../x' }, { ...trace, extra: 1 }, { ...trace, events: Array(MAX_EVENTS + 1).fill({ type: 'user.nop' }) }]) {
      expect(v(bad)).toBe(false);
      expect(traceSchema.safeParse(bad).success).toBe(false);
    }
  });
});

describe('--json outputs', () => {
  it('list --json', async () => {
    const r = await runCli(['list', '--json']);
    expect(r.status).toBe(0);
    conforms(JSON.parse(r.stdout), listOutputSchema, 'list-output.schema.json');
  });

  it('replay --json of one trace, of several, and of counterexamples', async () => {
    const scenarios = readdirSync(join(root, 'test/scenarios')).filter((x) => x.endsWith('.json')).map((x) => join(root, 'test/scenarios', x));
    const one = await runCli(['replay', '--json', scenarios[0] ?? '']);
    expect(one.status).toBe(0);
    conforms(JSON.parse(one.stdout), replayOutputSchema, 'replay-output.schema.json');
    const all = await runCli(['replay', '--json', ...scenarios]);
    conforms(JSON.parse(all.stdout), replayOutputSchema, 'replay-output.schema.json');
    const ces = files('counterexamples').slice(0, 12);
    const r = await runCli(['replay', '--json', ...ces]);
    expect(r.status).toBe(1);
    conforms(JSON.parse(r.stdout), replayOutputSchema, 'replay-output.schema.json');
  });

  it('run --json', () => {
    const r = spawnSync(process.execPath, [join(root, 'bin/entrycheck.js'), 'run', '--design', 'linux-3.19', '--property', 'compat-status', '--vendor', 'intel',
      '--paging', '4', '--runs', '5', '--out', tmp, '--json'], { encoding: 'utf8' });
    conforms(JSON.parse(r.stdout), runOutputSchema, 'run-output.schema.json');
  });

  it('cosim --json: the report, re-run files and the skipped line', async () => {
    const { reportJson } = await import('../../src/cosim/report.ts');
    const { emptyStats } = await import('../../src/cosim/stats.ts');
    const report = reportJson({
      platform: { ok: true, harness: '/h', vendor: 'intel', paging: 4, int80: true, cpu: 'cpu', umip: false, vdso: null, xstate: 0n }, design: 'linux-6.7', seed: 1, out: 'cosim', minAgreement: 99.9,
      summary: {
        traces: 2, agreed: 1, classes: new Map([['user.syscall rax', { cls: 'user.syscall rax', count: 1, example: 'cosim/x.json', firstIndex: 0 }]]), files: [], elapsedMs: 5,
        stats: emptyStats(), masked: { 'orig-rax-at-delivery': 2 }, tracesMasked: 1,
      },
    });
    conforms(report, cosimOutputSchema, 'cosim-output.schema.json');
    conforms([{ file: 'f.json', agree: false, class: 'c', differences: [{ event: 0, type: 'user.nop', field: 'rip', model: '0x1', real: '0x2' }] }], cosimOutputSchema, 'cosim-output.schema.json');
    conforms({ skipped: true, reason: 'not x86-64 Linux' }, cosimOutputSchema, 'cosim-output.schema.json');
  });
});

describe('--json outputs of the search commands', () => {
  it('explore --json', () => {
    const r = spawnSync(process.execPath, [join(root, 'bin/entrycheck.js'), 'explore', '--design', 'linux-6.7', '--depth', '1', '--out', tmp, '--json'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    conforms(JSON.parse(r.stdout), exploreOutputSchema, 'explore-output.schema.json');
    const found = spawnSync(process.execPath, [join(root, 'bin/entrycheck.js'), 'explore', '--design', 'linux-3.19', '--depth', '2', '--out', tmp, '--json'], { encoding: 'utf8' });
    expect((JSON.parse(found.stdout) as { found: unknown }).found).not.toBeNull();
    conforms(JSON.parse(found.stdout), exploreOutputSchema, 'explore-output.schema.json');
  });

  it('mutate --json', () => {
    const r = spawnSync(process.execPath, [join(root, 'bin/entrycheck.js'), 'mutate', '--design', 'linux-6.7', '--only', 'sysretchecks.csisusercs', '--runs', '5', '--explore-depth', '1', '--json'], { encoding: 'utf8' });
    const out = JSON.parse(r.stdout) as { mutants: unknown[] };
    expect(out.mutants.length).toBeGreaterThan(0);
    conforms(out, mutateOutputSchema, 'mutate-output.schema.json');
  });
});
