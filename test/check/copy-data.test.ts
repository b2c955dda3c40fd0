/**
 * copyData, the continuation's copy of monitor memos: a deep copy (a write to the copy does not
 * reach the original), aliases and cycles kept as structuredClone keeps them, functions refused.
 */
import { describe, expect, it } from 'vitest';
import { copyData, NotPlainData } from '../../src/check/copy-data.ts';

describe('copyData', () => {
  it('copies deeply: writing the copy leaves the original as it was', () => {
    const orig = { n: 1n, list: [{ x: 1 }], m: new Map([['k', { y: 2 }]]), s: new Set([1]) };
    const c = copyData(orig);
    expect(c).toEqual(orig);
    c.list[0]!.x = 9;
    c.m.get('k')!.y = 9;
    c.s.add(2);
    expect(orig.list[0]!.x).toBe(1);
    expect(orig.m.get('k')!.y).toBe(2);
    expect(orig.s.has(2)).toBe(false);
  });

  it('keeps aliases and cycles', () => {
    const shared = { v: 1 };
    const orig: Record<string, unknown> = { a: shared, b: shared };
    orig.self = orig;
    const c = copyData(orig);
    expect(c.a).toBe(c.b);
    expect(c.a).not.toBe(shared);
    expect(c.self).toBe(c);
  });

  it('refuses a function, as structuredClone does', () => {
    expect(() => copyData({ f: () => 1 })).toThrow(NotPlainData);
  });
});
