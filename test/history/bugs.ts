/**
 * The bug corpus as data (linux-entry-history.md, "Bug corpus"): for each bug the design that
 * has it, the invariant that must catch it, the fixed design, and the length of the corpus's
 * minimal trace. Used by the acceptance tests and by `npm run bench`.
 */
import { variant } from '../../src/kernel/index.ts';
import { withLostReportFixed } from '../reference-design.ts';
import { preset, withKnobs, type BugCase } from './design-helpers.ts';

// linux-3.19 also has CVE-2018-8897 (an oops, also a kernel-health violation) and, on Intel, the
// `swapgs; sti; sysexit` race (an NMI in the STI shadow lets a held IRQ in with the user GS): the
// CVE-2006-0744 and CVE-2014-4699 cases use 3.19 with both later fixes applied (#BP off its IST
// stack; SYSENTER returning by SYSRETL, reference S7), so buggy and fixed differ only by the bug
// under test.
// linux-6.7 as it would be if its fast 32-bit -EFAULT return made the single-step report no Linux
// from v4.4 on makes there, without 3.x's unpaired syscall-exit stop (ia32_badarg).
const fastFaultFixed = withLostReportFixed(preset('linux-6.7'));

const base319 = withKnobs('linux-3.19', 'linux-3.19+bp-off-ist+sysretl', { ist: { ...preset('linux-3.19').knobs.ist, bp: false }, sysenterReturn: 'sysretl' });

/** Every bug the model can express. */
export const BUGS: readonly BugCase[] = [
  {
    id: 'CVE-2006-0744 / CVE-2012-0217', title: 'a SYSCALL at the top of the user half returns by SYSRET with a non-canonical RCX (Intel #GP at CPL 0)',
    // The harm is the #GP at CPL 0 on the user's stack (a kernel failure); 3.19's SYSRET also
    // differs from IRET in harmless ways (TF), so the SYSRET/IRET comparison is not the test here.
    invariant: 'kernel-health', buggy: variant(base319, 'linux-3.19-no-guard-page', { guardPage: false }),
    fixed: base319, vendor: 'intel', corpusLength: 4,
    trace: [{ type: 'user.jump', target: '$user_half_end-2' }, { type: 'user.syscall', nr: 'getpid' }],
  },
  {
    id: 'CVE-2014-4699', title: 'a ptrace stop inside fork, then a non-canonical RIP out through the SYSRET fast path',
    invariant: 'kernel-health', buggy: variant(base319, 'linux-3.19-no-force-iret', { forceIretAfterPtraceStop: false }),
    fixed: base319, vendor: 'intel', corpusLength: 6,
    trace: [{ type: 'tracer.attach', options: { fork: true } }, { type: 'user.syscall', nr: 'fork' }, { type: 'tracer.setRegs', regs: { rip: '$user_half_end', rcx: '$user_half_end' } }, { type: 'tracer.cont' }, { type: 'user.syscall', nr: 'sched_yield' }],
  },
  {
    id: 'B4', title: 'opportunistic SYSRET restores TF: a single-stepped task traps at the same RIP forever',
    invariant: 'user-progress', buggy: preset('opportunistic-sysret-2015'),
    fixed: withKnobs('opportunistic-sysret-2015', 'opportunistic-sysret-2015-tf-check', { sysretChecks: { ...preset('opportunistic-sysret-2015').knobs.sysretChecks, tfClear: true } }),
    vendor: 'intel', corpusLength: 9,
    trace: [{ type: 'tracer.attach', options: { syscalls: true } }, { type: 'user.syscall', nr: 'getpid' }, { type: 'tracer.cont' }, { type: 'tracer.singleStep' }, { type: 'user.setReg', reg: 'rcx', value: '$next+10' }, { type: 'tracer.singleStep' }, { type: 'user.setReg', reg: 'r11', value: '0x302' }, { type: 'tracer.singleStep' }, { type: 'tracer.singleStep' }],
    // Found by the run's exploration: two levels past depth 2 where a stopped tracee can act (4 events).
    search: { runs: 400 },
  },
  {
    id: 'X86_BUG_SYSRET_SS_ATTRS', title: 'AMD SYSRET keeps a NULL SS from an interrupt entry of another task',
    // Fixed in 4.1 by reloading SS in __switch_to (the preset 3.19 + workaround would still show
    // 3.19's TF-after-SYSRET difference, a separate matter).
    invariant: 'sysret-iret-equivalence', buggy: preset('linux-3.19'), fixed: preset('linux-4.1'), vendor: 'amd', corpusLength: 5,
    trace: [{ type: 'user.popf', flags: '0x302' }, { type: 'user.syscall', nr: 'getpid' }],
  },
  {
    id: 'CVE-2015-2830', title: 'an int $0x80 fork from a 64-bit task: the child leaves through the SYSRET fast path with TS_COMPAT set',
    invariant: 'compat-status', buggy: preset('linux-3.19'),
    fixed: withKnobs('linux-3.19', 'linux-3.19-full-ret-from-fork', { retFromFork: 'full' }), vendor: 'intel', corpusLength: 5,
    trace: [{ type: 'user.int80', nr: 'fork' }, { type: 'user.setReg', reg: 'r9', value: '0x0' }, { type: 'hw.irq', after: 0 }, { type: 'user.syscall', nr: 'pause' }],
    search: { runs: 1000 },
  },
  {
    id: 'CVE-2015-3291', title: 'user RSP inside the NMI stack at SYSCALL makes the nested-NMI test drop an NMI',
    // 810bc075f78f (the DF trick) came in one series with 9b6e6a8334d5 (NMIs from user mode on
    // the thread stack): with only the first, a user RSP in the NMI stack plus a user DF still
    // fools the nested test of an NMI from user mode, which the search finds at depth 3.
    invariant: 'nmi-safety', buggy: preset('linux-4.1'), fixed: withKnobs('linux-4.1', 'linux-4.1-nmi-fixes', { nmiFromUser: 'thread-stack', nestedNmi: 'rsp-and-df' }),
    vendor: 'intel', corpusLength: 4,
    trace: [{ type: 'user.setReg', reg: 'rsp', value: '$nmi_stack-0x28' }, { type: 'hw.nmi', after: 0 }],
  },
  {
    id: 'CVE-2015-5157', title: 'an NMI from user mode whose IRET faults is handled on the NMI stack',
    // 9b6e6a8334d5 came with 810bc075f78f (CVE-2015-3291) in the same series: the fixed design has both.
    invariant: 'nmi-safety', buggy: preset('linux-4.1'), fixed: withKnobs('linux-4.1', 'linux-4.1-nmi-fixes', { nmiFromUser: 'thread-stack', nestedNmi: 'rsp-and-df' }),
    vendor: 'intel', corpusLength: 5,
    trace: [{ type: 'user.setReg', reg: 'rsp', value: '$nmi_stack-0x28' }, { type: 'hw.nmi', after: 0 }],
  },
  {
    id: 'CVE-2018-8897', title: 'MOV SS then INT3: #DB at the first instruction of #BP, both on the DEBUG IST stack',
    // #BP finds #DB's frame where its own was and takes itself for a kernel-mode INT3: an oops.
    invariant: 'kernel-health', buggy: preset('linux-4.16'),
    fixed: withKnobs('linux-4.16', 'linux-4.16-bp-off-ist', { ist: { ...preset('linux-4.16').knobs.ist, bp: false } }), vendor: 'intel', corpusLength: 4,
    trace: [{ type: 'tracer.attach' }, { type: 'tracer.watch', addr: '$user_data' }, { type: 'user.movSs', watched: true }, { type: 'user.int3' }],
    // Found by the run's exploration: the armed watchpoint enables the watched MOV SS, and the
    // trap it holds enables every instruction after it (gen/enabled.ts).
  },
  {
    id: 'CVE-2014-9322', title: 'BadIRET: #SS on IST during IRET to a not-present SS, and the old bad_iret SWAPGS',
    invariant: 'kernel-gs-and-stack',
    buggy: withKnobs('linux-6.7', 'linux-6.7-legacy-bad-iret', { badIret: 'legacy', paranoidGs: 'msr-sign', fsgsbase: false, ist: { ...preset('linux-6.7').knobs.ist, ss: true } }),
    fixed: withKnobs('linux-6.7', 'linux-6.7-msr-sign', { paranoidGs: 'msr-sign', fsgsbase: false }), vendor: 'intel', corpusLength: 5,
    trace: [{ type: 'user.syscall', nr: 'modify_ldt', args: ['0x1', '0x0', '0x0'] }, { type: 'user.syscall', nr: 'rt_sigreturn', frame: { rip: '$next', rcx: '$next', rflags: '0x202', r11: '0x202', cs: 51, ss: 7 } }],
  },
  {
    id: 'B25 (FSGSBASE)', title: 'a kernel-half user GS base fools the MSR-sign test of a paranoid entry',
    invariant: 'kernel-gs-and-stack', buggy: withKnobs('linux-6.7', 'linux-6.7-msr-sign-fsgsbase', { paranoidGs: 'msr-sign' }),
    fixed: preset('linux-6.7'), vendor: 'intel', corpusLength: 4,
    trace: [{ type: 'user.popf', flags: '0x302' }, { type: 'user.wrgsbase', value: '0xffff800000000000' }, { type: 'hw.nmi', after: 0 }],
  },
  {
    id: 'B16', title: 'an NMI that faults before the #PF handler read CR2, without nmi_cr2',
    invariant: 'cr2-coherence', buggy: withKnobs('linux-6.7', 'linux-6.7-no-nmi-cr2', { nmiSavesCr2: false }), fixed: preset('linux-6.7'),
    vendor: 'intel', corpusLength: 5,
    trace: [{ type: 'user.jump', target: '$user_half_end-2' }, { type: 'user.nop' }, { type: 'hw.nmi', after: 0 }],
  },
  {
    id: 'B17', title: 'tracing before the CR2 read faults and overwrites CR2 (fixed by a0d14b8909de)',
    invariant: 'cr2-coherence', buggy: preset('linux-4.16'), fixed: withKnobs('linux-4.16', 'linux-4.16-cr2-first', { cr2Read: 'first' }),
    vendor: 'intel', corpusLength: 3,
    trace: [{ type: 'user.syscall', nr: 'rt_sigreturn', frame: { rip: '$next', rcx: '$next', rflags: '0x202', r11: '0x202', cs: 35, ss: 43 } }, { type: 'user.syscall', nr: 'getpid' }],
  },
  {
    id: 'B18', title: 'CR2 saved in a caller-saved register across enter_from_user_mode (fixed by 6879298bd067)',
    invariant: 'cr2-coherence', buggy: withKnobs('linux-5.8', 'linux-5.8-cr2-in-rdx', { cr2Keep: 'caller-saved' }), fixed: preset('linux-5.8'),
    vendor: 'intel', corpusLength: 4,
    trace: [{ type: 'user.sysenter', nr: 'getpid' }],
  },
  {
    id: 'B20', title: 'the exit path re-checks only NEED_RESCHED after do_notify_resume: a second signal waits',
    invariant: 'exit-work', buggy: withKnobs('linux-6.7', 'linux-6.7-recheck-resched-only', { exitWork: 'recheck-need-resched-only' }),
    fixed: preset('linux-6.7'), vendor: 'intel', corpusLength: 4,
    trace: [{ type: 'hw.irq', after: 0 }, { type: 'user.syscall', nr: 'sched_yield' }],
  },
  {
    id: 'B21', title: 'the work flags are read with IRQs on: an IRQ after the check leaves NEED_RESCHED set',
    invariant: 'exit-work', buggy: withKnobs('linux-6.7', 'linux-6.7-check-irqs-on', { exitWork: 'check-irqs-on' }), fixed: preset('linux-6.7'),
    vendor: 'intel', corpusLength: 3,
    trace: [{ type: 'user.sysenter', nr: 'pause' }, { type: 'hw.irq', after: 49 }, { type: 'user.int80', nr: 'nanosleep' }],
    search: { runs: 1000 },
  },
  {
    id: 'B22', title: 'IRQs enabled before rsp_scratch is pushed: another task\'s SYSCALL overwrites it',
    invariant: 'pt-regs-coherence', buggy: withKnobs('linux-4.1', 'linux-4.1-early-irq-enable', { syscallIrqEnable: 'asm-before-scratch', switchToSavesScratch: false }),
    fixed: preset('linux-4.1'), vendor: 'intel', corpusLength: 9,
    trace: [{ type: 'user.int80', nr: 'fork' }, { type: 'user.syscall', nr: 'getpid' }, { type: 'hw.irq', after: 0 }, { type: 'hw.irq', after: 6 }, { type: 'user.int3' }, { type: 'tracer.attach', options: { syscalls: true } }, { type: 'user.syscall', nr: 'getpid' }],
    search: { runs: 5000 },
  },
  {
    id: 'B23', title: 'generic entry lost the single-step report at syscall exit (fixed by 6342adcaa683)',
    // Fixed: linux-6.7 with the fast 32-bit -EFAULT return's report too (LOST_REPORT below), so
    // that step-report holds on the fixed side and the search has something to miss.
    invariant: 'step-report', buggy: withKnobs('linux-6.7', 'linux-6.7-no-step-report', { singleStepReport: false }), fixed: fastFaultFixed,
    vendor: 'intel', corpusLength: 6,
    trace: [{ type: 'tracer.attach', options: { syscalls: true } }, { type: 'user.syscall', nr: 'rt_sigreturn', frame: {} }, { type: 'tracer.singleStep' }, { type: 'user.access', addr: '$user_data', write: false }, { type: 'user.access', addr: '$user_data', write: false }],
    // Found by the run's exploration since the step window (gen/enabled.ts): attach, a system
    // call, a step, a system call stepped over, 4 events. Before, the guided search needed about
    // 8,000 runs a seed.
  },
  {
    id: 'LOST-STEP', title: 'a single-stepped fast 32-bit system call whose arg-6 fetch faults gets no step report (v4.4 on; found by entrycheck)',
    // __do_fast_syscall_32's "User code screwed up" returns by irqentry_exit_to_user_mode, which
    // skips syscall_exit_work and its report_single_step (docs/designs.md, the lost step report).
    invariant: 'step-report', buggy: preset('linux-6.7'), fixed: fastFaultFixed,
    vendor: 'intel', corpusLength: 6,
    trace: [{ type: 'tracer.attach', options: { syscalls: true } }, { type: 'user.syscall', nr: 'getpid' }, { type: 'tracer.singleStep' }, { type: 'tracer.singleStep' }, { type: 'user.sysenter', nr: 'getpid', ebp: '0x6ffff8' }, { type: 'user.nop' }],
    // Found by the run's exploration in 5 events (step-report says a missing report at the
    // return to user mode): task 1's SYSENTER from 64-bit code reads arg 6 through its truncated
    // RSP, which is unmapped. Before, the guided search found it once in 3 x 8,000 runs.
  },
  {
    id: 'B26', title: 'SYSENTER with TF: the BHI mitigation call is single-stepped outside the ignore region (ac8b270b61d4)',
    invariant: 'kernel-health', buggy: withKnobs('linux-6.7', 'linux-6.7-bhi-call-early', { sysenterCallBeforeTfClear: true }), fixed: preset('linux-6.7'),
    vendor: 'intel', corpusLength: 3,
    trace: [{ type: 'user.popf', flags: '0x302' }, { type: 'user.sysenter', nr: 'getpid' }],
  },
  {
    id: 'CVE-2014-9090', title: 'an IRET fault on the espfix64 stack takes #SS on its IST stack, where no IRET fault is recognised: an oops (6f442be2fb22 moved #SS off IST)',
    invariant: 'kernel-health', buggy: withKnobs('linux-6.7', 'linux-6.7-ss-on-ist', { ist: { ...preset('linux-6.7').knobs.ist, ss: true } }), fixed: preset('linux-6.7'),
    vendor: 'intel', corpusLength: 2,
    trace: [{ type: 'user.syscall', nr: 'modify_ldt', args: ['0x1', '0x0', '0x0'] }, { type: 'user.syscall', nr: 'rt_sigreturn', frame: { rip: '$next', rcx: '$next', rflags: '0x202', r11: '0x202', cs: 51, ss: 7 } }],
  },
  {
    id: 'B9 (espfix64 missing)', title: 'an IRET to a 16-bit LDT stack segment restores SP[15:0] alone: RSP bits 31:16 are the kernel stack\'s (before espfix64, 3.16)',
    invariant: 'pt-regs-coherence', buggy: withKnobs('linux-6.7', 'linux-6.7-no-espfix64', { espfix64: false }), fixed: preset('linux-6.7'),
    vendor: 'intel', corpusLength: 2,
    trace: [{ type: 'user.syscall', nr: 'modify_ldt', args: ['0x1', '0x0', '0x5'] }, { type: 'user.syscall', nr: 'rt_sigreturn', frame: { rip: '0xf7fc057e', rcx: '0xf7fc057e', rdx: '0xf7fc057e', rflags: '0x202', cs: 35, ss: 7 } }],
  },
  {
    id: 'CVE-2008-1367', title: 'a signal handler entered with the interrupted code\'s DF (2.6.24 cleared TF alone; GCC 4.3 stopped issuing CLD)',
    invariant: 'handler-flags', buggy: withKnobs('linux-6.7', 'linux-6.7-handler-df', { handlerFlagsClear: 'tf' }), fixed: preset('linux-6.7'),
    vendor: 'intel', corpusLength: 2,
    trace: [{ type: 'user.popf', flags: '0x602' }, { type: 'user.int3' }],
  },
];
