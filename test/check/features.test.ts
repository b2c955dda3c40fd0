/**
 * The guided search's feature map: a replay's kernel edges are counted in an edge map, and the
 * engine lists the counters it made non-zero, so absorbing a trace visits those alone. The list
 * must name exactly the non-zero counters (a missed one would be a lost feature), and absorbing
 * must leave map and list empty for the next replay.
 */
import { describe, expect, it } from 'vitest';
import { FeatureMap } from '../../src/check/gen/features.ts';
import { toTraceEvents } from '../../src/check/operands.ts';
import { kernelOf } from '../../src/check/session.ts';
import { findDesign, initialState, type Design } from '../../src/kernel/index.ts';
import { replay, touchedOf } from '../../src/model/index.ts';

const K = kernelOf(findDesign('linux-6.7') as Design);
const trace = toTraceEvents([
  { type: 'user.syscall', nr: 'getpid' }, { type: 'hw.irq', after: 3 }, { type: 'user.int80', nr: 'getpid' }, { type: 'user.int3' },
], 'test');

describe('FeatureMap', () => {
  it('lists exactly the edge counters a replay made non-zero', () => {
    const edges = FeatureMap.edgeMap();
    replay(initialState(K, 'intel', 4), trace, K, { forks: false, edges });
    const nonZero = [...edges.keys()].filter((i) => edges[i] !== 0);
    expect(nonZero.length).toBeGreaterThan(20);
    expect([...touchedOf(edges)].sort((a, b) => a - b)).toEqual(nonZero);
  });

  it('counts each new edge bucket once, and leaves map and list empty', () => {
    const f = new FeatureMap();
    const edges = FeatureMap.edgeMap();
    const run = replay(initialState(K, 'intel', 4), trace, K, { forks: false, edges });
    const nonZero = [...edges.keys()].filter((i) => edges[i] !== 0).length;
    expect(f.absorb(edges, run).edges).toBe(nonZero);
    expect(edges.every((x) => x === 0)).toBe(true);
    expect(touchedOf(edges)).toEqual([]);
    // The same trace again: the same edges in the same count buckets, nothing new.
    const again = replay(initialState(K, 'intel', 4), trace, K, { forks: false, edges });
    expect(f.absorb(edges, again)).toMatchObject({ edges: 0, semantic: 0 });
  });
});
