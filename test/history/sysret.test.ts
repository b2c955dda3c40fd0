/** The SYSRET family: non-canonical RCX, ptrace-modified RIP, the TF loop, AMD's SS attributes, TS_COMPAT. */
import { variant } from '../../src/kernel/index.ts';
import { acceptance, preset, withKnobs } from './harness.ts';

// linux-3.19 also has CVE-2018-8897 (an oops, also a kernel-health violation): these tests use
// 3.19 with that later fix applied, so the only difference between buggy and fixed is the bug.
const base319 = withKnobs('linux-3.19', 'linux-3.19+bp-off-ist', { ist: { ...preset('linux-3.19').knobs.ist, bp: false } });

acceptance({
  id: 'CVE-2006-0744 / CVE-2012-0217', title: 'a SYSCALL at the top of the user half returns by SYSRET with a non-canonical RCX (Intel #GP at CPL 0)',
  // The harm is the #GP at CPL 0 on the user's stack (a kernel failure); 3.19's SYSRET also
  // differs from IRET in harmless ways (TF), so the SYSRET/IRET comparison is not the test here.
  invariant: 'kernel-health', buggy: variant(base319, 'linux-3.19-no-guard-page', { guardPage: false }),
  fixed: base319, vendor: 'intel', corpusLength: 4,
});
acceptance({
  id: 'CVE-2014-4699', title: 'a ptrace stop inside fork, then a non-canonical RIP out through the SYSRET fast path',
  invariant: 'kernel-health', buggy: variant(base319, 'linux-3.19-no-force-iret', { forceIretAfterPtraceStop: false }),
  fixed: base319, vendor: 'intel', corpusLength: 6,
});
acceptance({
  id: 'B4', title: 'opportunistic SYSRET restores TF: a single-stepped task traps at the same RIP forever',
  invariant: 'user-progress', buggy: preset('opportunistic-sysret-2015'),
  fixed: withKnobs('opportunistic-sysret-2015', 'opportunistic-sysret-2015-tf-check', { sysretChecks: { ...preset('opportunistic-sysret-2015').knobs.sysretChecks, tfClear: true } }),
  vendor: 'intel', corpusLength: 9,
});
acceptance({
  id: 'X86_BUG_SYSRET_SS_ATTRS', title: 'AMD SYSRET keeps a NULL SS from an interrupt entry of another task',
  // Fixed in 4.1 by reloading SS in __switch_to (the preset 3.19 + workaround would still show
  // 3.19's TF-after-SYSRET difference, a separate matter).
  invariant: 'sysret-iret-equivalence', buggy: preset('linux-3.19'), fixed: preset('linux-4.1'), vendor: 'amd', corpusLength: 5,
});
acceptance({
  id: 'CVE-2015-2830', title: 'an int $0x80 fork from a 64-bit task: the child leaves through the SYSRET fast path with TS_COMPAT set',
  invariant: 'compat-status', buggy: preset('linux-3.19'),
  fixed: withKnobs('linux-3.19', 'linux-3.19-full-ret-from-fork', { retFromFork: 'full' }), vendor: 'intel', corpusLength: 5,
});
