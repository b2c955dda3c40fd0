/**
 * The JSON error locator agrees with JSON.parse on what is JSON (so a file is never reported
 * valid by one and invalid by the other), and says where and why in one line without quoting the
 * text around the error.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { locateJsonError } from '../../src/check/json-error.ts';
import { parseJson } from '../../src/check/json.ts';

const parses = (s: string): boolean => { try { JSON.parse(s); return true; } catch { return false; } };

/** Text near JSON: valid documents with one character deleted, inserted or replaced. */
const nearJson = fc.tuple(fc.json(), fc.nat(), fc.constantFrom('', '{', '}', '[', ']', ',', ':', '"', '\\', '\n', '0', '-', '.', 'e', 'x', 'u', ' ', '\u0001'), fc.constantFrom(0, 1))
  .map(([j, at, c, del]) => { const k = j.length === 0 ? 0 : at % j.length; return j.slice(0, k) + c + j.slice(k + del); });
const alphabet = fc.string({ unit: fc.constantFrom('{', '}', '[', ']', ',', ':', '"', '\\', 'u', '0', '1', '-', '+', '.', 'e', 'E', 't', 'r', 'f', 'n', 'l', ' ', '\n', 'a'), maxLength: 30 });

describe('locateJsonError', () => {
  it('finds an error exactly when JSON.parse fails', () => {
    fc.assert(fc.property(fc.oneof(fc.json(), nearJson, alphabet, fc.string({ unit: 'binary' })), (s) => {
      expect(locateJsonError(s) === null).toBe(parses(s));
    }), { numRuns: 20_000, seed: 11 });
  });

  it('gives the line and column of the first error, and what was expected and found', () => {
    expect(locateJsonError('{\n  "a": 1,\n  "b" 2\n}')).toEqual({ line: 3, column: 7, expected: "':' after the property name", got: '"2"' });
    expect(locateJsonError('{"a": [1, 2')).toMatchObject({ line: 1, column: 12, got: 'the end of the file' });
    expect(locateJsonError('{"a": "x\ny"}')).toMatchObject({ line: 1, column: 9, got: '"\\n"' });
    expect(locateJsonError('[[[')?.expected).toBe("a value (object, array, string, number, true, false or null) or ']'");
    expect(locateJsonError('{} x')).toMatchObject({ column: 4, expected: 'the end of the file after the value' });
  });

  it('handles a million nested brackets without overflowing the stack', () => {
    expect(locateJsonError(`${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`)).toBeNull();
    expect(locateJsonError(`${'['.repeat(1_000_000)}}`)).toMatchObject({ line: 1, column: 1_000_001 });
  });

  it('parseJson reports no excerpt of the text, only the position and the characters involved', () => {
    const r = parseJson('{"secret": "line one\nline two"}');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(JSON.stringify(r.error)).not.toMatch(/secret|line one/);
  });
});
