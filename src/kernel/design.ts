/**
 * A design: the entry code's choices as data (DESIGN.md section 3). Knobs are validated with zod
 * so a design handed to us in a file gets a one-line error naming the bad knob. Optional
 * predicate overrides let a patch say what the knobs cannot (its own SYSRET-eligibility test).
 * Vendor and paging are run parameters, never knobs.
 */
import { z } from 'zod';
import type { PtRegs } from '../model/index.ts';

const ripTest = z.enum(['none', 'top-17-bits-zero', 'canonical', 'below-task-size-max']);

/** The knob schema. Each knob's comment says what it models. */
export const knobsSchema = z.strictObject({
  /** Which returns to user mode may use SYSRET/SYSEXIT. */
  sysretWhere: z.enum(['fast-path-only', 'syscalls', 'all-returns']),
  /** The 64-bit SYSRET eligibility checks (reference linux-entry-history 1.2, C1-C7). */
  sysretChecks: z.strictObject({
    rcxEqualsRip: z.boolean(),
    r11EqualsFlags: z.boolean(),
    rip: ripTest,
    rfClear: z.boolean(),
    tfClear: z.boolean(),
    csIsUserCs: z.boolean(),
    ssIsUserDs: z.boolean(),
  }),
  /**
   * Compat fast returns (SYSRETL / SYSEXIT): never (always IRET), only from the untouched fast
   * path (pre-2015 sysexit_from_sys_call), or whenever the checks below pass (2015 rewrite, 2.4).
   */
  compatFastReturn: z.enum(['never', 'fast-path-only', 'checks']),
  compatChecks: z.strictObject({
    csIsUser32Cs: z.boolean(),
    ssIsUserDs: z.boolean(),
    ipIsLandingPad: z.boolean(),
    rfTfClear: z.boolean(),
    vmClear: z.boolean(),
  }),
  /** Compat SYSENTER returns with SYSEXIT (pre-2015) or, like SYSCALL32, with SYSRETL (S7). */
  sysenterReturn: z.enum(['sysexit', 'sysretl']),
  /** A ptrace stop forces the IRET exit (force_iret(), CVE-2014-4699 fix). */
  forceIretAfterPtraceStop: z.boolean(),
  /** Any pt_regs write (sigreturn, ptrace, signal delivery) forces the IRET exit. */
  forceIretAfterRegsWrite: z.boolean(),
  /** TS_FASTSYSCALL proposal: off, or on with the list of register writers that clear the flag. */
  fastSyscallFlag: z.enum(['off', 'all-writers-clear', 'ptrace-forgets']),
  /** IA32_FMASK value (hex string in files). */
  fmask: z.bigint(),
  /** Where the SYSCALL entry enables IRQs. */
  syscallIrqEnable: z.enum(['c-after-entry-work', 'asm-after-scratch', 'asm-before-scratch']),
  /** switch_to saves and restores the per-CPU user-RSP slot per task (old_rsp, pre-4.1). */
  switchToSavesScratch: z.boolean(),
  /** irqs-on-syscall-entry proposal: IRQs use IST and fix up a partial SYSCALL entry. */
  irqEntryFixup: z.boolean(),
  /** #PF IDT gate type. */
  pfGate: z.enum(['interrupt', 'trap']),
  /** Where the #PF entry reads CR2. */
  cr2Read: z.enum(['first', 'after-instrumentation', 'after-irq-enable']),
  /** Where the value read is kept until the handler call. */
  cr2Keep: z.enum(['callee-saved', 'caller-saved']),
  /** Entry instrumentation (tracing, context tracking) that may fault, e.g. by reading the user stack. */
  faultingInstrumentation: z.boolean(),
  /** The NMI handler saves CR2 and restores it before returning (nmi_cr2). */
  nmiSavesCr2: z.boolean(),
  /** NMI handlers read user memory (perf user call chains) and may take #PF. */
  nmiReadsUserMemory: z.boolean(),
  /** The IRQ entry saves and restores CR2 of an interrupted #PF entry (pf-trap-gate proposal). */
  irqSavesCr2: z.boolean(),
  /** Exit-to-user work handling. */
  exitWork: z.enum(['loop-irqs-off', 'recheck-need-resched-only', 'check-irqs-on']),
  /** Where rseq fix-ups of user state run. */
  rseq: z.enum(['none', 'scheduler', 'exit-to-user']),
  /** Syscall exit reports a single-step (TIF_SINGLESTEP) to the tracer (B23 regression = false). */
  singleStepReport: z.boolean(),
  /** Vectors on IST stacks. */
  ist: z.strictObject({ db: z.boolean(), nmi: z.boolean(), bp: z.boolean(), mc: z.boolean(), df: z.boolean(), ss: z.boolean() }),
  /** #DB's handler shifts its IST stack down while running (shift_ist). */
  dbShiftIst: z.boolean(),
  /** Nested-NMI detection: interrupted RSP within the NMI stack, or that and DF set (810bc075f78f). */
  nestedNmi: z.enum(['rsp', 'rsp-and-df']),
  /** NMIs from user mode switch to the thread stack (9b6e6a8334d5) or stay on the IST stack. */
  nmiFromUser: z.enum(['thread-stack', 'ist']),
  /** switch_to reloads a NULL SS with __KERNEL_DS on CPUs with X86_BUG_SYSRET_SS_ATTRS (AMD). */
  amdSsWorkaround: z.boolean(),
  /** ret_from_fork returns through the SYSRET fast path (CVE-2015-2830) or the full exit. */
  retFromFork: z.enum(['sysret-fast-path', 'full']),
  /** A fault on IRET to user: fixup_bad_iret (b645af2d5905) or the pre-2014 handling. */
  badIret: z.enum(['fixup', 'legacy']),
  /** Paranoid entries decide SWAPGS by the sign of MSR_GS_BASE, or save/set/restore GS base. */
  paranoidGs: z.enum(['msr-sign', 'save-restore']),
  /** User code may write its GS base directly (CR4.FSGSBASE, v5.9). */
  fsgsbase: z.boolean(),
  /** The SYSENTER entry calls out of its single-step region before clearing TF (BHI mitigation, B26). */
  sysenterCallBeforeTfClear: z.boolean(),
  /**
   * The top user page is never mapped (TASK_SIZE_MAX = top - PAGE_SIZE), so no SYSCALL can sit at
   * the end of the user half and return to a non-canonical RCX (page_64_types.h comment).
   */
  guardPage: z.boolean(),
  /** Kernel preemption (CONFIG_PREEMPT): IRQ returns to kernel mode may schedule. */
  preemptKernel: z.boolean(),
  /**
   * A user watchpoint hit in kernel mode (a #DB that MOV SS held until a kernel entry) sends
   * SIGTRAP (do_debug's send_sigtrap, up to v5.9), or is only recorded in the virtual DR6 that
   * the next user #DB overwrites (exc_debug_kernel since v5.10). Absent means true, as in files
   * written before this knob existed.
   */
  kernelWatchpointSignal: z.boolean().optional(),
  /**
   * espfix64 (3.16): a return to an LDT stack segment IRETs from the espfix stack, so a 16-bit SS
   * does not leak kernel RSP bits 31:16 (linux-entry-history B9), and an IRET fault there comes
   * back as #GP(0) from user mode (B8). Absent means true: every preset has it.
   */
  espfix64: z.boolean().optional(),
  /**
   * The 64-bit SYSCALL entry dispatches on EAX as a signed int (movslq %eax, %rsi; do_syscall_64
   * takes int nr, v5.14), so RAX bits 63:32 are ignored; absent means false: the whole of RAX is
   * compared with the table size, as before.
   */
  syscallNrInt: z.boolean().optional(),
  /**
   * How the fast 32-bit system call returns -EFAULT when its fetch of arg 6 through EBP faults:
   * by the interrupt exit, without the system call's exit work (`__do_fast_syscall_32`'s "User
   * code screwed up", C entry since 710246df5804, v4.4), or by the system call exit with its work
   * (3.x/4.1 asm: ia32_badarg jumps to ia32_sysret and int_ret_from_sys_call), or by the exit
   * work's single-step report alone and then the interrupt exit (step-report: a fix of both, no
   * Linux has it). Absent means irq-exit. irq-exit loses the single-step report; syscall-exit
   * makes a syscall-exit stop whose entry stop never came (docs/designs.md).
   */
  fastFaultExit: z.enum(['irq-exit', 'syscall-exit', 'step-report']).optional(),
  /**
   * The flags a signal handler's registers have cleared: DF (the ABI's state at function entry),
   * RF (it would suppress a debug exception at the handler's first instruction) and TF, as
   * handle_signal does (arch/x86/kernel/signal.c), or TF alone, as 2.6.24's setup_rt_frame did
   * (`regs->eflags &= ~TF_MASK`, signal_64.c at 0008bf54): CVE-2008-1367, which GCC 4.3's
   * string operations without CLD exposed; DF is cleared since 2.6.25. Absent means df-rf-tf.
   */
  handlerFlagsClear: z.enum(['df-rf-tf', 'tf']).optional(),
});

/** Design knobs. */
export type Knobs = z.infer<typeof knobsSchema>;

/**
 * What an optional knob means when a design leaves it out (each one's comment above says so;
 * the kernel reads it the same way). Mutation testing mutates an absent knob from this value, so
 * a check every preset has by default (espfix64) is removed like any other.
 */
export const OPTIONAL_KNOB_DEFAULTS: { readonly [K in keyof Knobs as undefined extends Knobs[K] ? K : never]-?: NonNullable<Knobs[K]> } = {
  kernelWatchpointSignal: true,
  espfix64: true,
  syscallNrInt: false,
  fastFaultExit: 'irq-exit' as const,
  handlerFlagsClear: 'df-rf-tf' as const,
};

type OptionalKnob = keyof typeof OPTIONAL_KNOB_DEFAULTS;
/** An optional knob's value, its default when the design leaves it out: the one place absence is read. */
export const knobOf = <K extends OptionalKnob>(k: Knobs, name: K): (typeof OPTIONAL_KNOB_DEFAULTS)[K] =>
  (k[name] ?? OPTIONAL_KNOB_DEFAULTS[name]) as (typeof OPTIONAL_KNOB_DEFAULTS)[K];

/** What an eligibility predicate sees: the final pt_regs and the facts it may test. */
export interface ExitFacts {
  readonly regs: PtRegs;
  readonly paging: 4 | 5;
  readonly landingPad: bigint;
}

/** Predicates a patch may supply instead of the knob-built checks. */
export interface DesignOverrides {
  /** 64-bit: may this return use SYSRET? */
  readonly sysretEligible?: (f: ExitFacts) => boolean;
  /** Compat: may this return use SYSRETL/SYSEXIT? */
  readonly compatFastEligible?: (f: ExitFacts) => boolean;
}

/** A named design with the source it rests on. */
export interface Design {
  readonly name: string;
  /** Release, commit or mail the values come from. */
  readonly source: string;
  /** True when some values are reconstructed from the history rather than read in source. */
  readonly reconstructed: boolean;
  readonly knobs: Knobs;
  readonly overrides?: DesignOverrides;
}

/** A variant of `base` with some knobs changed (how tests write "that release with the fix reverted"). */
export function variant(base: Design, name: string, change: Partial<Knobs>, source = `${base.name} with ${Object.keys(change).join(', ')} changed`): Design {
  return { ...base, name, source, knobs: { ...base.knobs, ...change } };
}
