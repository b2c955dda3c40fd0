/**
 * A return to a 16-bit stack segment. IRET to a 16-bit SS loads only SP[15:0]; bits 31:16 stay
 * what the kernel's RSP held (SDM Vol. 2A IRET), so a kernel without espfix64 shows user mode
 * its own stack address (linux-entry-history B9). Run's alphabet has modify_ldt with a present
 * 16-bit data descriptor beside its not-present data and present code ones; with the compat
 * frame whose SS names LDT slot 0, the leak is two events away. espfix64 is an optional knob
 * (absent: on), so mutate mutates it from that default.
 */
import { describe, expect, it } from 'vitest';
import { discoverInvariants } from '../../src/check/discover.ts';
import { runExploration } from '../../src/check/explore/alphabet.ts';
import { explore } from '../../src/check/explore/explore.ts';
import { mutantsOf } from '../../src/check/mutants.ts';
import { kernelOf } from '../../src/check/session.ts';
import { findDesign, knobOf, variant, type Design } from '../../src/kernel/index.ts';

const base = findDesign('linux-6.7') as Design;
const invariants = (await discoverInvariants()).map((d) => d.invariant).filter((i) => !i.sanity);
const explored = (d: Design, vendor: 'intel' | 'amd') =>
  explore({ invariants, cell: { kernel: kernelOf(d), vendor, paging: 4 }, ...runExploration(), depth: 2 }).found;

describe('a return to a 16-bit LDT stack segment', () => {
  it('leaks the kernel RSP bits 31:16 without espfix64, found in 2 events on Intel and AMD', () => {
    for (const vendor of ['intel', 'amd'] as const) {
      const found = explored(variant(base, 'no-espfix64', { espfix64: false }), vendor);
      console.log(`[RUN] ${vendor}: ${found ? `${found.invariant} in ${found.raw.length} events: ${found.failure.message}` : 'nothing'}`);
      expect(found?.invariant, `[FAIL] ${vendor}: expected pt-regs-coherence, got ${found?.invariant ?? 'nothing'}`).toBe('pt-regs-coherence');
      expect(found?.raw).toHaveLength(2);
      expect(found?.raw[0]).toEqual({ type: 'user.syscall', nr: 'modify_ldt', args: ['0x1', '0x0', '0x5'] });
      expect(found?.failure.message).toMatch(/rsp = 0x7fffffffe000 \(pt_regs\), got 0xe000/);
    }
  });

  it('reads an absent espfix64 as on, the one default the kernel and mutate share', () => {
    expect(base.knobs.espfix64, 'the preset leaves the knob out').toBeUndefined();
    expect(knobOf(base.knobs, 'espfix64')).toBe(true);
    expect(knobOf(variant(base, 'no-espfix64', { espfix64: false }).knobs, 'espfix64')).toBe(false);
  });

  it('is mutated by mutate although no preset names the knob', () => {
    const m = mutantsOf(base).find((x) => x.change === 'espfix64: true -> false');
    expect(m?.design.knobs.espfix64).toBe(false);
  });
});
