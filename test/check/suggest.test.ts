/**
 * "Did you mean": the edit distance, which names count as close, and the texts of every place
 * that offers one (designs, invariants, event types, symbols, knobs and other fields).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDesigns } from '../../src/check/designs.ts';
import { InputError, inputErrors } from '../../src/check/errors.ts';
import { closest, editDistance } from '../../src/check/suggest.ts';
import { parseTrace } from '../../src/check/trace-file.ts';
import { toTraceEvents } from '../../src/check/operands.ts';

const SRC = new URL('../../src/index.ts', import.meta.url).pathname;
const message = (f: () => unknown): string => {
  try { f(); } catch (e) { if (e instanceof InputError) return e.message; throw e; }
  throw new Error('no InputError');
};

describe('edit distance and closeness', () => {
  it('counts inserts, deletes, replacements and swaps of neighbours', () => {
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('linux-6.7', 'linux-6.7')).toBe(0);
    expect(editDistance('compat-stat', 'compat-status')).toBe(2);
    expect(editDistance('sysretWehre', 'sysretWhere')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });

  it('offers only close names, all the equally close ones, case-insensitively', () => {
    const designs = ['linux-3.19', 'linux-4.1', 'linux-5.8', 'linux-6.7'];
    expect(closest('linux-6.8', designs)).toEqual(['linux-5.8', 'linux-6.7']);
    expect(closest('LINUX-6.7', designs)).toEqual(['linux-6.7']);
    expect(closest('6.7', designs)).toEqual(['linux-6.7']);
    expect(closest('foo', designs)).toEqual([]);
    expect(closest('', designs)).toEqual([]);
  });
});

describe('error texts with a suggestion', () => {
  it('designs and invariants, on the command line and in files', () => {
    expect(inputErrors.unknownDesign('linux-6.8', ['linux-5.8', 'linux-6.7'])).toBe('unknown design "linux-6.8" (did you mean "linux-5.8" or "linux-6.7"?)');
    expect(inputErrors.unknownDesign('zzz', ['linux-6.7'])).toBe('unknown design "zzz" (known: linux-6.7)');
    expect(inputErrors.unknownInvariant('compat-stat', ['compat-status', 'cr2-coherence'])).toBe('unknown invariant "compat-stat" (did you mean "compat-status"?)');
    expect(inputErrors.unknownInvariantIn('f.json', 'invariant', 'cr2-coherense', ['cr2-coherence'])).toBe('f.json: invariant: expected a known invariant, got "cr2-coherense" (did you mean "cr2-coherence"?)');
  });

  it('event types, fields and symbols in a trace file', () => {
    const trace = (events: unknown[]): string => JSON.stringify({ format: 'entrycheck/trace@1', design: 'linux-6.7', vendor: 'intel', paging: 4, events });
    expect(message(() => parseTrace(trace([{ type: 'user.syscal', nr: 'getpid' }]), 't.json'))).toMatch(/events\[0\]\.type: .*got "user\.syscal" \(did you mean "user\.syscall"\?\)$/);
    expect(message(() => parseTrace(trace([{ type: 'user.nop', aftr: 1 }]), 't.json'))).toMatch(/events\[0\]: expected only known fields, got "aftr" \(did you mean "after"\?\)$/);
    const t = parseTrace(trace([{ type: 'user.access', addr: '$user_dat' }]), 't.json');
    expect(message(() => toTraceEvents(t.events, 't.json'))).toMatch(/events\[0\]\.addr: .*got "\$user_dat" \(did you mean "\$user_data"\?\)$/);
  });

  it('a misspelt knob in a design file is refused, naming the file and the knob it meant', async () => {
    const d = mkdtempSync(join(tmpdir(), 'ec-knob-'));
    writeFileSync(join(d, 'typo.ts'), `import { findDesign } from '${SRC}';\nconst b = findDesign('linux-6.7')!;\nexport default { ...b, name: 'typo', knobs: { ...b.knobs, guardpage: true } };\n`);
    await expect(loadDesigns(d)).rejects.toThrow(/typo\.ts: knobs: expected only known fields, got "guardpage" \(did you mean "guardPage"\?\)$/);
    const d2 = mkdtempSync(join(tmpdir(), 'ec-knob-'));
    writeFileSync(join(d2, 'nested.ts'), `import { findDesign } from '${SRC}';\nconst b = findDesign('linux-6.7')!;\nexport default { ...b, name: 'nested', knobs: { ...b.knobs, sysretChecks: { ...b.knobs.sysretChecks, tfclear: true } } };\n`);
    await expect(loadDesigns(d2)).rejects.toThrow(/knobs\.sysretChecks: expected only known fields, got "tfclear" \(did you mean "tfClear"\?\)$/);
    await loadDesigns(mkdtempSync(join(tmpdir(), 'ec-empty-')));
  });
});
