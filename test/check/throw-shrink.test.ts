/**
 * A check that throws during a run: the cell is an error naming the file and line it threw at,
 * and the trace it threw on is shrunk (1-minimal while it still throws) and saved like a
 * counterexample whose failure says it threw; replaying that file reproduces the throw.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCounterexample } from '../../src/check/counterexample.ts';
import { Expected } from '../../src/check/expected.ts';
import { defineInvariant } from '../../src/check/invariant.ts';
import { toTraceEvents } from '../../src/check/operands.ts';
import { review } from '../../src/check/review.ts';
import { runSuite } from '../../src/check/suite.ts';
import { findDesign, type Design } from '../../src/kernel/index.ts';
import { counterexampleText } from '../../src/report/counterexample-text.ts';

const out = mkdtempSync(join(tmpdir(), 'ec-throw-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

// Throws on the state after any NMI has been delivered: needs an hw.nmi and something for it to interrupt.
const flaky = defineInvariant({
  id: 'flaky-check', kind: 'state', summary: 'throws once an NMI was delivered', source: 'test',
  check(s) {
    if (s.hw.nmiDelivered > 0) throw new Error('cannot read NMI state');
    return true;
  },
});

describe('a check that throws', () => {
  it('gives an error cell with file:line and a shrunk, saved trace that replays to the same throw', async () => {
    const design = findDesign('linux-6.7') as Design;
    const r = await runSuite({
      invariants: [{ invariant: flaky, file: 'test/flaky.ts' }], designs: [design], vendors: ['intel'], pagings: [4], runs: 40, seed: 3,
      outDir: out, workers: 0, expected: new Expected([]), renderTxt: counterexampleText,
    });
    const cell = r.cells[0];
    expect(cell?.verdict).toBe('error');
    expect(cell?.error).toMatch(/^invariant flaky-check threw: cannot read NMI state \(at .*throw-shrink\.test\.ts:\d+:\d+\) \(shrunk trace: .*\.json\)$/);
    const file = cell?.counterexample?.file ?? '';
    expect(existsSync(file)).toBe(true);
    const ce = parseCounterexample(readFileSync(file, 'utf8'), file);
    expect(ce.failure.threw).toBe(true);
    expect(ce.events.some((e) => e.type === 'hw.nmi')).toBe(true);
    // 1-minimal: no single event can go.
    const throws = (events: typeof ce.events): boolean => review({ design, vendor: 'intel', paging: 4, trace: toTraceEvents(events, 'f'), invariants: [flaky], micro: false }).errors.length > 0;
    expect(throws(ce.events)).toBe(true);
    for (let i = 0; i < ce.events.length; i++) expect(throws(ce.events.filter((_, k) => k !== i)), `without event ${i}`).toBe(false);
    const again = review({ design, vendor: 'intel', paging: 4, trace: toTraceEvents(ce.events, 'f'), invariants: [flaky], micro: false, recorded: { invariant: 'flaky-check', step: ce.failure.step, threw: true } });
    expect(again.recorded?.reproduced).toBe(true);
    expect(readFileSync(file.replace(/\.json$/, '.txt'), 'utf8')).toMatch(/^flaky-check threw while judging a trace on linux-6\.7, intel, 4-level paging\n/);
  });
});
