/**
 * iret-fault-cause judges the faults an IRET raises (#GP, #SS, #NP, #PF: x86-semantics 4.5), not
 * whatever is delivered at its boundary. Found by the search: on linux-4.16 (AMD, 5-level) a
 * machine check armed by the trace lands on the NMI exit's IRETQ, and was taken for the IRET
 * faulting on a valid frame. The invariant still kills FMASK without NT (an IRET with NT set
 * raises #GP(0) on a valid frame).
 */
import { describe, expect, it } from 'vitest';
import { discoverInvariants } from '../../src/check/discover.ts';
import { judge } from '../../src/check/evaluate.ts';
import { toTraceEvents } from '../../src/check/operands.ts';
import { kernelOf } from '../../src/check/session.ts';
import type { RawEvent } from '../../src/check/trace-file.ts';
import { findDesign, variant, type Design } from '../../src/kernel/index.ts';

const inv = (await discoverInvariants()).map((d) => d.invariant).find((i) => i.id === 'iret-fault-cause');
const judgeOn = (d: Design, vendor: 'intel' | 'amd', paging: 4 | 5, trace: RawEvent[]) =>
  judge(inv ? [inv] : [], { kernel: kernelOf(d), vendor, paging }, toTraceEvents(trace, 'test'), { micro: true });

describe('iret-fault-cause', () => {
  it('holds when a machine check lands on an IRET (it is not the IRET\'s fault)', () => {
    const trace: RawEvent[] = [
      { type: 'user.int3' }, { type: 'user.int80', nr: 'rt_sigreturn' }, { type: 'user.setReg', reg: 'rdi', value: '0x0' },
      { type: 'hw.nmi', after: 54 }, { type: 'hw.mce', after: 54 }, { type: 'hw.nmi', after: 20 },
      { type: 'user.access', addr: '0x3ffffffffffffff', write: false },
    ];
    const j = judgeOn(findDesign('linux-4.16') as Design, 'amd', 5, trace);
    // The machine check is delivered at the NMI exit's IRETQ (its handler's first step, interrupted there).
    const mc = (j.run.micro ?? []).flatMap((m) => m.after.k.tasks.flatMap((t) => t.acts)).find((a) => a.vector === 18);
    expect(mc && j.run.micro?.some((m) => m.rip === mc.interrupted && m.step.name === 'iretq'), '[FAIL] expected a #MC at an iretq').toBe(true);
    expect(j.violations.get('iret-fault-cause'), '[FAIL] expected no violation').toBeUndefined();
  });

  it('is violated when FMASK lets NT through to the IRET exit', () => {
    const noNt = variant(findDesign('linux-6.7') as Design, 'fmask-without-nt', { fmask: 0x253fd5n });
    const j = judgeOn(noNt, 'intel', 4, [{ type: 'user.popf', flags: '0x44202' }, { type: 'user.syscall', nr: 'sched_yield' }]);
    expect(j.violations.get('iret-fault-cause')?.message, '[FAIL] expected #GP (13) on a valid frame').toMatch(/vector 13 on a valid one/);
  });
});
