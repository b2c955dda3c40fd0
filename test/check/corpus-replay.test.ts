/**
 * The regression corpus across designs (src/check/corpus-replay.ts): a new design that is the
 * same kernel as a built-in one gets that design's known violations from counterexamples/ before
 * any search (one run, no exploration), each saved for the new design with a path naming the file
 * it came from; without the corpus the same budget finds them not.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CORPUS_DIR } from '../../src/check/corpus-replay.ts';
import { parseCounterexample } from '../../src/check/counterexample.ts';
import { discoverInvariants } from '../../src/check/discover.ts';
import { Expected } from '../../src/check/expected.ts';
import { runSuite } from '../../src/check/suite.ts';
import { findDesign, variant, type Design } from '../../src/kernel/index.ts';
import { counterexampleText } from '../../src/report/counterexample-text.ts';

const tmp = mkdtempSync(join(tmpdir(), 'ec-corpus-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const all = await discoverInvariants();
const same319 = variant(findDesign('linux-3.19') as Design, 'same-as-3-19', {}, 'linux-3.19 under another name');

const run = (out: string, corpusDirs: readonly string[], design: Design = same319) => runSuite({
  invariants: all.filter((d) => d.invariant.id === 'compat-status'), designs: [design], vendors: ['intel'], pagings: [4],
  runs: 1, exploreDepth: 0, seed: 1, outDir: out, workers: 0, expected: new Expected([]), renderTxt: counterexampleText, corpusDirs,
});

describe('the corpus replayed across designs', () => {
  it('finds linux-3.19\'s CVE-2015-2830 on a copy of linux-3.19 with one run, and saves it for the copy', async () => {
    const r = await run(join(tmp, 'with'), [CORPUS_DIR]);
    const cell = r.cells[0];
    expect(cell?.verdict, '[FAIL] expected compat-status violated from the corpus').toBe('violated');
    const file = cell?.counterexample?.file ?? '';
    expect(file).toMatch(/compat-status\/same-as-3-19-intel-4-[0-9a-f]+\.json$/);
    expect(parseCounterexample(readFileSync(file, 'utf8'), file).path).toMatch(/^corpus linux-3\.19-intel-4-[0-9a-f]+\.json$/);
  });

  it('without it, the same budget does not find it', async () => {
    const r = await run(join(tmp, 'without'), []);
    expect(r.cells[0]?.verdict).toBe('holds');
  });

  // `run --out DIR` replays the cell's own saved files from DIR first; the repository's files of
  // the same cell are corpus like any other, so the verdict does not depend on where --out is.
  it('replays the repository\'s files of the cell itself when --out is elsewhere (linux-3.19 with one run)', async () => {
    const r = await run(join(tmp, 'elsewhere'), [join(tmp, 'elsewhere'), CORPUS_DIR], findDesign('linux-3.19') as Design);
    const cell = r.cells[0];
    expect(cell?.verdict, '[FAIL] expected compat-status violated from counterexamples/').toBe('violated');
    const file = cell?.counterexample?.file ?? '';
    expect(parseCounterexample(readFileSync(file, 'utf8'), file).path).toMatch(/^corpus linux-3\.19-intel-4-[0-9a-f]+\.json$/);
  });
});
