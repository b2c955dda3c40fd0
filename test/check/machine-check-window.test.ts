/**
 * run's exploration alphabet puts a machine check at the first boundaries of the next event, as
 * it does an IRQ and an NMI: #MC lands wherever the CPU is, so only an IST stack makes it
 * survivable in a SYSCALL entry before its stack switch (SDM Vol. 3 6.14.5: an IST entry always
 * switches stacks; without one, a CPL 0 delivery pushes on the current RSP, here the user's).
 */
import { describe, expect, it } from 'vitest';
import { discoverInvariants } from '../../src/check/discover.ts';
import { runAlphabet, runExploration } from '../../src/check/explore/alphabet.ts';
import { explore } from '../../src/check/explore/explore.ts';
import { kernelOf } from '../../src/check/session.ts';
import { findDesign, variant, type Design } from '../../src/kernel/index.ts';

const linux67 = findDesign('linux-6.7') as Design;
const invariants = (await discoverInvariants()).map((d) => d.invariant).filter((i) => i.sanity !== true);

describe('a machine check in run\'s exploration alphabet', () => {
  it('is there at the first two boundaries of the next event', () => {
    expect(runAlphabet().filter((e) => e.type === 'hw.mce')).toEqual([{ type: 'hw.mce', after: 0 }, { type: 'hw.mce', after: 1 }]);
  });

  it('finds #MC off its IST stack (a SYSCALL entry still on the user RSP) in 2 events', () => {
    // (linux-6.7 holds: reference-holds.test.ts)
    const run = (d: Design) => explore({ invariants, cell: { kernel: kernelOf(d), vendor: 'intel', paging: 4 }, ...runExploration(), depth: 2 });
    const noIst = run(variant(linux67, 'linux-6.7-mc-off-ist', { ist: { ...linux67.knobs.ist, mc: false } })).found;
    expect(noIst, '[FAIL] expected a violation with #MC off its IST stack').not.toBeNull();
    expect(noIst?.raw.map((e) => e.type)).toContain('hw.mce');
    expect(noIst?.raw.length).toBe(2);
  });
});
