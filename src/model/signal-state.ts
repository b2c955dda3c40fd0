/**
 * A task's signal state: installed actions (sigaction), the pending and blocked sets, the
 * alternate stack, what the last user fault recorded for the frame (thread.trap_nr, error_code,
 * cr2), and the signal frames the kernel wrote (as records: user memory is abstract).
 */
import type { PtRegs } from './state.ts';

/**
 * A signal frame on the user stack: the user state at delivery (the sigcontext's registers, as a
 * pt_regs) and what the frame holds besides (arch/x86/kernel/signal_64.c setup_sigcontext,
 * frame_uc_flags; ia32_setup_rt_frame in signal_32.c).
 */
export interface SavedContext extends PtRegs {
  /** uc_flags: UC_FP_XSTATE 1, UC_SIGCONTEXT_SS 2, UC_STRICT_RESTORE_SS 4. */
  readonly ucFlags: bigint;
  /** sigcontext err, trapno and cr2: the task's thread.{error_code, trap_nr, cr2} at delivery. */
  readonly err: bigint;
  readonly trapno: bigint;
  readonly cr2: bigint;
  /** uc_sigmask (and oldmask): the blocked set before delivery, bit n = signal n. */
  readonly mask: bigint;
  /** An ia32 frame (struct rt_sigframe_ia32), restored by the 32-bit rt_sigreturn. */
  readonly ia32: boolean;
}

/** The extra fields of a frame, with the values a frame the model has to invent gets. */
export const NO_FRAME_EXTRA = { ucFlags: 0n, err: 0n, trapno: 0n, cr2: 0n, mask: 0n, ia32: false } as const;

/** sigaction flags (include/uapi/asm-generic/signal-defs.h, arch/x86/include/uapi/asm/signal.h). */
export const SA = {
  SIGINFO: 4n, ONSTACK: 0x0800_0000n, RESTART: 0x1000_0000n, NODEFER: 0x4000_0000n, RESETHAND: 0x8000_0000n,
} as const;
/** sa_handler values that are not addresses. */
export const SIG_DFL = 0n;
export const SIG_IGN = 1n;

/** One installed sigaction (absent: SIG_DFL with no flags). */
export interface SigAction {
  readonly handler: bigint;
  readonly flags: bigint;
  /** sa_mask: signals blocked while the handler runs, bit n = signal n. */
  readonly mask: bigint;
  /** Installed by a 32-bit system call (SA_IA32_ABI): the handler gets an ia32 frame. */
  readonly ia32: boolean;
}

/** A task's alternate signal stack (sigaltstack). */
export interface AltStack {
  readonly sp: bigint;
  readonly size: bigint;
  /** ss_flags as given (SS_AUTODISARM is bit 31). */
  readonly flags: bigint;
}

/** Signal state of a task: sets of signal numbers 1..64 (bit n = signal n). */
export interface SignalState {
  readonly pending: bigint;
  readonly blocked: bigint;
  /** Installed actions by signal number; a missing one is SIG_DFL. */
  readonly actions: Readonly<Record<number, SigAction>>;
  /**
   * si_code and si_addr of each pending signal, and whether a fault handler raised it (it then
   * recorded thread.trap_nr and error_code for the frame; a kill() signal's frame shows stale ones).
   */
  readonly info: Readonly<Record<number, { readonly code: number; readonly addr: bigint; readonly fault?: true }>>;
  readonly altstack: AltStack | null;
}

/** Bit of signal `n` in a signal set. */
export const sigBit = (n: number): bigint => 1n << BigInt(n);

/** thread.{trap_nr, error_code, cr2}: what the last user fault told the kernel (arch/x86/include/asm/processor.h). */
export interface TrapInfo {
  readonly trapNr: number;
  readonly error: bigint;
  readonly cr2: bigint;
}

/**
 * The structure a pointer argument of the system call in progress points at, as user code wrote
 * it (the model keeps user memory abstract, so an event carries it): rt_sigaction's act,
 * sigaltstack's ss.
 */
export type UserStruct =
  | { readonly kind: 'sigaction'; readonly handler: bigint; readonly flags: bigint; readonly mask: bigint }
  | { readonly kind: 'stack'; readonly sp: bigint; readonly size: bigint; readonly flags: bigint };
