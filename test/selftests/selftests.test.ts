/**
 * The x86 kernel selftests as traces (docs/selftests.md): each test/selftests/NAME.json replays,
 * on every run its expectation names (design, vendor, paging), to what the selftest asserts
 * (test/selftests/expected/NAME.json: the selftest file and commit it was read from, the
 * assertion, the observations and states that make it). Messages follow the selftests' own:
 * [RUN] what, then [OK] or [FAIL] expected X, got Y.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { designByName, runTraceFile } from '../../src/check/session.ts';
import { parseTrace } from '../../src/check/trace-file.ts';
import { check, selftestSchema } from './expect.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const traces = readdirSync(here).filter((f) => f.endsWith('.json')).sort();

describe('the x86 selftests as traces', () => {
  it('every trace has its expectation and every expectation its trace', () => {
    expect(readdirSync(join(here, 'expected')).filter((f) => f.endsWith('.json')).sort()).toEqual(traces);
    expect(traces.length).toBeGreaterThanOrEqual(30);
  });

  for (const f of traces) {
    const e = selftestSchema.parse(JSON.parse(readFileSync(join(here, 'expected', f), 'utf8')));
    it(`[RUN] ${f}: ${e.asserts} (${e.selftest})`, () => {
      const t = parseTrace(readFileSync(join(here, f), 'utf8'), f);
      for (const on of e.on ?? [{}]) {
        const run = runTraceFile(t, f, {
          verbose: true, ...(on.design ? { design: designByName(on.design) } : {}),
          ...(on.vendor ? { vendor: on.vendor } : {}), ...(on.paging ? { paging: on.paging } : {}),
        });
        const where = `${run.design.name} ${run.vendor} ${run.paging}-level`;
        expect(run.result.skipped, `[FAIL] ${f} on ${where}: expected no skipped event, got ${run.result.skipped.join(', ')}`).toEqual([]);
        const misses = check(run, e, f).map((m) => `[FAIL] ${m}`);
        expect(misses, `${f} on ${where}`).toEqual([]);
      }
    });
  }
});
