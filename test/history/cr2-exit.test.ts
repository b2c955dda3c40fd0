/** CR2 clobbers (B16-B18), lost exit work (B20, B21, B23), the early IRQ enable (B22), the SYSENTER TF region (B26). */
import { preset, acceptance, withKnobs } from './harness.ts';

acceptance({
  id: 'B16', title: 'an NMI that faults before the #PF handler read CR2, without nmi_cr2',
  invariant: 'cr2-coherence', buggy: withKnobs('linux-6.7', 'linux-6.7-no-nmi-cr2', { nmiSavesCr2: false }), fixed: preset('linux-6.7'),
  vendor: 'intel', corpusLength: 5,
});
acceptance({
  id: 'B17', title: 'tracing before the CR2 read faults and overwrites CR2 (fixed by a0d14b8909de)',
  invariant: 'cr2-coherence', buggy: preset('linux-4.16'), fixed: withKnobs('linux-4.16', 'linux-4.16-cr2-first', { cr2Read: 'first' }),
  vendor: 'intel', corpusLength: 3,
});
acceptance({
  id: 'B18', title: 'CR2 saved in a caller-saved register across enter_from_user_mode (fixed by 6879298bd067)',
  invariant: 'cr2-coherence', buggy: withKnobs('linux-5.8', 'linux-5.8-cr2-in-rdx', { cr2Keep: 'caller-saved' }), fixed: preset('linux-5.8'),
  vendor: 'intel', corpusLength: 4,
});
acceptance({
  id: 'B20', title: 'the exit path re-checks only NEED_RESCHED after do_notify_resume: a second signal waits',
  invariant: 'exit-work', buggy: withKnobs('linux-6.7', 'linux-6.7-recheck-resched-only', { exitWork: 'recheck-need-resched-only' }),
  fixed: preset('linux-6.7'), vendor: 'intel', corpusLength: 4,
});
acceptance({
  id: 'B21', title: 'the work flags are read with IRQs on: an IRQ after the check leaves NEED_RESCHED set',
  invariant: 'exit-work', buggy: withKnobs('linux-6.7', 'linux-6.7-check-irqs-on', { exitWork: 'check-irqs-on' }), fixed: preset('linux-6.7'),
  vendor: 'intel', corpusLength: 3,
});
acceptance({
  id: 'B22', title: 'IRQs enabled before rsp_scratch is pushed: another task\'s SYSCALL overwrites it',
  invariant: 'pt-regs-coherence', buggy: withKnobs('linux-4.1', 'linux-4.1-early-irq-enable', { syscallIrqEnable: 'asm-before-scratch', switchToSavesScratch: false }),
  fixed: preset('linux-4.1'), vendor: 'intel', corpusLength: 9,
});
acceptance({
  id: 'B23', title: 'generic entry lost the single-step report at syscall exit (fixed by 6342adcaa683)',
  invariant: 'exit-work', buggy: withKnobs('linux-6.7', 'linux-6.7-no-step-report', { singleStepReport: false }), fixed: preset('linux-6.7'),
  vendor: 'intel', corpusLength: 6,
});
acceptance({
  id: 'B26', title: 'SYSENTER with TF: the BHI mitigation call is single-stepped outside the ignore region (ac8b270b61d4)',
  invariant: 'kernel-health', buggy: withKnobs('linux-6.7', 'linux-6.7-bhi-call-early', { sysenterCallBeforeTfClear: true }), fixed: preset('linux-6.7'),
  vendor: 'intel', corpusLength: 3,
});
