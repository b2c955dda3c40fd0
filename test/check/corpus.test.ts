/**
 * Every saved counterexample replays to its recorded verdict: the invariant it names is violated
 * by its trace on the design it names (DESIGN.md section 5).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { designOf, parseCounterexample } from '../../src/check/counterexample.ts';
import { discoverInvariants } from '../../src/check/discover.ts';
import { evaluate } from '../../src/check/evaluate.ts';
import { kernelOf } from '../../src/check/session.ts';
import { toTraceEvents } from '../../src/check/operands.ts';

const DIR = new URL('../../counterexamples/', import.meta.url).pathname;
const files = existsSync(DIR)
  ? readdirSync(DIR).filter((d) => statSync(join(DIR, d)).isDirectory())
    .flatMap((d) => readdirSync(join(DIR, d)).filter((f) => f.endsWith('.json')).map((f) => join(DIR, d, f)))
  : [];

describe('saved counterexamples', async () => {
  const invariants = new Map((await discoverInvariants()).map((d) => [d.invariant.id, d.invariant]));
  it('exist for the expected violations', () => {
    expect(files.length).toBeGreaterThan(0);
  });
  for (const file of files) {
    it(`${file.slice(DIR.length)} replays to its expect`, () => {
      const ce = parseCounterexample(readFileSync(file, 'utf8'), file);
      const inv = invariants.get(ce.invariant);
      expect(inv, `no invariant ${ce.invariant}`).toBeDefined();
      if (!inv) return;
      const ev = evaluate(inv, { kernel: kernelOf(designOf(ce)), vendor: ce.vendor, paging: ce.paging }, toTraceEvents(ce.events, file));
      expect(ev.violation !== null ? 'violated' : 'holds').toBe(ce.expect);
      if (ev.violation) expect(ev.violation.step).toBe(ce.failure.step);
    });
  }
});
