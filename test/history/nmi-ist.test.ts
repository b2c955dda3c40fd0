/** NMIs, IST stacks and GS: CVE-2015-3291, CVE-2015-5157, CVE-2018-8897, CVE-2014-9322, FSGSBASE. */
import { preset, acceptance, withKnobs } from './harness.ts';

acceptance({
  id: 'CVE-2015-3291', title: 'user RSP inside the NMI stack at SYSCALL makes the nested-NMI test drop an NMI',
  invariant: 'nmi-safety', buggy: preset('linux-4.1'), fixed: withKnobs('linux-4.1', 'linux-4.1-df-trick', { nestedNmi: 'rsp-and-df' }),
  vendor: 'intel', corpusLength: 4,
});
acceptance({
  id: 'CVE-2015-5157', title: 'an NMI from user mode whose IRET faults is handled on the NMI stack',
  // 9b6e6a8334d5 came with 810bc075f78f (CVE-2015-3291) in the same series: the fixed design has both.
  invariant: 'nmi-safety', buggy: preset('linux-4.1'), fixed: withKnobs('linux-4.1', 'linux-4.1-nmi-fixes', { nmiFromUser: 'thread-stack', nestedNmi: 'rsp-and-df' }),
  vendor: 'intel', corpusLength: 5,
});
acceptance({
  id: 'CVE-2018-8897', title: 'MOV SS then INT3: #DB at the first instruction of #BP, both on the DEBUG IST stack',
  // #BP finds #DB's frame where its own was and takes itself for a kernel-mode INT3: an oops.
  invariant: 'kernel-health', buggy: preset('linux-4.16'),
  fixed: withKnobs('linux-4.16', 'linux-4.16-bp-off-ist', { ist: { ...preset('linux-4.16').knobs.ist, bp: false } }), vendor: 'intel', corpusLength: 4,
});
acceptance({
  id: 'CVE-2014-9322', title: 'BadIRET: #SS on IST during IRET to a not-present SS, and the old bad_iret SWAPGS',
  invariant: 'kernel-gs-and-stack',
  buggy: withKnobs('linux-6.7', 'linux-6.7-legacy-bad-iret', { badIret: 'legacy', paranoidGs: 'msr-sign', fsgsbase: false, ist: { ...preset('linux-6.7').knobs.ist, ss: true } }),
  fixed: withKnobs('linux-6.7', 'linux-6.7-msr-sign', { paranoidGs: 'msr-sign', fsgsbase: false }), vendor: 'intel', corpusLength: 5,
});
acceptance({
  id: 'B25 (FSGSBASE)', title: 'a kernel-half user GS base fools the MSR-sign test of a paranoid entry',
  invariant: 'kernel-gs-and-stack', buggy: withKnobs('linux-6.7', 'linux-6.7-msr-sign-fsgsbase', { paranoidGs: 'msr-sign' }),
  fixed: preset('linux-6.7'), vendor: 'intel', corpusLength: 4,
});
