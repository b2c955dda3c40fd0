/**
 * The parsers and the CLI fuzzed in-process with malformed files of every class (scripts/fuzz):
 * `entrycheck replay FILE` must exit 2 with exactly one line on stderr that names the file, print
 * nothing on stdout and write nothing. `npm run soak` does the same with ten thousand files.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { counterexampleSchema } from '../../src/check/counterexample.ts';
import { shownPath } from '../../src/check/shown.ts';
import { traceSchema } from '../../src/check/trace-file.ts';
import { badInputProblem, runCli } from '../../scripts/fuzz/cli.ts';
import { CLASSES, validCounterexample, validTrace } from '../../scripts/fuzz/malformed.ts';
import { removeMalformed, writeMalformed } from '../../scripts/fuzz/write.ts';

const dir = mkdtempSync(join(tmpdir(), 'ec-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

describe('malformed files given to entrycheck replay', () => {
  it('start from valid files (so each class breaks exactly what it says)', () => {
    fc.assert(fc.property(validTrace, (d) => { expect(traceSchema.safeParse(d).success).toBe(true); }), { numRuns: 50, seed: 3 });
    fc.assert(fc.property(validCounterexample, (d) => { expect(counterexampleSchema.safeParse(d).success).toBe(true); }), { numRuns: 50, seed: 3 });
  });

  for (const [cls, arb] of Object.entries(CLASSES)) {
    it(`${cls}: exit 2, one line naming the file, nothing on stdout, nothing written`, async () => {
      await fc.assert(fc.asyncProperty(arb, async (m) => {
        const file = writeMalformed(dir, `f${n++}`, m);
        try {
          const r = await runCli(['replay', file]);
          expect(badInputProblem(r, shownPath(file)), r.stderr.slice(0, 300)).toBeNull();
        } finally {
          removeMalformed(file);
        }
        expect(readdirSync(dir)).toEqual([]);
      }), { numRuns: cls === 'not a regular file' ? 10 : 15, seed: 42 });
    });
  }
});
