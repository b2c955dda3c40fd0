/**
 * What co-simulation compares: per trace event, one record from the model and one from the
 * real CPU and kernel (the native harness), in the same shape. docs/cosim.md explains each
 * field and the comparison rules.
 */
import { USER_REGS } from '../model/index.ts';

/** Register order of {@link EventRecord.regs}: the 16 GPRs, then rip, rflags, cs, ss. */
export const REG_NAMES = [...USER_REGS, 'rip', 'rflags', 'cs', 'ss'] as const;
/** One of {@link REG_NAMES}. */
export type RegName = (typeof REG_NAMES)[number];

/** RSP, RSI (&siginfo) and RDX (&ucontext) at the entry of a signal handler. */
export interface FrameRegs {
  readonly rsp: bigint;
  readonly rsi: bigint;
  readonly rdx: bigint;
}

/**
 * Fields of a signal frame, in the harness's order (native/harness.h SC_*): uc_flags, the
 * sigcontext (struct sigcontext_64; eflags named rflags here) and uc_sigmask.
 */
export const CTX_NAMES = [
  'uc_flags', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15', 'rdi', 'rsi', 'rbp', 'rbx', 'rdx', 'rax', 'rcx',
  'rsp', 'rip', 'rflags', 'cs', 'gs', 'fs', 'ss', 'err', 'trapno', 'oldmask', 'cr2', 'sigmask',
] as const;
/** One of {@link CTX_NAMES}. */
export type CtxName = (typeof CTX_NAMES)[number];

/** A signal that reached its handler (fatal = false) or killed the process (fatal = true). */
export interface SigRecord {
  readonly signo: number;
  readonly code: number;
  readonly addr: bigint;
  /** RIP of the interrupted user context (what the handler's ucontext holds). */
  readonly rip: bigint;
  readonly fatal: boolean;
  /** Where the frame went (delivered signals only). */
  readonly frame?: FrameRegs;
  /** What the frame holds: each side gives the fields it knows (the model: the saved registers). */
  readonly ctx?: Partial<Record<CtxName, bigint>>;
}

/**
 * Registers beyond {@link REG_NAMES}, each compared where both sides give it: orig_rax (in a
 * ptrace stop), FS/GS base and the data selectors (native/output.c "x2" order).
 */
export const EXTRA_NAMES = ['orig_rax', 'fs_base', 'gs_base', 'ds', 'es', 'fs', 'gs'] as const;
/** One of {@link EXTRA_NAMES}. */
export type ExtraName = (typeof EXTRA_NAMES)[number];

/**
 * Where the process is after an event: at a user instruction boundary, stopped for the
 * tracer, dead, or (model only) the kernel halted (an oops, a hang).
 */
export type SideState = 'boundary' | 'stopped' | 'dead' | 'halted';

/** What one event did on one side. */
export interface EventRecord {
  readonly skipped: boolean;
  readonly state: SideState;
  /** The ptrace stop kind when stopped. */
  readonly stop?: string;
  readonly signals: readonly SigRecord[];
  /** RIPs of single-step traps reported to the tracer. */
  readonly traps: readonly bigint[];
  /** User registers at the boundary, or pt_regs when stopped ({@link REG_NAMES} order). */
  readonly regs?: readonly bigint[];
  /** A remark of the side that produced it (an emulated abstraction, a kernel failure). */
  readonly note?: string;
  /** More registers, where this side gives them. */
  readonly extra?: Partial<Record<ExtraName, bigint>>;
  /** Real side: RF at this boundary was probed by an execute breakpoint (rflags holds it). */
  readonly rfProbe?: boolean;
  /**
   * Real side: the child is held in its stop before a return to user mode whose RIP it cannot
   * fetch (native/settle.c), so regs are pt_regs and the return has not run: rule "held return".
   */
  readonly held?: boolean;
  /**
   * Model side: a call through the 32-bit vDSO is in progress (the model does not make the
   * vDSO's pushes; rbp is the caller's EBP it keeps aside): rule "vDSO call" in compare.ts.
   */
  readonly vdsoCall?: { readonly rbp: bigint };
  /** Model side: the instructions that returned to user mode during the event (statistics). */
  readonly exits?: readonly string[];
}

/** One side's run of a whole trace. */
export interface SideRun {
  /**
   * ok; hang (time limit); error (the harness could not set up the trace); crash (the harness
   * died); refused (the child made a system call outside the subset, which its seccomp guard
   * stopped before it ran: native/guard.c).
   */
  readonly status: 'ok' | 'hang' | 'error' | 'crash' | 'refused';
  readonly detail: string;
  /** The real process id (the model's task 1 is pid 1). */
  readonly pid?: number;
  readonly records: readonly EventRecord[];
}
