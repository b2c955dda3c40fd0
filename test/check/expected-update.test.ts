/** `run --update-expected`'s rules (src/check/expected.ts): what is removed, added and merged. */
import { describe, expect, it } from 'vitest';
import { Expected, updateExpected, type CellVerdict, type ExpectedEntry } from '../../src/check/expected.ts';

const cells = (invariant: string, design: string, verdict: CellVerdict['verdict'], only?: Array<['intel' | 'amd', 4 | 5]>, sanity = false): CellVerdict[] =>
  (only ?? [['intel', 4], ['intel', 5], ['amd', 4], ['amd', 5]]).map(([vendor, paging]) => ({ cell: { invariant, design, vendor, paging }, sanity, verdict }));
const entry = (e: Partial<ExpectedEntry>): ExpectedEntry => ({ invariant: 'a', design: 'd', vendor: '*', paging: '*', expect: 'violated', why: 'known bug', ...e });
const why = (v: CellVerdict): string => `new ${v.verdict}`;

describe('updateExpected', () => {
  it('adds one "*" entry when all four cells of an invariant and design are newly violated, one per cell otherwise', () => {
    const u = updateExpected(new Expected([]), [...cells('a', 'd', 'violated'), ...cells('b', 'd', 'violated', [['amd', 5]]), ...cells('c', 'd', 'holds')], why);
    expect(u.entries).toEqual([
      entry({ why: 'new violated' }),
      entry({ invariant: 'b', vendor: 'amd', paging: 5, why: 'new violated' }),
    ]);
    expect([u.added, u.removed]).toEqual([2, 0]);
  });

  it('removes an entry whose every cell ran and now holds; keeps one whose cells did not all run', () => {
    const old = new Expected([entry({}), entry({ invariant: 'b' })]);
    const u = updateExpected(old, [...cells('a', 'd', 'holds'), ...cells('b', 'd', 'holds', [['intel', 4]])], why);
    expect(u.entries).toEqual([entry({ invariant: 'b' }), entry({ invariant: 'b', vendor: 'intel', paging: 4, expect: 'holds', why: 'new holds' })]);
    expect([u.added, u.removed]).toEqual([1, 1]);
  });

  it('leaves error cells, matching cells and wildcard entries alone; a sanity claim that holds gets its own entry', () => {
    const old = new Expected([entry({ invariant: '*', design: 'd', expect: 'violated' })]);
    const u = updateExpected(old, [...cells('a', 'd', 'error'), ...cells('s', 'x', 'holds', [['intel', 4]], true), ...cells('s', 'x', 'violated', [['amd', 4]], true)], why);
    expect(u.entries).toEqual([old.entries[0], entry({ invariant: 's', design: 'x', vendor: 'intel', paging: 4, expect: 'holds', why: 'new holds' })]);
    const again = updateExpected(new Expected(u.entries), cells('s', 'x', 'holds', [['intel', 4]], true), why);
    expect([again.added, again.removed]).toEqual([0, 0]);
  });
});
