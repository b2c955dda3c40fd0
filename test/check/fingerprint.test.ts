/**
 * The numeric fingerprint hash: equal plain data hashes equal whatever the key order (objects
 * are hashed as unordered pairs), different data hashes differently (arrays in order, maps and
 * sets by content, BigInts on both sides of 2^53, the keys sameFuture ignores left out).
 */
import { describe, expect, it } from 'vitest';
import { dataHash, valueHash } from '../../src/check/explore/fingerprint.ts';

describe('valueHash and dataHash', () => {
  it('does not depend on key order, and tells swapped values apart', () => {
    expect(valueHash({ a: 1n, b: { c: 'x', d: [1, 2] } })).toBe(valueHash({ b: { d: [1, 2], c: 'x' }, a: 1n }));
    expect(valueHash({ a: 1, b: 2 }), '[FAIL] swapped values collide').not.toBe(valueHash({ a: 2, b: 1 }));
    expect(valueHash([1, 2]), '[FAIL] array order ignored').not.toBe(valueHash([2, 1]));
  });

  it('hashes BigInts exactly below and above 2^53 (where Number() rounds)', () => {
    const top = 0xffff800000000000n;
    expect(valueHash({ r: top })).not.toBe(valueHash({ r: top + 1n }));
    expect(valueHash({ r: (1n << 53n) - 1n })).not.toBe(valueHash({ r: 1n << 53n }));
    expect(valueHash({ r: 5n }), '[FAIL] a BigInt and a number of one value collide').not.toBe(valueHash({ r: 5 }));
    expect(valueHash({ r: 1n << 70n })).not.toBe(valueHash({ r: (1n << 70n) + 1n }));
  });

  it('compares maps and sets by content, in any insertion order', () => {
    expect(valueHash({ m: new Map([[1, 'a'], [2, 'b']]) })).toBe(valueHash({ m: new Map([[2, 'b'], [1, 'a']]) }));
    expect(valueHash({ m: new Map([[1, 'a'], [2, 'b']]) })).not.toBe(valueHash({ m: new Map([[1, 'b'], [2, 'a']]) }));
    expect(valueHash({ s: new Set([1, 2]) })).not.toBe(valueHash({ s: new Set([1, 3]) }));
  });

  it('leaves out the keys sameFuture ignores (valueHash) but not in memos (dataHash)', () => {
    expect(valueHash({ a: 1, clock: 5 })).toBe(valueHash({ a: 1, clock: 9 }));
    expect(dataHash({ a: 1, clock: 5 }), '[FAIL] a memo key named clock was left out').not.toBe(dataHash({ a: 1, clock: 9 }));
  });

  it('tells a missing key from one holding undefined, and 0 from null and false; -0 is 0 (sameFuture uses ===)', () => {
    expect(valueHash({ a: 1 })).not.toBe(valueHash({ a: 1, b: undefined }));
    expect(new Set([valueHash({ a: 0 }), valueHash({ a: null }), valueHash({ a: false }), valueHash({ a: 0.5 })]).size).toBe(4);
    expect(valueHash({ a: -0 })).toBe(valueHash({ a: 0 }));
  });
});
