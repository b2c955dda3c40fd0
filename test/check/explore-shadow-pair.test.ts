/**
 * The exploration's IRQ + NMI pair at the shadowed boundaries of each short trace's drain
 * (explore/beyond.ts shadowPairs, model Recording.shadowed). A shadowed boundary is recorded only
 * where the instruction the shadow covers changes the reception key (CPL, IF, GS base, stack,
 * nesting): the `sti; sysexit` of linux-4.1's compat SYSENTER return, not the entry's `sti` (local_irq_enable) that the next
 * kernel step follows. With the pair there the exploration finds the race at depth 2, where no
 * single interrupt could; linux-4.16 returns from SYSENTER by SYSRETL and has no such boundary.
 */
import { describe, expect, it } from 'vitest';
import { discoverInvariants } from '../../src/check/discover.ts';
import { runExploration } from '../../src/check/explore/alphabet.ts';
import { explore } from '../../src/check/explore/explore.ts';
import { toTraceEvents } from '../../src/check/operands.ts';
import { kernelOf } from '../../src/check/session.ts';
import { findDesign, initialState, type Design } from '../../src/kernel/index.ts';
import { replay } from '../../src/model/index.ts';

const gs = (await discoverInvariants()).map((d) => d.invariant).filter((i) => i.id === 'kernel-gs-and-stack');
const kernel = (name: string) => kernelOf(findDesign(name) as Design);
const cellOf = (name: string) => ({ kernel: kernel(name), vendor: 'intel' as const, paging: 4 as const });
// An IRQ preempts task 1 in user mode; task 2 (32-bit) runs and makes a system call by SYSENTER.
const SWITCH_AND_SYSENTER = toTraceEvents([{ type: 'hw.irq', after: 0 }, { type: 'user.syscall', nr: 'getpid' }], 'test');

/** The drain's recorded boundaries, and the micro-step each comes before. */
function shadowedOf(name: string, trace = SWITCH_AND_SYSENTER): string[] {
  const K = kernel(name);
  const r = replay(initialState(K, 'intel', 4), trace, K, { shadows: true, micro: true });
  return (r.shadowed ?? []).map(([, clock]) => K.describe((r.micro ?? []).find((m) => m.before.clock === clock)?.rip ?? 0n));
}

describe('shadowed boundaries an IRQ and NMI pair can reach', () => {
  it('records the boundary before SYSEXIT in linux-4.1\'s `swapgs; sti; sysexit`', () => {
    const at = shadowedOf('linux-4.1');
    expect(at.length, `[FAIL] expected one boundary, got ${at.join(', ')}`).toBe(1);
    expect(at[0], '[FAIL] expected the boundary before the SYSEXIT').toMatch(/sysexit/i);
  });

  it('records nothing on linux-4.16 (SYSRETL), nor at an entry\'s sti that another kernel step follows', () => {
    expect(shadowedOf('linux-4.16')).toEqual([]);
    // linux-6.7's SYSCALL entry enables IRQs by sti, with a kernel step after it.
    expect(shadowedOf('linux-6.7', toTraceEvents([{ type: 'user.syscall', nr: 'getpid' }], 'test'))).toEqual([]);
  });
});

describe('the exploration with the pair', () => {
  for (const name of ['linux-4.1', 'opportunistic-sysret-2015']) {
    it(`finds the sti; sysexit race on ${name} at depth 2, ending in the pair`, () => {
      const x = explore({ invariants: gs, cell: cellOf(name), ...runExploration(), depth: 2 });
      const types = x.found?.raw.map((e) => e.type) ?? [];
      expect(types.slice(-2), `[FAIL] expected a trace ending in an IRQ and an NMI, got ${types.join(' ') || 'none'}`).toEqual(['hw.irq', 'hw.nmi']);
      expect(x.found?.raw.at(-1)).toEqual({ type: 'hw.nmi', after: (x.found?.raw.at(-2) as { after: number }).after });
    });
  }

  it('finds it on linux-4.1 only with the pair, and nothing on linux-4.16', () => {
    expect(explore({ invariants: gs, cell: cellOf('linux-4.1'), ...runExploration(), shadowPairs: 0, depth: 2 }).found).toBeNull();
    expect(explore({ invariants: gs, cell: cellOf('linux-4.16'), ...runExploration(), depth: 2 }).found).toBeNull();
  });
});
