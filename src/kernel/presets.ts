/**
 * The preset designs. Values come from reference/linux-entry-history.md (section numbers and
 * source keys S1-S35 cited per knob where they differ from the base); `reconstructed` marks a
 * preset some of whose values are inferred from the history rather than read in its source.
 */
import { LINUX_FMASK, LINUX_FMASK_V38 } from '../isa/index.ts';
import { variant, type Design, type Knobs } from './design.ts';

/** linux-6.7: the current design (S6, S9, S12, S22, S23, S28). */
const linux67: Knobs = {
  sysretWhere: 'syscalls',
  sysretChecks: { rcxEqualsRip: true, r11EqualsFlags: true, rip: 'below-task-size-max', rfClear: true, tfClear: true, csIsUserCs: true, ssIsUserDs: true },
  compatFastReturn: 'checks',
  compatChecks: { csIsUser32Cs: true, ssIsUserDs: true, ipIsLandingPad: true, rfTfClear: true, vmClear: true },
  sysenterReturn: 'sysretl',
  forceIretAfterPtraceStop: false,
  forceIretAfterRegsWrite: false,
  fastSyscallFlag: 'off',
  fmask: LINUX_FMASK,
  syscallIrqEnable: 'c-after-entry-work',
  switchToSavesScratch: false,
  irqEntryFixup: false,
  pfGate: 'interrupt',
  cr2Read: 'first',
  cr2Keep: 'callee-saved',
  faultingInstrumentation: true,
  nmiSavesCr2: true,
  nmiReadsUserMemory: true,
  irqSavesCr2: false,
  exitWork: 'loop-irqs-off',
  rseq: 'exit-to-user',
  singleStepReport: true,
  ist: { db: true, nmi: true, bp: false, mc: true, df: true, ss: false },
  dbShiftIst: false,
  nestedNmi: 'rsp-and-df',
  nmiFromUser: 'thread-stack',
  amdSsWorkaround: true,
  retFromFork: 'full',
  badIret: 'fixup',
  paranoidGs: 'save-restore',
  fsgsbase: true,
  sysenterCallBeforeTfClear: false,
  guardPage: true,
  preemptKernel: true,
  kernelWatchpointSignal: false,
  syscallNrInt: true,
};

/** linux-5.8: CR2 read first in noinstr C (91eeafea1e4b); pre-FSGSBASE paranoid GS test (S4). */
const linux58: Knobs = {
  ...linux67,
  sysretChecks: { ...linux67.sysretChecks, rip: 'canonical' },
  fmask: LINUX_FMASK_V38,
  paranoidGs: 'msr-sign',
  fsgsbase: false,
  kernelWatchpointSignal: true,
  syscallNrInt: false,
};

/**
 * linux-4.16: SYSCALL fast path removed (21d375b6b34f); CR2 read in C after tracing (S21);
 * force_iret() after ptrace stops still present (its removal was discussed in 2019, S32).
 */
const linux416: Knobs = {
  ...linux58,
  forceIretAfterPtraceStop: true,
  cr2Read: 'after-instrumentation',
  rseq: 'none',
  ist: { ...linux58.ist, bp: true },
  dbShiftIst: true,
};

/** linux-4.1: opportunistic SYSRET on syscalls only (fffbb5dc), top-17-bits test, IRQs on after rsp_scratch (S3). */
const linux41: Knobs = {
  ...linux416,
  sysretChecks: { ...linux416.sysretChecks, rip: 'top-17-bits-zero' },
  syscallIrqEnable: 'asm-after-scratch',
  compatFastReturn: 'fast-path-only',
  sysenterReturn: 'sysexit',
  nestedNmi: 'rsp',
  nmiFromUser: 'ist',
  preemptKernel: true,
  fastFaultExit: 'syscall-exit',
};

/** linux-3.19: SYSRET only on the untouched fast path; IRET whenever regs may have changed (S2, S3). */
const linux319: Knobs = {
  ...linux41,
  sysretWhere: 'fast-path-only',
  forceIretAfterPtraceStop: true,
  syscallIrqEnable: 'asm-before-scratch',
  switchToSavesScratch: true,
  compatFastReturn: 'fast-path-only',
  compatChecks: { csIsUser32Cs: false, ssIsUserDs: false, ipIsLandingPad: false, rfTfClear: false, vmClear: false },
  amdSsWorkaround: false,
  retFromFork: 'sysret-fast-path',
};

/** Presets by name. */
export const PRESETS: readonly Design[] = [
  { name: 'linux-3.19', source: 'Linux v3.19 arch/x86/kernel/entry_64.S (S2); ret_from_fork fast path before 956421fbb74c (3.19.2); force_iret() after ptrace_stop (3.15.4)', reconstructed: true, knobs: linux319 },
  {
    name: 'opportunistic-sysret-2015',
    source: 'commit 2a23c6b8 "x86_64, entry: Use sysret to return to userspace when possible" as its message describes it: RIP==RCX, RFLAGS==R11, RIP canonical, RF clear, CS and SS as expected, on every return to user (linux-entry-history 1.1)',
    reconstructed: true,
    knobs: { ...linux319, sysretWhere: 'all-returns', retFromFork: 'full', sysretChecks: { rcxEqualsRip: true, r11EqualsFlags: true, rip: 'top-17-bits-zero', rfClear: true, tfClear: false, csIsUserCs: true, ssIsUserDs: true } },
  },
  { name: 'linux-4.1', source: 'Linux v4.1 arch/x86/kernel/entry_64.S (S3, akuster/linux-yocto-4.1@a186fc82)', reconstructed: true, knobs: linux41 },
  { name: 'linux-4.16', source: 'Linux v4.16: C do_syscall_64 (S5), 21d375b6b34f; #BP on the DEBUG IST until d8ba61ba58c8 (4.17)', reconstructed: true, knobs: linux416 },
  { name: 'linux-5.8', source: 'Linux v5.8: IDTENTRY rework, CR2 read first in exc_page_fault (91eeafea1e4b, S22)', reconstructed: true, knobs: linux58 },
  { name: 'linux-6.7', source: 'Linux v6.7: SYSRET checks in C with TASK_SIZE_MAX (ca282b486a57, 58978b44df72; S6, S12); FSGSBASE paranoid entry (c82965f9e530)', reconstructed: false, knobs: linux67 },
];

const base = PRESETS.find((p) => p.name === 'linux-6.7') as Design;
const proposal = (name: string, source: string, change: Partial<Knobs>): Design => ({ ...variant(base, name, change, source), reconstructed: true });

/** The designs proposed in the mails the project started from (each on a linux-6.7 base). */
export const PROPOSALS: readonly Design[] = [
  proposal('irqs-on-syscall-entry', 'proposal: SYSCALL leaves IF set (FMASK without IF); the IRQ entry fixes up partial SYSCALL entries like the NMI code does', { fmask: LINUX_FMASK & ~0x200n, irqEntryFixup: true }),
  proposal('pf-trap-gate', 'proposal: #PF through a trap gate, CR2 saved first; interrupting contexts fix up the saved CR2', { pfGate: 'trap', cr2Read: 'first', irqSavesCr2: true }),
  proposal('ts-fastsyscall', 'proposal: a TS_FASTSYSCALL flag set by the SYSCALL entry; every register writer clears it; the exit skips the SYSRET checks while it is set', { fastSyscallFlag: 'all-writers-clear' }),
  proposal('ts-fastsyscall-ptrace-forgets', 'the ts-fastsyscall proposal with one register writer (ptrace SETREGS) that forgets to clear the flag', { fastSyscallFlag: 'ptrace-forgets' }),
  proposal('rseq-in-scheduler', 'proposal: rseq fix-up of user state from the scheduler', { rseq: 'scheduler' }),
  proposal('rseq-at-exit', 'proposal: rseq fix-up in prepare_exit_to_usermode (what Linux merged, 4.18)', { rseq: 'exit-to-user' }),
  proposal('compat-fast-sysret-2015', '2015 compat rewrite (710246df5804): 32-bit SYSENTER/SYSCALL made to look like int $0x80 (IP = vDSO landing pad), opportunistic SYSRETL/SYSEXIT with the 2015 checks (S5)', { compatChecks: { csIsUser32Cs: true, ssIsUserDs: true, ipIsLandingPad: true, rfTfClear: true, vmClear: false } }),
];

/** Every built-in design. */
export const DESIGNS: readonly Design[] = [...PRESETS, ...PROPOSALS];

/** A built-in design by name, or undefined. */
export function findDesign(name: string): Design | undefined {
  return DESIGNS.find((d) => d.name === name);
}
