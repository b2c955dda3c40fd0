/**
 * The guided search's IRQ + NMI pair at a boundary in an interrupt shadow (gen/guided.ts). On
 * linux-4.1 the compat SYSENTER return is `swapgs; sti; sysexit`: an NMI in the STI shadow ends
 * it with its IRET, and a held IRQ then enters at the SYSEXIT, in kernel mode with the user GS.
 * A single interrupt cannot do that; the search alone (no exploration, no corpus) finds it within
 * a small budget, and finds nothing on linux-4.16, whose SYSENTER returns by SYSRETL.
 */
import { describe, expect, it } from 'vitest';
import { discoverInvariants } from '../../src/check/discover.ts';
import { searchGroup } from '../../src/check/search.ts';
import { kernelOf } from '../../src/check/session.ts';
import { findDesign, type Design } from '../../src/kernel/index.ts';

const SEEDS = [4, 5, 6];
const RUNS = 1000;
const gs = (await discoverInvariants()).map((d) => d.invariant).filter((i) => i.id === 'kernel-gs-and-stack');
const cellOf = (name: string) => ({ kernel: kernelOf(findDesign(name) as Design), vendor: 'intel' as const, paging: 4 as const });

describe('an IRQ and an NMI together in an STI shadow', () => {
  it(`finds the sti; sysexit race on linux-4.1 by the guided search alone (${SEEDS.length} x ${RUNS} runs)`, () => {
    const found = SEEDS.map((seed) => searchGroup(gs, cellOf('linux-4.1'), seed, RUNS, { exploreDepth: 0 }).found.get('kernel-gs-and-stack'));
    const hits = found.filter((f) => f !== undefined);
    expect(hits.length, '[FAIL] expected every seed to find it').toBe(SEEDS.length);
    // Shrunk: the switch to the 32-bit task, its system call, and the pair.
    const types = hits[0]!.events.map((e) => e.type);
    expect(types.filter((t) => t === 'hw.nmi').length, `[FAIL] expected an NMI in the trace, got ${types.join(' ')}`).toBeGreaterThan(0);
  });

  it('finds nothing on linux-4.16 with the same seeds', () => {
    for (const seed of SEEDS) {
      const f = searchGroup(gs, cellOf('linux-4.16'), seed, RUNS, { exploreDepth: 0 }).found.get('kernel-gs-and-stack');
      expect(f?.failure.message, `[FAIL] expected kernel GS to hold on 4.16 (seed ${seed})`).toBeUndefined();
    }
  });
});
