/**
 * Signal delivery (do_signal / handle_signal / setup_rt_frame), forced signals from fault
 * handlers, and rt_sigreturn's restore_sigcontext.
 *
 * Kernel guarantees: a handler starts with a signal frame on the user stack holding the complete
 * user state at the time (pt_regs), RIP at the handler, TF/DF/RF cleared; an interrupted
 * restartable syscall is restarted (regs->ax = orig_ax, regs->ip -= 2) so that IP - 2 is the
 * syscall instruction again (linux-entry-history 2.3); rt_sigreturn restores only what the
 * sigcontext may set (FIX_EFLAGS; CS/SS with RPL 3).
 */
import { rf, USER_CS, USER32_CS, USER_DS } from '../isa/index.ts';
import { accessFault, pageOf, PT_COMPLETE, SI, SIG, TIF, type Machine, type MachineState, type PtRegs, type Task } from '../model/index.ts';
import { EINTR, errno, type Ctx } from './ctx.ts';
import { act, call, cur, patchTask, ret, tif, writePt } from './ops.ts';
import { step, type Program } from './program.ts';
import { regsWritten } from './regs-writers.ts';
import { ptRead } from './observe.ts';

export const ERESTARTSYS = errno(512);
export const ERESTARTNOINTR = errno(513);
export const ERESTARTNOHAND = errno(514);

/** Size of the modelled rt_sigframe (ucontext + siginfo + FP state, rounded). */
const FRAME_SIZE = 0x440n;

/** Queues signal `sig` for task `id` with its siginfo, waking the task if it sleeps interruptibly. */
export function sendSig(w: Machine, id: number, sig: number, code: number, addr: bigint): void {
  const t = w.k.tasks[id] as Task;
  patchTask(w, { sig: { ...t.sig, pending: t.sig.pending | (1 << sig), info: { ...t.sig.info, [sig]: { code, addr } } } }, id);
  tif(w, TIF.SIGPENDING, 0, id);
  if (t.mode === 'blocked') {
    patchTask(w, { mode: 'kernel', wait: null }, id);
    if (!w.k.runq.includes(id)) w.kW().runq = [...w.k.runq, id];
    tif(w, TIF.NEED_RESCHED);
  }
}

/** force_sig_fault: the signal cannot be blocked or ignored; a blocked one reverts to default. */
export function forceSig(w: Machine, sig: number, code: number, addr: bigint): void {
  const t = cur(w);
  const bit = 1 << sig;
  if ((t.sig.blocked & bit) !== 0) patchTask(w, { sig: { ...t.sig, blocked: t.sig.blocked & ~bit, handled: t.sig.handled & ~bit } });
  sendSig(w, t.id, sig, code, addr);
}

/** The restart rule of handle_signal (with SA_RESTART) and of do_signal without a handler. */
function restart(regs: PtRegs, handled: boolean): Partial<PtRegs> {
  const ax = regs.rax;
  if (ax === ERESTARTNOHAND && handled) return { rax: EINTR };
  if (ax === ERESTARTSYS || ax === ERESTARTNOINTR || ax === ERESTARTNOHAND) {
    return { rax: regs.orig_rax, rip: regs.rip - 2n };
  }
  return {};
}

/** do_signal, called from the exit-to-user loop with IRQs on. */
export function signalPrograms(c: Ctx): Program[] {
  const { T } = c;
  const doSignal = step('get_signal; handle_signal or the default action', (w, x) => {
    const t = cur(w);
    ptRead(w, 'signal delivery');
    const deliverable = t.sig.pending & ~t.sig.blocked;
    const inSyscall = act(w)?.cause !== 'idt' || act(w)?.vector === 0x80;
    if (deliverable === 0) {
      tif(w, 0, TIF.SIGPENDING);
      if (inSyscall && t.regs.orig_rax !== (1n << 64n) - 1n) writePt(w, restart(t.regs, false));
      return;
    }
    // The lowest pending signal; clz32, not log2: signal 31's bit is the int32 sign bit.
    const sig = 31 - Math.clz32(deliverable & -deliverable);
    const info = t.sig.info[sig] ?? { code: SI.USER, addr: 0n };
    const pending = t.sig.pending & ~(1 << sig);
    patchTask(w, { sig: { ...t.sig, pending } });
    if (pending === 0) tif(w, 0, TIF.SIGPENDING);
    const handled = (t.sig.handled & (1 << sig)) !== 0 && sig !== SIG.SIGKILL;
    // handle_signal: a ptrace single-step is switched off first (user_disable_single_step, so
    // the frame holds no TF ptrace forced), and once the handler is set up the tracer is told
    // (signal_setup_done -> ptrace_notify(SIGTRAP)): a stop at the handler's first instruction.
    // The model let the handler run on with TIF_SINGLESTEP set; co-simulation showed the stop.
    const stepping = handled && t.ptrace.attached && (t.tif & TIF.SINGLESTEP) !== 0;
    const forcedTf = stepping && (t.tif & TIF.FORCED_TF) !== 0 ? rf.TF : 0n;
    const restarted = { ...t.regs, ...(inSyscall ? restart(t.regs, handled) : {}) };
    const regs = { ...restarted, rflags: restarted.rflags & ~forcedTf };
    const die = (): void => {
      patchTask(w, { mode: 'dead' });
      call(w, T.addr('schedule'), T.addr('do_exit.gone'));
    };
    if (!handled) {
      w.emit({ kind: 'signal', task: t.id, signal: sig, code: info.code, siAddr: info.addr, rip: regs.rip, fatal: true });
      die();
      return;
    }
    const compat = t.compat;
    const frame = (compat ? ((regs.rsp - FRAME_SIZE) & ~15n) - 4n : ((regs.rsp - 128n - FRAME_SIZE) & ~15n) - 8n) & ((1n << 64n) - 1n);
    if (pageUnmapped(w, frame)) {
      w.emit({ kind: 'signal', task: t.id, signal: SIG.SIGSEGV, code: SI.KERNEL, siAddr: 0n, rip: regs.rip, fatal: true });
      die();
      return;
    }
    w.emit({ kind: 'signal', task: t.id, signal: sig, code: info.code, siAddr: info.addr, rip: regs.rip, fatal: false, frame });
    if (accessFault(w.k, w.cpu.paging, frame, 'write', false) !== null) w.setPage(frame, 'data');
    patchTask(w, { sigframes: { ...cur(w).sigframes, [frame.toString(16)]: regs } });
    writePt(w, {
      // Handler arguments: 64-bit rdi = sig, rsi = &info, rdx = &uc (ax = 0); ia32_setup_rt_frame:
      // ax = sig, dx = &info, cx = &uc.
      ...regs, rip: t.sig.handler, rsp: frame,
      ...(compat ? { rax: BigInt(sig), rdx: frame + 0x100n, rcx: frame + 0x200n } : { rdi: BigInt(sig), rsi: frame + 0x100n, rdx: frame + 0x200n, rax: 0n }),
      rflags: regs.rflags & ~(rf.DF | rf.RF | rf.TF), cs: BigInt(compat ? USER32_CS : USER_CS), ss: BigInt(USER_DS),
      orig_rax: (1n << 64n) - 1n,
    });
    regsWritten(c, w, 'signal delivery');
    if (!stepping) return;
    tif(w, 0, TIF.SINGLESTEP | TIF.FORCED_TF);
    call(w, T.addr('ptrace_stop.singlestep'), x.next);
  });
  return [
    { name: 'do_signal', items: [doSignal, step('ret', (w) => ret(w))] },
    { name: 'do_exit', items: [{ label: 'do_exit.gone' }, step('BUG: a dead task ran again', (w) => {
      w.halt({ kind: 'kernel-failure', what: 'bug', detail: 'a dead task was scheduled' });
    })] },
  ];
}

/** True when the page holding `addr` is not mapped at all (a demand page the kernel can fill). */
function pageUnmapped(m: MachineState, addr: bigint): boolean {
  const f = accessFault(m.k, m.cpu.paging, addr, 'write', false);
  if (f === null) return false;
  return pageOf(m.k, addr) !== 'demand';
}

/** FIX_EFLAGS: the flags a signal frame may set (arch/x86/kernel/signal.c). */
export const FIX_EFLAGS = rf.AC | rf.OF | rf.DF | rf.TF | rf.SF | rf.ZF | rf.AF | rf.PF | rf.CF | rf.RF;

/** restore_sigcontext: the new pt_regs from a (possibly forged) frame. */
export function restoreSigcontext(cur0: PtRegs, f: PtRegs): PtRegs {
  return {
    ...f,
    rflags: (cur0.rflags & ~FIX_EFLAGS) | (f.rflags & FIX_EFLAGS),
    cs: f.cs | 3n,
    ss: f.ss | 3n,
    orig_rax: (1n << 64n) - 1n,
  };
}

/** Every pt_regs field is written after a full restore. */
export const ALL_WRITTEN = PT_COMPLETE;
