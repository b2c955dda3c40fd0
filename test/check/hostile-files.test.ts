/**
 * Reading user files is bounded and never blocks (regular files only, at most MAX_FILE_BYTES),
 * names that become paths are checked wherever they are accepted, and every error is one short
 * line with the user's values escaped.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { counterexamplePath, type Counterexample } from '../../src/check/counterexample.ts';
import { allDesigns, loadDesigns } from '../../src/check/designs.ts';
import { InputError } from '../../src/check/errors.ts';
import { Expected } from '../../src/check/expected.ts';
import { MAX_FILE_BYTES, MAX_LINE } from '../../src/check/limits.ts';
import { readText } from '../../src/check/read-file.ts';
import { designByName } from '../../src/check/session.ts';
import { oneLine, shown } from '../../src/check/shown.ts';
import { variant } from '../../src/kernel/index.ts';
import { hostileString } from '../../scripts/fuzz/malformed.ts';

const dir = mkdtempSync(join(tmpdir(), 'ec-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const SRC = new URL('../../src/index.ts', import.meta.url).pathname;

/** The InputError message `f` throws. */
function inputError(f: () => unknown): string {
  try { f(); } catch (e) { if (e instanceof InputError) return e.message; throw e; }
  throw new Error('no InputError');
}
async function inputErrorAsync(f: () => Promise<unknown>): Promise<string> {
  try { await f(); } catch (e) { if (e instanceof InputError) return e.message; throw e; }
  throw new Error('no InputError');
}

describe('reading a user file', () => {
  it('refuses a FIFO, a link to /dev/zero and a folder without blocking', () => {
    execFileSync('mkfifo', [join(dir, 'fifo.json')]);
    symlinkSync('/dev/zero', join(dir, 'zero.json'));
    mkdirSync(join(dir, 'folder.json'));
    expect(inputError(() => readText(join(dir, 'fifo.json')))).toMatch(/fifo\.json: expected a regular file, got a FIFO$/);
    expect(inputError(() => readText(join(dir, 'zero.json')))).toMatch(/expected a regular file, got a character device$/);
    expect(inputError(() => readText(join(dir, 'folder.json')))).toMatch(/expected a regular file, got a folder$/);
    expect(inputError(() => readText(join(dir, 'missing.json')))).toMatch(/cannot read: expected a readable file, got ENOENT \(no such file\)$/);
  });

  it('refuses a file over the size limit before reading it, and reads one at the limit', () => {
    writeFileSync(join(dir, 'big.json'), 'x'.repeat(MAX_FILE_BYTES + 1));
    expect(inputError(() => readText(join(dir, 'big.json')))).toMatch(new RegExp(`expected at most ${MAX_FILE_BYTES} bytes, got ${MAX_FILE_BYTES + 1}$`));
    writeFileSync(join(dir, 'limit.json'), 'y'.repeat(MAX_FILE_BYTES));
    expect(readText(join(dir, 'limit.json'))).toHaveLength(MAX_FILE_BYTES);
  });

  it('drops a byte-order mark and refuses bytes that are not UTF-8', () => {
    writeFileSync(join(dir, 'bom.json'), '\ufeff{}');
    expect(readText(join(dir, 'bom.json'))).toBe('{}');
    writeFileSync(join(dir, 'latin1.json'), Buffer.from([0x7b, 0xe9, 0x7d]));
    expect(inputError(() => readText(join(dir, 'latin1.json')))).toMatch(/expected UTF-8 text/);
  });

  it('expected-verdicts.json: a FIFO is an error, a missing file means no expectations, "$schema" is allowed', () => {
    expect(inputError(() => Expected.load(join(dir, 'fifo.json')))).toMatch(/got a FIFO/);
    expect(Expected.load(join(dir, 'none.json')).entries).toEqual([]);
    writeFileSync(join(dir, 'exp.json'), JSON.stringify({ $schema: '../schemas/expected-verdicts.schema.json', format: 'entrycheck/expected@1', cells: [{ invariant: 'x', design: '*', why: 'y' }] }));
    expect(Expected.load(join(dir, 'exp.json')).entries).toHaveLength(1);
    writeFileSync(join(dir, 'exp2.json'), JSON.stringify({ format: 'entrycheck/expected@1', cells: [{ invariant: '../x', design: '*', why: 'y' }] }));
    expect(inputError(() => Expected.load(join(dir, 'exp2.json')))).toMatch(/cells\[0\]\.invariant: expected an invariant id \(lower-case letters, digits and dashes\), got "..\/x"$/);
  });
});

describe('names that become paths', () => {
  const ce = (invariant: string, name: string): Counterexample => ({
    invariant, design: variant(designByName('linux-6.7'), name, {}), vendor: 'intel', paging: 4, seed: 1, path: null, events: [], failure: { step: 0, message: 'm' },
  });

  it('a counterexample path is never made from a name that could leave --out', () => {
    for (const bad of ['../../../x', '..', 'a/b', 'A', '', 'x'.repeat(65), 'a\nb']) {
      expect(inputError(() => counterexamplePath('/out', ce('compat-status', bad)))).toMatch(/^design name /);
      expect(inputError(() => counterexamplePath('/out', ce(bad, 'linux-6.7')))).toMatch(/^invariant name /);
    }
    expect(counterexamplePath('/out', ce('compat-status', 'my_patch-1.2'))).toMatch(/^\/out\/compat-status\/my_patch-1\.2-intel-4-[0-9a-f]{10}\.json$/);
  });

  it('design files: a bad name, a bad knob, a taken name, a load error or a FIFO is one line naming the file', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['traversal', `export default variant(findDesign('linux-6.7')!, '../../../x', {});`, /traversal\.ts: name: expected a design name/],
      ['escape', `export default variant(findDesign('linux-6.7')!, 'a\\u001b[31m\\nb', {});`, /name: expected a design name .*got "a\\u001b\[31m\\nb"$/],
      ['knob', `export default variant(findDesign('linux-6.7')!, 'k', { pfGate: 'sometimes' } as never);`, /knob\.ts: knobs\.pfGate: expected one of "interrupt", "trap", got "sometimes"$/],
      ['taken', `export default variant(findDesign('linux-6.7')!, 'linux-4.1', {});`, /taken\.ts: name: expected a new design name, got "linux-4\.1"/],
      ['throws', `throw new Error('first line\\nsecond line');`, /throws\.ts: cannot load: "first line"$/],
      ['nothing', `export const x = 1;`, /nothing\.ts: default: expected a Design/],
      ['typo', `export default { ...variant(findDesign('linux-6.7')!, 't', {}), overides: {} };`, /typo\.ts: \(top level\): expected only known fields, got "overides" \(did you mean "overrides"\?\)$/],
    ];
    for (const [name, body, want] of cases) {
      const d = mkdtempSync(join(dir, 'designs-'));
      writeFileSync(join(d, `${name}.ts`), `import { findDesign, variant } from '${SRC}';\n${body}\n`);
      const msg = await inputErrorAsync(() => loadDesigns(d));
      expect(msg, name).toMatch(want);
      expect(msg.includes('\n')).toBe(false);
    }
    const f = mkdtempSync(join(dir, 'designs-'));
    execFileSync('mkfifo', [join(f, 'fifo.ts')]);
    expect(await inputErrorAsync(() => loadDesigns(f))).toMatch(/fifo\.ts: expected a regular file, got a FIFO$/);
    const ok = mkdtempSync(join(dir, 'designs-'));
    writeFileSync(join(ok, 'mine.ts'), `import { findDesign, variant } from '${SRC}';\nexport default variant(findDesign('linux-6.7')!, 'my-patch_2.0', {});\n`);
    expect((await loadDesigns(ok)).map((x) => x.name)).toContain('my-patch_2.0');
    await loadDesigns(mkdtempSync(join(dir, 'empty-')));
    expect(allDesigns().map((x) => x.name)).not.toContain('my-patch_2.0');
  });
});

describe('values echoed in errors', () => {
  it('are escaped and cut: no control character, line separator or bidi override, bounded length', () => {
    fc.assert(fc.property(fc.oneof(hostileString, fc.string({ unit: 'binary', maxLength: 5000 })), (s) => {
      for (const t of [shown(s), oneLine(`x ${s}`), inputError(() => designByName(s))]) {
        expect(t).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
        expect(t.length).toBeLessThanOrEqual(MAX_LINE + 40);
      }
      expect(shown(s).length).toBeLessThanOrEqual(80 * 6 + 40);
    }), { numRuns: 2000, seed: 5 });
    expect(shown('x'.repeat(50_000_000))).toBe(`"${'x'.repeat(80)}..." (50000000 characters)`);
  });
});
