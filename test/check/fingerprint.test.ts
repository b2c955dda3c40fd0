/**
 * The numeric fingerprint hash: equal plain data hashes equal whatever the key order (objects
 * are hashed as unordered pairs), different data hashes differently (arrays in order, maps and
 * sets by content, BigInts on both sides of 2^53, the keys sameFuture ignores left out).
 */
import { describe, expect, it } from 'vitest';
import { dataHash, stateFingerprint, traceKey, valueHash } from '../../src/check/explore/fingerprint.ts';
import { toTraceEvents } from '../../src/check/operands.ts';
import { sameFuture } from '../../src/check/same-future.ts';
import { kernelOf } from '../../src/check/session.ts';
import type { RawEvent } from '../../src/check/trace-file.ts';
import { findDesign, initialState, type Design } from '../../src/kernel/index.ts';
import { replay } from '../../src/model/index.ts';

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

  it('answers a key\'s last object from its one-entry cache, and hashes a new one under that key afresh', () => {
    const leaf = { sel: 0x33n, rpl: 3 };
    const a = valueHash({ cs: leaf, n: 1 });
    expect(valueHash({ cs: leaf, n: 1 }), '[FAIL] the same object hashed twice gave two hashes').toBe(a);
    expect(valueHash({ cs: { sel: 0x33n, rpl: 3 }, n: 1 }), '[FAIL] an equal copy hashed differently').toBe(a);
    expect(valueHash({ cs: { sel: 0x2bn, rpl: 3 }, n: 1 }), '[FAIL] a new object under the key took the last one\'s hash').not.toBe(a);
    expect(valueHash({ cs: leaf, n: 1 })).toBe(a);
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

describe('armed countdowns as a set', () => {
  // Firing is order-free and idempotent (fireDue), so these states have one future.
  const K = kernelOf(findDesign('linux-6.7') as Design);
  const end = (t: RawEvent[]) => replay(initialState(K, 'intel', 4), toTraceEvents(t, 'test'), K).states[t.length]!;
  const irq0: RawEvent = { type: 'hw.irq', after: 0 };
  const nmi0: RawEvent = { type: 'hw.nmi', after: 0 };
  it('an IRQ armed before or after an NMI, or twice, is one state', () => {
    const a = end([irq0, nmi0]);
    for (const b of [end([nmi0, irq0]), end([irq0, nmi0, irq0])]) {
      expect(sameFuture(a, b)).toBe(true);
      expect(stateFingerprint(b)).toBe(stateFingerprint(a));
    }
  });
  it('a different time left is another state', () => {
    const a = end([irq0]);
    const b = end([{ type: 'hw.irq', after: 1 }]);
    expect(sameFuture(a, b)).toBe(false);
    expect(stateFingerprint(b)).not.toBe(stateFingerprint(a));
  });
});

describe('traceKey (the exploration\'s key of a judged trace)', () => {
  const K = kernelOf(findDesign('linux-6.7') as Design);
  const end = (t: RawEvent[]) => replay(initialState(K, 'intel', 4), toTraceEvents(t, 'test'), K).states[t.length]!;
  it('is the same whether or not the state will be extended (cache entries change the cost, not the key)', () => {
    const s = end([{ type: 'user.syscall', nr: 'getpid' }]);
    const last = traceKey(s, new Map([['m', 1]]), [], false);
    expect(traceKey(s, new Map([['m', 1]]), [], true)).toBe(last);
    expect(traceKey(s, new Map([['m', 1]]), [], false)).toBe(last);
  });
  it('tells apart states that differ only inside a cached big leaf (a task\'s pt_regs)', () => {
    const s = end([{ type: 'user.syscall', nr: 'getpid' }]);
    const task = s.k.tasks[1]!;
    const other = { ...s, k: { ...s.k, tasks: s.k.tasks.map((t) => (t === task ? { ...t, regs: { ...t.regs, r15: t.regs.r15 + 1n } } : t)) } };
    expect(sameFuture(s, other)).toBe(false);
    // The first key caches the original pt_regs; the second must not take it for the changed one.
    expect(traceKey(other, new Map(), [])).not.toBe(traceKey(s, new Map(), []));
  });
  it('tells apart memos and open comparisons', () => {
    const s = end([{ type: 'user.nop' }]);
    const base = traceKey(s, new Map([['m', 1]]), []);
    expect(traceKey(s, new Map([['m', 2]]), []), '[FAIL] a different memo got the same key').not.toBe(base);
    expect(traceKey(s, new Map([['m', 1]]), [s]), '[FAIL] an open comparison was left out').not.toBe(base);
  });
});
