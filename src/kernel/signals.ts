/**
 * Sending signals (send_signal, force_sig), the system call restart rules of a delivery, and
 * rt_sigreturn's restore_sigcontext (64-bit and ia32). Delivery itself is signal-delivery.ts.
 *
 * Kernel guarantees: an ignored signal is dropped when sent (unless the task is traced: "tracers
 * may want to know about even ignored signals", kernel/signal.c sig_ignored), a blocked one stays
 * pending without waking the task; a forced signal cannot stay blocked or ignored; an
 * interrupted restartable system call is restarted (regs->ax = orig_ax, regs->ip -= 2) so that
 * IP - 2 is the system call instruction again (linux-entry-history 2.3); rt_sigreturn restores
 * only what a sigcontext may set (FIX_EFLAGS; CS/SS with RPL 3; an unusable SS replaced for a
 * 64-bit frame without UC_STRICT_RESTORE_SS).
 */
import { lookupDescriptor, rf, USER_CS, USER_DS, type DescriptorTables } from '../isa/index.ts';
import {
  copySig, PT_COMPLETE, SA, SIG, SIG_DFL, SIG_IGN, sigBit, TIF, type Machine, type PtRegs, type SavedContext, type SigAction, type Task,
} from '../model/index.ts';
import { EINTR, errno } from './ctx.ts';
import { patchTask, tif } from './ops.ts';

export const ERESTARTSYS = errno(512);
export const ERESTARTNOINTR = errno(513);
export const ERESTARTNOHAND = errno(514);
export const ERESTART_RESTARTBLOCK = errno(516);

/** -1 in orig_ax: "not in a system call" (syscall_get_nr). */
export const NO_SYSCALL = (1n << 64n) - 1n;

/** Signals whose default action is to do nothing (sig_kernel_ignore: SIGCHLD, SIGCONT, SIGURG, SIGWINCH). */
export const DEFAULT_IGNORED: ReadonlySet<number> = new Set([17, 18, 23, 28]);

/**
 * The lowest signal (bit 1 and up) in a non-empty set: the first `s` from 1 with sigBit(s) set,
 * found 32 bits at a time (testing one bit per signal cost three BigInt operations each).
 */
export function lowestSignal(set: bigint): number {
  let s = 1;
  let rest = set >> 1n;
  for (;;) {
    const lo = Number(BigInt.asUintN(32, rest));
    if (lo !== 0) return s + 31 - Math.clz32(lo & -lo);
    rest >>= 32n;
    s += 32;
  }
}

/** A copy of a per-signal table without `sig`'s entry (what `{ [sig]: _, ...rest }` gives). */
export function withoutSignal<T>(table: Readonly<Record<number, T>>, sig: number): Record<number, T> {
  const out: Record<number, T> = {};
  const key = String(sig);
  for (const k in table) if (k !== key) out[k as unknown as number] = table[k as unknown as number] as T;
  return out;
}

/** A copy of a per-signal table with `sig`'s entry set (what `{ ...table, [sig]: v }` gives). */
export function withSignal<T>(table: Readonly<Record<number, T>>, sig: number, v: T): Record<number, T> {
  const out: Record<number, T> = { ...table };
  out[sig] = v;
  return out;
}

/** The action of `sig` for task `t` (SIG_DFL when none is installed). */
export function actionOf(t: Task, sig: number): SigAction {
  return t.sig.actions[sig] ?? { handler: SIG_DFL, flags: 0n, mask: 0n, ia32: false };
}

/** sig_handler_ignored: SIG_IGN, or SIG_DFL of a signal whose default is to do nothing. */
export function handlerIgnores(a: SigAction, sig: number): boolean {
  return a.handler === SIG_IGN || (a.handler === SIG_DFL && DEFAULT_IGNORED.has(sig));
}

/** recalc_sigpending: TIF_SIGPENDING exactly when an unblocked signal is pending. */
export function recalcSigpending(w: Machine, id: number): void {
  const t = w.k.tasks[id] as Task;
  if ((t.sig.pending & ~t.sig.blocked) !== 0n) tif(w, TIF.SIGPENDING, 0, id);
  else tif(w, 0, TIF.SIGPENDING, id);
}

/**
 * Queues signal `sig` for task `id` with its siginfo: dropped if ignored and untraced; pending
 * but asleep if blocked; otherwise TIF_SIGPENDING and an interruptible sleep is woken
 * (kernel/signal.c send_signal, complete_signal, signal_wake_up).
 */
export function sendSig(w: Machine, id: number, sig: number, code: number, addr: bigint, fault = false): void {
  const t = w.k.tasks[id] as Task;
  const bit = sigBit(sig);
  if (sig !== SIG.SIGKILL && handlerIgnores(actionOf(t, sig), sig) && !t.ptrace.attached) return;
  const info = fault ? { code, addr, fault: true as const } : { code, addr };
  const s = copySig(t.sig);
  s.pending = t.sig.pending | bit;
  s.info = withSignal(t.sig.info, sig, info);
  patchTask(w, { sig: s }, id);
  if (sig !== SIG.SIGKILL && (t.sig.blocked & bit) !== 0n) return;
  tif(w, TIF.SIGPENDING, 0, id);
  if (t.mode === 'blocked') {
    patchTask(w, { mode: 'kernel', wait: null }, id);
    if (!w.k.runq.includes(id)) w.kW().runq = [...w.k.runq, id];
    tif(w, TIF.NEED_RESCHED);
  }
}

/**
 * force_sig_fault / force_sig_info_to_task: the signal cannot stay blocked or ignored; if it is
 * either, it is unblocked and its action reset to SIG_DFL, then it is sent.
 */
export function forceSig(w: Machine, sig: number, code: number, addr: bigint, id = w.k.current, fault = false): void {
  const t = w.k.tasks[id] as Task;
  const bit = sigBit(sig);
  const blocked = (t.sig.blocked & bit) !== 0n;
  if (blocked || actionOf(t, sig).handler === SIG_IGN) {
    const { [sig]: _reset, ...actions } = t.sig.actions;
    patchTask(w, { sig: { ...t.sig, blocked: t.sig.blocked & ~bit, actions } }, id);
  }
  sendSig(w, id, sig, code, addr, fault);
}

/**
 * A fault handler's signal (do_trap, gp_user_force_sig_segv, send_sigtrap, set_signal_archinfo):
 * thread.{trap_nr, error_code} (and cr2 for #PF) are recorded for the frame, then the signal is
 * forced.
 */
export function faultSignal(w: Machine, trap: { nr: number; error: bigint; cr2?: bigint }, sig: number, code: number, addr: bigint): void {
  const t = w.k.tasks[w.k.current] as Task;
  patchTask(w, { trapInfo: { trapNr: trap.nr, error: trap.error, cr2: trap.cr2 ?? t.trapInfo.cr2 } });
  forceSig(w, sig, code, addr, w.k.current, true);
}

/**
 * The restart rules (arch/x86/kernel/signal.c): handle_signal's for a delivery to a handler
 * (`handled`, with its sa_flags), arch_do_signal_or_restart's when no handler runs. RAX is
 * compared as syscall_get_error does: sign-extended from 32 bits while TS_COMPAT is set. RIP
 * arithmetic is modulo 2^64 (pending gap restart-rip-wrap).
 */
export function restart(regs: PtRegs, handled: boolean, flags: bigint, compat: boolean): Partial<PtRegs> {
  const ax = compat ? BigInt.asUintN(64, BigInt.asIntN(32, regs.rax)) : regs.rax;
  const back = { rax: regs.orig_rax, rip: BigInt.asUintN(64, regs.rip - 2n) };
  if (handled) {
    if (ax === ERESTART_RESTARTBLOCK || ax === ERESTARTNOHAND) return { rax: EINTR };
    if (ax === ERESTARTSYS) return (flags & SA.RESTART) !== 0n ? back : { rax: EINTR };
    return ax === ERESTARTNOINTR ? back : {};
  }
  if (ax === ERESTARTNOHAND || ax === ERESTARTSYS || ax === ERESTARTNOINTR) return back;
  // get_nr_restart_syscall: __NR_restart_syscall, or the ia32 one (0) for a 32-bit call.
  if (ax === ERESTART_RESTARTBLOCK) return { rax: compat ? 0n : 219n, rip: back.rip };
  return {};
}

/** FIX_EFLAGS: the flags a signal frame may set (arch/x86/kernel/signal.c). */
export const FIX_EFLAGS = rf.AC | rf.OF | rf.DF | rf.TF | rf.SF | rf.ZF | rf.AF | rf.PF | rf.CF | rf.RF;

/** uc_flags bits (arch/x86/include/uapi/asm/ucontext.h). */
export const UC = { FP_XSTATE: 1n, SIGCONTEXT_SS: 2n, STRICT_RESTORE_SS: 4n } as const;

/**
 * force_valid_ss (signal_64.c): an SS that LAR does not accept as a present DPL 3 writable data
 * segment becomes __USER_DS.
 */
function validSs(tables: DescriptorTables, ss: bigint): boolean {
  const sel = Number(ss & 0xffffn);
  if ((sel & 0xfffc) === 0) return false;
  const d = lookupDescriptor(tables, sel);
  return d !== undefined && d.type === 'data' && d.present && d.dpl === 3 && d.writable !== false;
}

/**
 * restore_sigcontext (64-bit frame): the new pt_regs from a (possibly forged) frame. Without
 * UC_STRICT_RESTORE_SS, a return to 64-bit code (CS == __USER_CS: user_64bit_mode) gets a valid
 * SS (force_valid_ss, 6c25da5ad55d, for DOSEMU and CRIU).
 */
export function restoreSigcontext(cur0: PtRegs, f: SavedContext, tables: DescriptorTables): PtRegs {
  const cs = f.cs | 3n;
  let ss = f.ss | 3n;
  if ((f.ucFlags & UC.STRICT_RESTORE_SS) === 0n && cs === BigInt(USER_CS) && !validSs(tables, ss)) ss = BigInt(USER_DS);
  const regs: Record<string, bigint> = {};
  for (const k of Object.keys(cur0)) regs[k] = f[k as keyof PtRegs];
  return { ...(regs as PtRegs), rflags: (cur0.rflags & ~FIX_EFLAGS) | (f.rflags & FIX_EFLAGS), cs, ss, orig_rax: NO_SYSCALL };
}

/** The registers an ia32 sigcontext holds (ia32_restore_sigcontext: "Get only the ia32 registers"). */
const IA32_REGS = ['rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'rax', 'rsp', 'rip'] as const;

/**
 * ia32_restore_sigcontext (arch/x86/kernel/signal_32.c): the 32-bit rt_sigreturn loads only the
 * ia32 registers (32 bits each, zero-extended); R8-R15 keep what pt_regs held (pending gap
 * ia32-sigreturn-r8-r15). No force_valid_ss for an ia32 frame.
 */
export function restoreIa32Sigcontext(cur0: PtRegs, f: SavedContext): PtRegs {
  const regs: Record<string, bigint> = { ...cur0 };
  for (const r of IA32_REGS) regs[r] = f[r] & 0xffff_ffffn;
  return { ...(regs as PtRegs), rflags: (cur0.rflags & ~FIX_EFLAGS) | (f.rflags & FIX_EFLAGS), cs: (f.cs & 0xffffn) | 3n, ss: (f.ss & 0xffffn) | 3n, orig_rax: NO_SYSCALL };
}

/** Every pt_regs field is written after a full restore. */
export const ALL_WRITTEN = PT_COMPLETE;
