/**
 * After a 32-bit system call, R8-R15 are not part of the ABI: a 32-bit task that sets R15 in
 * 64-bit code, then makes a SYSCALL from 32-bit code (a signal handler), gets R15 back as the
 * kernel left it after SYSRETL (zero: the entry cleared it and R12-R15 are not reloaded,
 * entry_64_compat.S, linux-entry-history S7) and from pt_regs after IRET; the handler's
 * rt_sigreturn to the 64-bit code (a 32-bit frame holds no R15) shows it. That difference is
 * Linux's, not a flaw: sysret-iret-equivalence holds. Found by the search at --runs 600.
 */
import { describe, expect, it } from 'vitest';
import { discoverInvariants } from '../../src/check/discover.ts';
import { judge } from '../../src/check/evaluate.ts';
import { toTraceEvents } from '../../src/check/operands.ts';
import { kernelOf } from '../../src/check/session.ts';
import type { RawEvent } from '../../src/check/trace-file.ts';
import { findDesign, type Design } from '../../src/kernel/index.ts';

const inv = (await discoverInvariants()).map((d) => d.invariant).find((i) => i.id === 'sysret-iret-equivalence');
// Task 1 dies (SIGKILL) and the 32-bit task 2 runs the events: a sigreturn to 64-bit code, R15
// set there, a #GP (CLI) whose 32-bit handler makes a SYSCALL that returns by SYSRETL, then
// returns to the 64-bit code.
const TRACE: RawEvent[] = [
  { type: 'sched.signal', task: 1, signal: 9 }, { type: 'user.int80', nr: 'rt_sigreturn', frame: { cs: 0x33 } },
  { type: 'user.setReg', reg: 'r15', value: '0x1b2549013c345c7a' }, { type: 'user.cli' }, { type: 'user.syscall', nr: 'getpid' }, { type: 'user.pushf' },
  { type: 'user.syscall', nr: 'rt_sigreturn' },
];

describe('sysret-iret-equivalence after a 32-bit system call', () => {
  for (const name of ['rseq-at-exit', 'compat-fast-sysret-2015']) {
    it(`holds although SYSRETL and IRET give different R15 (${name}, amd)`, () => {
      const cell = { kernel: kernelOf(findDesign(name) as Design), vendor: 'amd' as const, paging: 4 as const };
      const j = judge(inv ? [inv] : [], cell, toTraceEvents(TRACE, 'test'));
      const returns = j.run.observations.map((t) => t.o).flatMap((o) => (o.kind === 'return-to-user' ? [o] : []));
      // The difference is there: after the SYSRETL exit, back in 64-bit code, R15 is zero.
      expect(returns.map((o) => o.via), '[FAIL] expected a SYSRETL exit, then the sigreturn\'s IRET').toContain('sysretl');
      expect(returns[returns.length - 1]?.view.regs.r15, '[FAIL] expected R15 zero in the 64-bit code').toBe(0n);
      expect(j.violations.get('sysret-iret-equivalence'), '[FAIL] expected no violation').toBeUndefined();
    });
  }
});

describe('sysret-iret-equivalence when an NMI shows the registers a compat exit left', () => {
  // Found by run --runs 8000 --seed 12 on linux-4.1 amd-5: a SYSCALL from 32-bit code returns by
  // SYSRETL (R8 zeroed; the IRET exit restores pt_regs->r8, which the 4.1 entry filled with the
  // user ESP), a 32-bit rt_sigreturn to 64-bit code (its frame holds no R8), then an NMI from
  // user mode, whose return restores no pt_regs and shows R8. The same undefined register as
  // above, seen by another kind of return.
  const trace: RawEvent[] = [
    { type: 'hw.irq', after: 0 }, { type: 'user.syscall', nr: 'getpid' }, { type: 'user.int80', nr: 'getpid' },
    { type: 'user.int80', nr: 'rt_sigreturn', frame: { cs: 0x33 } }, { type: 'sched.signal', task: 1, signal: 31 }, { type: 'hw.nmi', after: 0 },
  ];
  it('holds on linux-4.1 (amd, 5-level)', () => {
    const j = judge(inv ? [inv] : [], { kernel: kernelOf(findDesign('linux-4.1') as Design), vendor: 'amd', paging: 5 }, toTraceEvents(trace, 'test'));
    const resumes = j.run.observations.map((t) => t.o).filter((o) => o.kind === 'user-resume');
    expect(resumes.length, '[FAIL] expected the NMI\'s return to user mode').toBeGreaterThan(0);
    expect(j.violations.get('sysret-iret-equivalence'), '[FAIL] expected no violation').toBeUndefined();
  });
});
