/**
 * Known differences between the model and Linux that co-simulation found and the model does not
 * express yet. Each is kept out of a default run in one stated way (a generation limit or a
 * comparison mask in compare.ts), and `cosim --include-pending` turns every such measure off so
 * the differences show. docs/cosim.md ("Pending on the model") lists the same entries.
 *
 * Every gap found so far is fixed in the model: PENDING is empty, and FIXED records where each
 * fix is and the test that pins it (test/cosim/gaps-closed.test.ts).
 */

/** One known model gap. */
export interface PendingGap {
  readonly id: string;
  /** What Linux or the CPU does, with the source. */
  readonly linux: string;
  /** What the model does instead, and where it would change. */
  readonly model: string;
  /** How a default run keeps it out: a generation limit or a comparison mask. */
  readonly avoided: string;
}

/** Every known gap that is still open. */
export const PENDING: readonly PendingGap[] = [];

/** The ids, for lookups. */
export type PendingId = (typeof PENDING)[number]['id'];

/** A gap co-simulation found that the model now expresses. */
export interface FixedGap {
  readonly id: string;
  /** What Linux or the CPU does (the fix follows it). */
  readonly linux: string;
  /** Where the model does it now. */
  readonly fix: string;
}

/** The gaps closed in the model, with where (their tests are in test/cosim/gaps-closed.test.ts). */
export const FIXED: readonly FixedGap[] = [
  { id: 'orig-rax-at-delivery', linux: 'signal delivery leaves orig_ax; only restore_sigcontext sets it to -1 (signal_64.c)', fix: 'src/kernel/signal-delivery.ts' },
  { id: 'fatal-signal-restart', linux: 'a fatal signal ends the task in get_signal: no restart, the RIP stays', fix: 'src/kernel/signal-delivery.ts' },
  { id: 'strict-restore-ss', linux: 'uc_flags (UC_SIGCONTEXT_SS, UC_STRICT_RESTORE_SS from 64-bit code); without STRICT a return to 64-bit code gets a valid SS (force_valid_ss)', fix: 'src/kernel/signals.ts restoreSigcontext, signal-delivery.ts ucFlags' },
  { id: 'compat-rsp-upper-half', linux: 'IRET into compatibility mode loads only ESP (upper half 0)', fix: 'src/isa/iret.ts iretRsp' },
  { id: 'vdso-pops-32-bit', linux: 'the landing pad pops 32-bit EBP, EDX, ECX', fix: 'src/model/user-stack.ts epilogue' },
  { id: 'sysretl-r12-r15', linux: 'after SYSRETL R12-R15 are 0 (cleared at entry, not reloaded)', fix: 'src/kernel/exit-paths.ts sysretl_exit' },
  { id: 'ia32-sigreturn-r8-r15', linux: 'the 32-bit rt_sigreturn restores only the ia32 registers', fix: 'src/kernel/signals.ts restoreIa32Sigcontext' },
  { id: 'restartblock-eintr', linux: '-ERESTART_RESTARTBLOCK: -EINTR with a handler, restart_syscall without', fix: 'src/kernel/signals.ts restart' },
  { id: 'jump-non-canonical', linux: 'a JMP to a non-canonical target #GPs on the JMP', fix: 'src/isa/jump.ts jmpNear' },
  { id: 'kill-signal-int', linux: "kill's pid and signal are ints: a signal outside 0..64 is -EINVAL", fix: 'src/kernel/syscalls.ts kill' },
  { id: 'sysenter64-ebp', linux: 'SYSENTER: regs->sp = regs->bp, EBP (arg 6) from the stack at ESP, IRET with -EFAULT when that read fails', fix: 'src/kernel/entry-compat.ts, exit-choice.ts (iretOnly)' },
  { id: 'restart-rip-wrap', linux: 'registers are 64 bits: RIP 0 - 2 is 2^64 - 2', fix: 'src/kernel/signals.ts restart' },
];
