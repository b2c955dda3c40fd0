/**
 * What the search alone (no saved counterexample) now reaches, each case failing without the
 * generator change it tests (docs/search.md, "Re-finding the expected violations").
 */
import { describe, expect, it } from 'vitest';
import { discoverInvariants } from '../../src/check/discover.ts';
import { defaultAlphabet, runAlphabet } from '../../src/check/explore/alphabet.ts';
import { explore } from '../../src/check/explore/explore.ts';
import { kernelOf } from '../../src/check/session.ts';
import { findDesign, type Design } from '../../src/kernel/index.ts';

const design = (name: string): Design => findDesign(name) as Design;
const invs = async (id: string) => (await discoverInvariants()).map((d) => d.invariant).filter((i) => i.id === id);

describe('run\'s alphabet', () => {
  it('has an entry from user mode by a fault in one event: an IRQ in a trap-gate #PF entry is reached at depth 2', async () => {
    const health = await invs('kernel-health');
    const at = (alphabet: ReturnType<typeof runAlphabet>) =>
      explore({ invariants: health, cell: { kernel: kernelOf(design('pf-trap-gate')), vendor: 'amd', paging: 4 }, alphabet, depth: 2, extendNewlyEnabled: true, extraLevels: 2 }).found;
    expect(at(runAlphabet())?.raw.map((e) => e.type), '[FAIL] expected a faulting access, then an IRQ').toEqual(['user.access', 'hw.irq']);
    expect(at(defaultAlphabet())).toBeNull();
  });
});
