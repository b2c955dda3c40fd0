/**
 * At every return to user mode by SYSRET, SYSRETL or SYSEXIT, returning by IRET from the same
 * pt_regs instead must make no difference user mode can see, over the rest of the trace; and the
 * fast exit must not fault at CPL 0. The design's eligibility checks are what is under test: this
 * invariant never consults them, it runs the alternative and compares.
 */
import { defineInvariant, visibleSequence, type Observation } from '../../src/index.ts';

/**
 * After a 32-bit system call, R8-R15 are not part of the ABI (ia32entry.S marks them all
 * CFI_UNDEFINED): Linux's SYSRETL exit skips them in pt_regs, zeroes R8-R10, leaves RFLAGS in R11
 * and R12-R15 as the kernel left them ("R12-R15 are callee-saved ... We zero R8-R10 to avoid info
 * leaks", entry_64_compat.S, S7; since the entry clears them, they come back zero), while its
 * IRET exit restores them. Only code that later switches to 64-bit mode could see them.
 */
const COMPAT_UNDEFINED = ['r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'];

/**
 * The compat fast exits return through registers: SYSRETL takes RIP from ECX, SYSEXIT RIP from
 * EDX and RSP from ECX (SDM Vol. 2B SYSRET, SYSEXIT). They land on the vDSO landing pad, whose
 * `pop %edx; pop %ecx` restores them from the user stack (vdso32/system_call.S); only a user
 * stack that faults under those pops shows the clobber, which Linux accepts (entry_64_compat.S).
 */
const CLOBBERED: Readonly<Record<string, readonly string[]>> = { sysretl: ['rcx'], sysexit: ['rcx', 'rdx'] };

function withoutCompatUndefined(obs: readonly Observation[], via: string): Observation[] {
  const skip = [...COMPAT_UNDEFINED, ...(CLOBBERED[via] ?? [])];
  // Every later view of the task's registers, a return with no pt_regs restored (an NMI's from
  // user mode) included: the registers stay as the exit left them until the task writes them.
  return obs.map((o) => {
    if (o.kind !== 'return-to-user' && o.kind !== 'user-resume') return o;
    const regs = { ...o.view.regs };
    for (const r of skip) delete regs[r];
    return { ...o, view: { ...o.view, regs } };
  });
}

export default defineInvariant({
  id: 'sysret-iret-equivalence',
  kind: 'differential',
  summary: 'returning by SYSRET/SYSRETL/SYSEXIT is indistinguishable from IRET from the same pt_regs, and never faults at CPL 0',
  source: 'linux-entry-history 1.1-1.3 and 2.4 (opportunistic SYSRET: a return SYSRET cannot reproduce must use IRET); x86-semantics 4.2, 6 (CVE-2012-0217)',
  check(f) {
    const compat = f.via === 'sysretl' || f.via === 'sysexit';
    const fast = visibleSequence(compat ? withoutCompatUndefined(f.actual, f.via) : f.actual);
    const slow = visibleSequence(compat ? withoutCompatUndefined(f.alternative, f.via) : f.alternative);
    const failure = fast.find((x) => x.o.kind === 'kernel-failure');
    if (failure && !slow.some((x) => x.o.kind === 'kernel-failure')) {
      return `expected the ${f.via.toUpperCase()} exit not to fail (the IRET exit does not), got ${failure.o.kind === 'kernel-failure' ? `${failure.o.what}: ${failure.o.detail}` : ''}`;
    }
    const n = Math.max(fast.length, slow.length);
    for (let i = 0; i < n; i++) {
      const a = fast[i]?.text;
      const b = slow[i]?.text;
      if (a !== b) return `expected ${b ?? 'nothing more'} (as after IRET), got ${a ?? 'nothing'} after ${f.via.toUpperCase()}`;
    }
    return true;
  },
});
