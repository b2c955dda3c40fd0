/**
 * Exploration on several lanes gives what the single-thread exploration gives: the same distinct
 * states, traces judged and first violation (a shortest trace), with one lane or three, here in
 * this thread and on worker threads; and with a shard.
 */
import { describe, expect, it } from 'vitest';
import { discoverInvariants } from '../../src/check/discover.ts';
import { defaultAlphabet } from '../../src/check/explore/alphabet.ts';
import { explore } from '../../src/check/explore/explore.ts';
import { exploreParallel, localLane } from '../../src/check/explore/parallel.ts';
import { threadLanes } from '../../src/check/explore/threads.ts';
import { kernelOf } from '../../src/check/session.ts';
import type { RawEvent } from '../../src/check/trace-file.ts';
import { findDesign, type Design } from '../../src/kernel/index.ts';

const invariants = (await discoverInvariants()).map((d) => d.invariant).filter((i) => i.sanity !== true);
const cellOf = (name: string) => ({ kernel: kernelOf(findDesign(name) as Design), vendor: 'intel' as const, paging: 4 as const });
const SMALL: RawEvent[] = [
  { type: 'user.nop' }, { type: 'user.syscall', nr: 'getpid' }, { type: 'user.syscall', nr: 'sched_yield' }, { type: 'user.popf', flags: '0x302' },
  { type: 'user.int80', nr: 'fork' }, { type: 'hw.irq', after: 0 }, { type: 'hw.nmi', after: 1 }, { type: 'tracer.cont' },
];
const summary = (r: { states: number; traces: number; depthDone: number; found: { invariant: string; raw: readonly RawEvent[] } | null }) =>
  ({ states: r.states, traces: r.traces, depthDone: r.depthDone, found: r.found ? { invariant: r.found.invariant, raw: r.found.raw } : null });

describe('exploreParallel', () => {
  for (const [name, depth] of [['linux-6.7', 4], ['opportunistic-sysret-2015', 3], ['irqs-on-syscall-entry', 4]] as const) {
    it(`agrees with explore on ${name} to depth ${depth}, with 1 and 3 lanes in this thread`, async () => {
      const cell = cellOf(name);
      const one = summary(explore({ invariants, cell, alphabet: SMALL, depth }));
      for (const count of [1, 3]) {
        const lanes = Array.from({ length: count }, () => localLane(invariants, cell, SMALL));
        expect(summary(await exploreParallel({ invariants, alphabet: SMALL, depth, lanes })), `${count} lanes`).toEqual(one);
      }
    });
  }

  it('agrees with explore for a shard and a state bound', async () => {
    const cell = cellOf('linux-6.7');
    const shard = { index: 1, count: 3 };
    const lanes = () => [localLane(invariants, cell, SMALL), localLane(invariants, cell, SMALL)];
    expect(summary(await exploreParallel({ invariants, alphabet: SMALL, depth: 3, lanes: lanes(), shard })))
      .toEqual(summary(explore({ invariants, cell, alphabet: SMALL, depth: 3, shard })));
    expect(summary(await exploreParallel({ invariants, alphabet: SMALL, depth: 3, lanes: lanes(), maxStates: 50 })))
      .toEqual(summary(explore({ invariants, cell, alphabet: SMALL, depth: 3, maxStates: 50 })));
  });

  it('agrees with explore on worker threads (the default alphabet, depth 3)', async () => {
    const cell = cellOf('linux-4.16');
    const alphabet = defaultAlphabet();
    const lanes = await threadLanes(2, { design: 'linux-4.16', vendor: 'intel', paging: 4, invariants: invariants.map((i) => i.id), alphabet });
    try {
      expect(summary(await exploreParallel({ invariants, alphabet, depth: 3, lanes }))).toEqual(summary(explore({ invariants, cell, alphabet, depth: 3 })));
    } finally {
      await Promise.all(lanes.map((l) => l.close()));
    }
  });
});
