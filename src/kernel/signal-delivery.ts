/**
 * Signal delivery (arch_do_signal_or_restart: get_signal, handle_signal, setup_rt_frame),
 * called from the exit-to-user loop with IRQs on.
 *
 * Kernel guarantees: ignored signals are discarded; a signal without a handler either does
 * nothing (SIGCHLD & co) or ends the task inside get_signal, before any restart (pending gap
 * fatal-signal-restart); a handler starts with a frame on the user stack (or the alternate one,
 * SA_ONSTACK) holding the complete user state and uc_flags, err, trapno, cr2 and the old mask;
 * RIP at the handler, TF/DF/RF cleared, orig_ax left as it was (only sigreturn sets it to -1:
 * pending gap orig-rax-at-delivery); a frame that cannot be written becomes SIGSEGV
 * (force_sigsegv).
 */
import { rf, USER_CS, USER32_CS, USER_DS } from '../isa/index.ts';
import {
  accessFault, copyPt, copySig, pageOf, SA, savedContext, SI, SIG, sigBit, TIF, type Machine, type MachineState, type PtRegs, type SavedContext, type Task,
} from '../model/index.ts';
import type { Ctx } from './ctx.ts';
import { knobOf } from './design.ts';
import { call, cur, patchTask, ret, tif, writePt } from './ops.ts';
import { ptRead } from './observe.ts';
import { step, type Program } from './program.ts';
import { regsWritten } from './regs-writers.ts';
import { actionOf, forceSig, handlerIgnores, lowestSignal, NO_SYSCALL, restart, UC, withoutSignal } from './signals.ts';

/** A pending signal's siginfo as the model keeps it. */
type SigInfo = Task['sig']['info'][number];

/** Size of the modelled rt_sigframe (ucontext + siginfo + FP state, rounded; no XSAVE area). */
export const FRAME_SIZE = 0x440n;
/** SS_AUTODISARM (include/uapi/linux/signal.h). */
const SS_AUTODISARM = 1n << 31n;

/** on_sig_stack: `sp` lies in the task's alternate stack (include/linux/sched/signal.h). */
export function onSigStack(t: Task, sp: bigint): boolean {
  const a = t.sig.altstack;
  return a !== null && sp > a.sp && sp - a.sp <= a.size;
}

/** sizeof(struct rt_sigframe) on x86-64: pretcode, the ucontext (304), the siginfo (128). */
const RT_SIGFRAME = 440n;

/**
 * get_sigframe (arch/x86/kernel/signal.c): below the 128-byte red zone (64-bit), or at the top of
 * the alternate stack for SA_ONSTACK when not already on it; aligned as each ABI's function entry
 * expects. null when a frame on the alternate stack would not fit in it ("return an always-bogus
 * address instead so we will die with SIGSEGV"). With the machine's XSAVE size (`xstate`, a
 * 64-bit frame), Linux's layout: the XSAVE area 64-byte aligned below the red zone
 * (fpu__alloc_mathframe), the rt_sigframe under it; otherwise the model's own (FRAME_SIZE).
 * Returns the frame's address and how many bytes from there up the delivery writes.
 */
function frameAddress(t: Task, regs: PtRegs, onstack: boolean, ia32: boolean, xstate: bigint | undefined): { at: bigint; size: bigint } | null {
  const nested = onSigStack(t, regs.rsp);
  let sp = ia32 ? regs.rsp : regs.rsp - 128n;
  let entering = false;
  if (onstack && !onSigStack(t, sp) && t.sig.altstack !== null) {
    sp = t.sig.altstack.sp + t.sig.altstack.size;
    entering = true;
  }
  const top = sp;
  if (!ia32 && xstate !== undefined) sp = ((sp - xstate) & ~63n) - RT_SIGFRAME;
  else sp -= FRAME_SIZE;
  sp = ia32 ? ((sp + 4n) & ~15n) - 4n : (sp & ~15n) - 8n;
  sp = BigInt.asUintN(64, sp);
  if ((nested || entering) && !onSigStack(t, sp)) return null;
  return { at: sp, size: !ia32 && xstate !== undefined ? top - sp : FRAME_SIZE };
}

/** True when the frame at `addr` cannot be written (not mapped, or mapped read-only). */
function unwritable(m: MachineState, addr: bigint, size: bigint): boolean {
  for (const a of [addr, addr + size - 1n]) {
    if (accessFault(m.k, m.cpu.paging, a, 'write', false) !== null && pageOf(m.k, a) !== 'demand') return true;
  }
  return false;
}

/**
 * frame_uc_flags (signal_64.c): UC_FP_XSTATE (every CPU the model stands for has XSAVE) |
 * UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS when the signal came from 64-bit code; an ia32 frame
 * has only UC_FP_XSTATE (ia32_setup_rt_frame, signal_32.c).
 */
function ucFlags(regs: PtRegs, ia32: boolean): bigint {
  if (ia32) return UC.FP_XSTATE;
  return UC.FP_XSTATE | UC.SIGCONTEXT_SS | (regs.cs === BigInt(USER_CS) ? UC.STRICT_RESTORE_SS : 0n);
}

/** The signal observation of a delivery to a handler, with the saved frame. */
function delivered(t: Task, sig: number, info: SigInfo, frame: bigint, saved: SavedContext) {
  const ctx: Record<string, bigint> = {};
  for (const k in saved) {
    const v = saved[k as keyof SavedContext];
    if (typeof v === 'bigint') ctx[k] = v;
  }
  // Whether a fault handler raised it (so err and trapno are its own, not stale ones).
  if (info.fault) ctx.fault = 1n;
  return { kind: 'signal' as const, task: t.id, signal: sig, code: info.code, siAddr: info.addr, rip: saved.rip, fatal: false, frame, ctx };
}

/** do_signal, called from the exit-to-user loop with IRQs on. */
export function signalPrograms(c: Ctx): Program[] {
  const { T } = c;
  const die = (w: Machine): void => {
    patchTask(w, { mode: 'dead' });
    call(w, T.addr('schedule'), T.addr('do_exit.gone'));
  };
  const doSignal = step('get_signal; handle_signal or the default action', (w, x) => {
    ptRead(w, 'signal delivery');
    let t = cur(w);
    // syscall_get_nr(regs) != -1: the interrupted code was in a system call.
    const inSyscall = t.regs.orig_rax !== NO_SYSCALL;
    // get_signal's loop: ignored signals are dequeued and dropped.
    let sig = 0;
    let si: SigInfo = { code: SI.USER, addr: 0n };
    for (;;) {
      const deliverable = t.sig.pending & ~t.sig.blocked;
      if (deliverable === 0n) break;
      const s = lowestSignal(deliverable);
      const got = t.sig.info[s];
      const info = withoutSignal(t.sig.info, s);
      const ns = copySig(t.sig);
      ns.pending = t.sig.pending & ~sigBit(s);
      ns.info = info;
      patchTask(w, { sig: ns });
      t = cur(w);
      if (s === SIG.SIGKILL || !handlerIgnores(actionOf(t, s), s)) { sig = s; si = got ?? si; break; }
    }
    if ((t.sig.pending & ~t.sig.blocked) === 0n) tif(w, 0, TIF.SIGPENDING);
    if (sig === 0) {
      // No handler ran: restart a restartable call (arch_do_signal_or_restart).
      if (inSyscall) writePt(w, restart(t.regs, false, 0n, t.tsCompat));
      return;
    }
    const action = actionOf(t, sig);
    if (action.handler <= 1n || sig === SIG.SIGKILL) {
      // The default action ends the task inside get_signal: no restart, the RIP stays.
      w.emit({ kind: 'signal', task: t.id, signal: sig, code: si.code, siAddr: si.addr, rip: t.regs.rip, fatal: true });
      die(w);
      return;
    }
    deliverToHandler(c, w, t, sig, si, x.next);
  });
  return [
    { name: 'do_signal', items: [doSignal, step('ret', (w) => ret(w))] },
    { name: 'do_exit', items: [{ label: 'do_exit.gone' }, step('BUG: a dead task ran again', (w) => {
      w.halt({ kind: 'kernel-failure', what: 'bug', detail: 'a dead task was scheduled' });
    })] },
  ];
}

/** `actions` without signal `sig`'s entry (SA_RESETHAND). */
function without(actions: Task['sig']['actions'], sig: number): Task['sig']['actions'] {
  return withoutSignal(actions, sig);
}

/** handle_signal: restart fix-ups, the frame, the handler's registers, the blocked mask. */
function deliverToHandler(c: Ctx, w: Machine, t: Task, sig: number, info: SigInfo, next: bigint): void {
  const { T } = c;
  const action = actionOf(t, sig);
  const inSyscall = t.regs.orig_rax !== NO_SYSCALL;
  // handle_signal: a ptrace single-step is switched off first (user_disable_single_step, so
  // the frame holds no TF ptrace forced), and once the handler is set up the tracer is told
  // (signal_setup_done -> ptrace_notify(SIGTRAP)): a stop at the handler's first instruction.
  const stepping = t.ptrace.attached && (t.tif & TIF.SINGLESTEP) !== 0;
  const forcedTf = stepping && (t.tif & TIF.FORCED_TF) !== 0 ? rf.TF : 0n;
  const regs = copyPt(t.regs);
  if (inSyscall) Object.assign(regs, restart(t.regs, true, action.flags, t.tsCompat));
  regs.rflags &= ~forcedTf;
  const ia32 = action.ia32;
  const placed = frameAddress(t, regs, (action.flags & SA.ONSTACK) !== 0n, ia32, w.k.xstate);
  if (placed === null || unwritable(w, placed.at, placed.size)) {
    // force_sigsegv: SIGSEGV for another signal (delivered next), fatal for SIGSEGV itself.
    writePt(w, regs);
    if (sig === SIG.SIGSEGV) {
      w.emit({ kind: 'signal', task: t.id, signal: SIG.SIGSEGV, code: SI.KERNEL, siAddr: 0n, rip: regs.rip, fatal: true });
      patchTask(w, { mode: 'dead' });
      call(w, T.addr('schedule'), T.addr('do_exit.gone'));
      return;
    }
    forceSig(w, SIG.SIGSEGV, SI.KERNEL, 0n);
    return;
  }
  const frame = placed.at;
  const saved = savedContext(regs, ucFlags(regs, ia32), t.trapInfo.error, BigInt(t.trapInfo.trapNr), t.trapInfo.cr2, t.sig.blocked, ia32);
  w.emit(delivered(t, sig, info, frame, saved));
  if (accessFault(w.k, w.cpu.paging, frame, 'write', false) !== null) w.setPage(frame, 'data');
  const entering = (action.flags & SA.ONSTACK) !== 0n && t.sig.altstack !== null && !onSigStack(t, regs.rsp);
  const altstack = entering && t.sig.altstack !== null && (t.sig.altstack.flags & SS_AUTODISARM) !== 0n ? null : t.sig.altstack;
  // signal_delivered: block sa_mask and (without SA_NODEFER) the signal itself; SA_RESETHAND
  // (SA_ONESHOT) resets the action in get_signal.
  const blocked = t.sig.blocked | action.mask | ((action.flags & SA.NODEFER) !== 0n ? 0n : sigBit(sig));
  const actions = (action.flags & SA.RESETHAND) !== 0n ? without(t.sig.actions, sig) : t.sig.actions;
  const now = cur(w);
  const sigframes = { ...now.sigframes };
  sigframes[frame.toString(16)] = saved;
  const sig2 = copySig(now.sig);
  sig2.blocked = blocked;
  sig2.actions = actions;
  sig2.altstack = altstack;
  patchTask(w, { sigframes, sig: sig2 });
  // Handler arguments: 64-bit rdi = sig, rsi = &info, rdx = &uc (ax = 0); ia32_setup_rt_frame:
  // ax = sig, dx = &info, cx = &uc. (Written into a copy: no spread per delivery.)
  const h = copyPt(regs);
  h.rip = action.handler;
  h.rsp = frame;
  if (ia32) { h.rax = BigInt(sig); h.rdx = frame + 0x100n; h.rcx = frame + 0x200n; } else { h.rdi = BigInt(sig); h.rsi = frame + 0x100n; h.rdx = frame + 0x200n; h.rax = 0n; }
  // handle_signal: DF, RF and TF cleared (the knob: TF alone before 2.6.25, CVE-2008-1367).
  h.rflags = regs.rflags & ~(knobOf(c.d, 'handlerFlagsClear') === 'tf' ? rf.TF : rf.DF | rf.RF | rf.TF);
  h.cs = BigInt(ia32 ? USER32_CS : USER_CS);
  h.ss = BigInt(USER_DS);
  writePt(w, h);
  regsWritten(c, w, 'signal delivery');
  if (!stepping) return;
  tif(w, 0, TIF.SINGLESTEP | TIF.FORCED_TF);
  call(w, T.addr('ptrace_stop.singlestep'), next);
}
