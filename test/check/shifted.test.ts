/** The moves of a trace's hardware events that mutate tries (check/shifted.ts). */
import { describe, expect, it } from 'vitest';
import { SHIFT, shifted } from '../../src/check/shifted.ts';

type E = { readonly type: string; readonly after?: number };
const nop: E = { type: 'user.nop' };

describe('shifted', () => {
  it('moves nothing in a trace without hardware events', () => {
    expect([...shifted([nop, nop])]).toEqual([]);
  });

  it('moves one event 1..SHIFT boundaries either way, never below 0', () => {
    const moves = [...shifted([nop, { type: 'hw.irq', after: 3 }])].map((t) => (t[1] as E).after);
    expect(moves).toEqual([...Array.from({ length: 3 }, (_, i) => i), ...Array.from({ length: SHIFT }, (_, i) => 4 + i)]);
    expect(moves).not.toContain(3);
  });

  it('moves as far as it is asked (mutate realigns a difference by twice SHIFT)', () => {
    const moves = [...shifted([nop, { type: 'hw.irq', after: 100 }], 2 * SHIFT)].map((t) => (t[1] as E).after);
    expect(moves).toHaveLength(4 * SHIFT);
    expect(Math.min(...(moves as number[]))).toBe(100 - 2 * SHIFT);
    expect(Math.max(...(moves as number[]))).toBe(100 + 2 * SHIFT);
  });

  it('moves several together, and each alone, leaving the other events as they are', () => {
    const t: E[] = [{ type: 'hw.irq', after: 20 }, nop, { type: 'hw.nmi', after: 30 }];
    const moves = [...shifted(t)];
    // Per distance: all together, the first alone, the second alone.
    expect(moves).toHaveLength(2 * SHIFT * 3);
    expect(moves[0]).toEqual([{ type: 'hw.irq', after: 20 - SHIFT }, nop, { type: 'hw.nmi', after: 30 - SHIFT }]);
    expect(moves[1]).toEqual([{ type: 'hw.irq', after: 20 - SHIFT }, nop, t[2]]);
    expect(moves[2]).toEqual([t[0], nop, { type: 'hw.nmi', after: 30 - SHIFT }]);
    expect(t[0]).toEqual({ type: 'hw.irq', after: 20 });
  });
});
