/**
 * Known differences between the model and Linux that co-simulation found and the model does not
 * express yet (src/model, src/kernel are another engineer's). Each is kept out of a default run
 * in one stated way, and `cosim --include-pending` turns every such measure off so the
 * differences show. docs/cosim.md ("Pending on the model") lists the same entries with the fix
 * each needs; a report counts the differences each comparison mask hid.
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

/** Every known gap. */
export const PENDING: readonly PendingGap[] = [
  {
    id: 'orig-rax-at-delivery',
    linux: 'signal delivery leaves orig_ax as it is; only restore_sigcontext sets it to -1 (arch/x86/kernel/signal_64.c): a tracer single-stepping into a handler sees the interrupted system call number',
    model: 'src/kernel/signals.ts doSignal writes orig_rax = -1 into pt_regs at delivery',
    avoided: 'mask: orig_rax at a single-step stop in the event that delivered a signal',
  },
  {
    id: 'strict-restore-ss',
    linux: 'a frame saved from 32-bit code lacks UC_STRICT_RESTORE_SS; rt_sigreturn to 64-bit code then replaces an unusable SS by __USER_DS (force_valid_ss, signal_64.c, v4.6 6c25da5ad55d)',
    model: 'src/kernel/signals.ts restoreSigcontext always restores SS | 3 (no uc_flags)',
    avoided: 'generation: no forged SS in a frame the kernel saved from 32-bit code',
  },
  {
    id: 'compat-rsp-upper-half',
    linux: 'entering 32-bit code by IRET leaves only ESP: the upper half of RSP reads back as 0 (observed on AMD)',
    model: 'keeps the 64-bit RSP in compatibility mode (src/isa iret)',
    avoided: 'generation: every way into 32-bit code loads a 32-bit RSP',
  },
  {
    id: 'vdso-pops-32-bit',
    linux: 'int80_landing_pad pops EBP, EDX, ECX as 32-bit values (vdso32/system_call.S): their upper halves become 0',
    model: 'src/model/user.ts restores the full 64-bit RCX, RDX, RBP it kept for the call',
    avoided: 'generation: RCX, RDX, RBP hold 32-bit values when 32-bit code is entered',
  },
  {
    id: 'sysretl-r12-r15',
    linux: 'entry_SYSCALL_compat/SYSENTER clear R12-R15 (PUSH_AND_CLEAR_REGS) and sysret32_from_system_call does not reload R8-R15: after SYSRETL R12-R15 are 0',
    model: 'src/kernel/exit-paths.ts SYSRETL path keeps R12-R15 (only R8-R10 zeroed)',
    avoided: 'generation: R8-R15 are 0 when 32-bit code is entered',
  },
  {
    id: 'ia32-sigreturn-r8-r15',
    linux: 'the 32-bit rt_sigreturn restores only the ia32 registers; pt_regs R8-R15 stay (ia32_restore_sigcontext, arch/x86/ia32/ia32_signal.c)',
    model: 'src/kernel/syscalls.ts rt_sigreturn restores R8-R15 from its frame record, whose defaults are the registers at the int $0x80',
    avoided: 'generation: no tracer write to R8-R15 at the entry stop of a 32-bit rt_sigreturn',
  },
  {
    id: 'restartblock-eintr',
    linux: 'handle_signal turns -ERESTART_RESTARTBLOCK into -EINTR like -ERESTARTNOHAND; without a handler the call restarts as restart_syscall (arch/x86/kernel/signal.c)',
    model: 'src/kernel/signals.ts restart() has no case for -516: RAX keeps it',
    avoided: 'generation: a tracer never writes -516 into RAX',
  },
  {
    id: 'fatal-signal-restart',
    linux: 'a fatal signal ends the process inside get_signal: no system call restart, the interrupted RIP stays',
    model: 'src/kernel/signals.ts applies the restart rule (RIP - 2) before it decides the signal is fatal, and reports that RIP',
    avoided: 'mask: the RIP of a fatal signal that is 2 below the real one',
  },
  {
    id: 'jump-non-canonical',
    linux: 'a near JMP to a non-canonical target raises #GP on the JMP itself (RIP at the jump; SDM Vol. 2 JMP, 64-bit mode exceptions; seen on AMD)',
    model: 'src/model/user.ts user.jump loads any target; the fault comes with the next event, at the target',
    avoided: 'generation: jump targets are canonical',
  },
  {
    id: 'kill-signal-int',
    linux: 'kill() takes its signal as an int: any value above 64 (or negative) is -EINVAL (kernel/signal.c, valid_signal)',
    model: 'src/kernel/syscalls.ts kill keeps only the low 8 bits of the signal argument',
    avoided: 'generation: no tracer write to kill\'s signal register (RSI, or ECX for the 32-bit call) at its entry stop',
  },
  {
    id: 'restart-rip-wrap',
    linux: 'registers are 64 bits: restarting a system call at RIP 0 gives RIP 2^64 - 2',
    model: 'src/kernel/signals.ts restart() computes regs.rip - 2 without wrapping (a negative bigint in the state)',
    avoided: 'none needed: co-simulation reads every model value modulo 2^64 (record.ts), as the hardware holds it',
  },
  {
    id: 'sysenter64-ebp',
    linux: 'SYSENTER from 64-bit code (Intel) is a 32-bit fast system call whose EBP comes from the stack at ESP (__do_fast_syscall_32); when that read fails the call returns by IRET, with -EFAULT',
    model: 'src/kernel/entry-compat.ts neither loads EBP from the stack nor leaves the -EFAULT return to IRET (its compat checks pick SYSRETL)',
    avoided: 'generation: SYSENTER from 64-bit code only where it is #UD (AMD); calls through the vDSO, which pushes EBP itself, are generated',
  },
];

/** The ids, for lookups. */
export type PendingId = (typeof PENDING)[number]['id'];
