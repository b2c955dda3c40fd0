import { describe, expect, it } from 'vitest';
import { plan, type PlanInput } from '../../src/check/plan.ts';

const base: PlanInput = {
  invariants: [{ id: 'a', sanity: false }, { id: 'b', sanity: true }],
  designs: ['linux-6.7', 'linux-3.19'], vendors: ['intel', 'amd'], pagings: [4, 5],
  runs: 250, chunkSize: 100, seed: 7, shard: { index: 0, count: 1 },
};

describe('plan', () => {
  it('splits each group (design x vendor x paging) into chunks of random runs with their own seeds', () => {
    const units = plan(base);
    expect(units).toHaveLength(2 * 2 * 2 * 3);
    expect(units.slice(0, 3).map((u) => u.runs)).toEqual([100, 100, 50]);
    expect(new Set(units.map((u) => u.seed)).size).toBe(units.length);
  });

  it('has every unit judge every invariant: one replay per trace serves all cells of its group', () => {
    for (const u of plan(base)) expect(u.invariants).toEqual(base.invariants);
    expect(new Set(plan(base).map((u) => `${u.group.design}/${u.group.vendor}/${u.group.paging}`)).size).toBe(8);
  });

  it('the union of all shards is exactly the unsharded run', () => {
    const all = plan(base);
    const shards = [0, 1, 2].map((index) => plan({ ...base, shard: { index, count: 3 } }));
    const union = shards.flat().sort((a, b) => a.index - b.index);
    expect(union).toEqual(all);
    expect(shards.every((s) => s.length > 0)).toBe(true);
  });

  it('is deterministic: the same seed gives the same units', () => {
    expect(plan(base)).toEqual(plan(base));
    expect(plan({ ...base, seed: 8 })[0]?.seed).not.toBe(plan(base)[0]?.seed);
  });
});
