/**
 * A system call's kernel code never starts with a flag the user controls and the entry must
 * clear: AC (SMAP off for the kernel's own accesses), NT (an IRET would fault), TF (a single-step
 * trap in the kernel) or DF (string instructions run backwards). SYSCALL clears the FMASK bits as
 * it enters, so at the SYSCALL entry points (LSTAR, CSTAR) none of them may be set; nothing in
 * the kernel's own code sets them later. The IDT entries (ASM_CLAC first, CLD later) and
 * SYSENTER (popfq after the frame is pushed) clear them in code, so at their first instruction
 * the user's flags are legitimately still set: they are left out (docs/search.md).
 */
import { defineInvariant } from '../../src/index.ts';
import { rf } from '../../src/isa/index.ts';

const USER_CONTROLLED = rf.AC | rf.NT | rf.TF | rf.DF;
const NAMES: ReadonlyArray<readonly [bigint, string]> = [[rf.AC, 'AC'], [rf.NT, 'NT'], [rf.TF, 'TF'], [rf.DF, 'DF']];

export default defineInvariant({
  id: 'user-flags-in-kernel',
  kind: 'state',
  summary: 'a SYSCALL entry starts with AC, NT, TF and DF clear (FMASK clears them)',
  source: 'x86-semantics 3.4 (IA32_FMASK as Linux sets it), 4.1 (SYSCALL: RFLAGS &= ~FMASK), 1.1 (the FMASK column)',
  check(s) {
    const c = s.cpu;
    if ((c.cs.sel & 3) !== 0 || s.k.halted !== null || (c.regs.rip !== c.msr.lstar && c.regs.rip !== c.msr.cstar)) return true;
    const set = c.rflags & USER_CONTROLLED;
    if (set === 0n) return true;
    return `expected AC, NT, TF and DF clear at the SYSCALL entry, got ${NAMES.filter(([b]) => (set & b) !== 0n).map(([, n]) => n).join(', ')} set`;
  },
});
