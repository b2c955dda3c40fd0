/**
 * The system calls that change a task's signal setup, and two small ones the selftests need:
 * rt_sigaction, sigaltstack, gettid, restart_syscall. Each is a program called from the syscall
 * dispatch, like those in syscalls.ts; a pointer argument's structure is what the event wrote
 * (task.ustruct: the model keeps user memory abstract).
 */
import { SIG, sigBit, type Machine, type SigAction, type Task } from '../model/index.ts';
import { EINTR, EINVAL, errno, type Ctx } from './ctx.ts';
import { act, cur, patchTask, ret } from './ops.ts';
import { step, type Program } from './program.ts';
import { onSigStack } from './signal-delivery.ts';
import { handlerIgnores } from './signals.ts';
import { arg, done } from './syscalls.ts';

const EPERM = errno(1);
const ENOMEM = errno(12);
/** SS_ONSTACK, SS_DISABLE, SS_AUTODISARM (include/uapi/linux/signal.h); MINSIGSTKSZ (x86: 2048). */
const SS_ONSTACK = 1n;
const SS_DISABLE = 2n;
const SS_FLAG_BITS = 1n << 31n;
const MINSIGSTKSZ = 2048n;

/** The structure the call's pointer argument points at, taken (read once). */
function takeStruct(w: Machine): Task['ustruct'] {
  const u = cur(w).ustruct;
  if (u !== null) patchTask(w, { ustruct: null });
  return u;
}

/**
 * do_sigaction (kernel/signal.c): signals 1..64; SIGKILL and SIGSTOP cannot be changed; the
 * action's mask never blocks them; an action that ignores a signal discards its pending one.
 * A 32-bit call (compat_rt_sigaction) marks the action SA_IA32_ABI: its handler gets ia32 frames
 * (arch/x86/kernel/signal.c is_ia32_frame).
 */
function rtSigaction(w: Machine): void {
  const sig = Number(BigInt.asIntN(32, arg(w, 0)));
  const u = takeStruct(w);
  if (sig < 1 || sig > 64 || (u?.kind === 'sigaction' && (sig === SIG.SIGKILL || sig === SIG.SIGSTOP))) { done(w, EINVAL); return; }
  if (u?.kind !== 'sigaction') { done(w, 0n); return; }
  const t = cur(w);
  const action: SigAction = {
    handler: u.handler, flags: u.flags, mask: u.mask & ~(sigBit(SIG.SIGKILL) | sigBit(SIG.SIGSTOP)),
    ia32: act(w)?.cause !== 'syscall64',
  };
  const pending = handlerIgnores(action, sig) ? t.sig.pending & ~sigBit(sig) : t.sig.pending;
  patchTask(w, { sig: { ...t.sig, pending, actions: { ...t.sig.actions, [sig]: action } } });
  done(w, 0n);
}

/**
 * do_sigaltstack (kernel/signal.c): -EPERM while running on the alternate stack, -EINVAL for an
 * unknown mode, SS_DISABLE clears it, a size below MINSIGSTKSZ is -ENOMEM.
 */
function sigaltstack(w: Machine): void {
  const u = takeStruct(w);
  if (u?.kind !== 'stack') { done(w, 0n); return; }
  const t = cur(w);
  if (onSigStack(t, t.regs.rsp)) { done(w, EPERM); return; }
  const mode = u.flags & ~SS_FLAG_BITS;
  if (mode !== 0n && mode !== SS_ONSTACK && mode !== SS_DISABLE) { done(w, EINVAL); return; }
  if (mode !== SS_DISABLE && u.size < MINSIGSTKSZ) { done(w, ENOMEM); return; }
  patchTask(w, { sig: { ...t.sig, altstack: mode === SS_DISABLE ? null : { sp: u.sp, size: u.size, flags: u.flags } } });
  done(w, 0n);
}

/** The programs. */
export function signalSyscallPrograms(_c: Ctx): Program[] {
  const simple = (name: string, what: string, run: (w: Machine) => void): Program => ({
    name: `sys_${name}`, items: [step(what, run), step('ret', (w) => ret(w))],
  });
  return [
    simple('gettid', 'return task_pid_vnr(current)', (w) => done(w, BigInt(w.k.current))),
    simple('rt_sigaction', 'do_sigaction', rtSigaction),
    simple('sigaltstack', 'do_sigaltstack', sigaltstack),
    // restart_syscall with no restart block pending: do_no_restart_syscall, -EINTR.
    simple('restart_syscall', 'restart_block.fn (do_no_restart_syscall)', (w) => done(w, EINTR)),
  ];
}
