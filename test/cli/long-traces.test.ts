/**
 * Long traces (docs/reliability.md, "Limits"): replay is linear in the length, so a trace of
 * MAX_EVENTS events is accepted and judged; one more is bad input; `view` refuses a trace too
 * long for one page in one line, writing nothing.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../scripts/fuzz/cli.ts';
import { MAX_EVENTS, MAX_VIEW_EVENTS } from '../../src/check/limits.ts';

const tmp = mkdtempSync(join(tmpdir(), 'ec-long-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const trace = (n: number): string => {
  const f = join(tmp, `t${n}.json`);
  writeFileSync(f, JSON.stringify({ format: 'entrycheck/trace@1', design: 'linux-6.7', vendor: 'intel', paging: 4, events: Array.from({ length: n }, () => ({ type: 'user.syscall', nr: 'getpid' })) }));
  return f;
};

describe('long traces', () => {
  it(`replays ${MAX_EVENTS} events with every invariant; refuses one more with exit 2`, async () => {
    const ok = await runCli(['replay', trace(MAX_EVENTS)]);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/Summary: 0 invariants violated/);
    const over = await runCli(['replay', trace(MAX_EVENTS + 1)]);
    expect(over.status).toBe(2);
    expect(over.stderr.trim().split('\n')).toEqual([expect.stringContaining(`expected at most ${MAX_EVENTS} events`)]);
  });

  it(`view refuses more than ${MAX_VIEW_EVENTS} events in one line and writes nothing`, async () => {
    const out = join(tmp, 'page.html');
    const r = await runCli(['view', trace(MAX_VIEW_EVENTS + 1), '-o', out]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringContaining(`expected at most ${MAX_VIEW_EVENTS} events for a page, got ${MAX_VIEW_EVENTS + 1}`)]);
    expect(existsSync(out)).toBe(false);
  });
});
