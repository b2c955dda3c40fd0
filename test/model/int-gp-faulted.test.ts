/**
 * INT n through a gate whose DPL is below CPL raises #GP(vector * 8 + 2) instead of the
 * interrupt (SDM Vol. 3 6.12.1.1): the instruction does not complete, so its user-insn
 * observation is marked faulted, and a single-stepped task gets no trap for it (its report comes
 * at the signal handler's entry). Found by the search at --runs 600: exit-work (now step-report) expected a trap.
 */
import { describe, expect, it } from 'vitest';
import { discoverInvariants } from '../../src/check/discover.ts';
import { review } from '../../src/check/review.ts';
import { findDesign, type Design } from '../../src/kernel/index.ts';
import type { Event } from '../../src/model/index.ts';
import { only, run } from '../kernel/helpers.ts';

const invariants = (await discoverInvariants()).map((d) => d.invariant);

describe('a faulting INT n', () => {
  it('is marked faulted; INT3 and a DPL-3 gate are not', () => {
    const r = run('linux-6.7', [{ type: 'user.int', vector: 0x29 }, { type: 'user.nop' }]);
    const insns = only(r, 'user-insn');
    expect(insns[0]?.faulted, '[FAIL] expected int $0x29 marked faulted').toBe(true);
    expect(only(r, 'signal')[0]?.ctx?.err).toBe(0x29n * 8n + 2n);
    const bp = run('linux-6.7', [{ type: 'user.int', vector: 3 }, { type: 'user.nop' }]);
    expect(only(bp, 'user-insn')[0]?.faulted).toBeUndefined();
  });

  it('single-stepped: step-report holds (the report comes at the handler, not for the INT)', () => {
    const trace: Event[] = [
      { type: 'tracer.attach', options: { syscalls: true } },
      { type: 'user.syscall', nr: 'rt_sigaction', args: [11n], act: { handler: 0x40_0e00n, flags: 0x0400_0000n } },
      { type: 'tracer.singleStep' }, { type: 'tracer.singleStep' }, { type: 'tracer.singleStep' },
      { type: 'user.int', vector: 0x29 }, { type: 'tracer.singleStep' },
    ];
    for (const vendor of ['intel', 'amd'] as const) {
      const k = review({ design: findDesign('linux-6.7') as Design, vendor, paging: 4, trace, invariants: invariants.filter((i) => i.id === 'step-report'), micro: false });
      expect(k.findings, `[FAIL] ${vendor}: expected step-report to hold`).toEqual([]);
    }
  });
});
