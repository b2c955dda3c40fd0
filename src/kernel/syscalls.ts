/**
 * The system calls the model implements. Each is a small program called from the syscall
 * dispatch with pt_regs complete; it leaves its return value in the activation's notes and
 * returns. Blocking calls schedule; fork builds a child whose first kernel code is ret_from_fork.
 */
import { SIG, SI, TIF, type Machine, type MachineState, type StepOut, type Task } from '../model/index.ts';
import { rf, taskSizeMax, type Descriptor } from '../isa/index.ts';
import { EAGAIN, EFAULT, EINVAL, ESRCH, type Ctx } from './ctx.ts';
import { ptRegsAddr } from './layout.ts';
import { act, call, cur, jump, note, patchTask, ret, setCpu } from './ops.ts';
import { label, step, type Program } from './program.ts';
import { regsWritten } from './regs-writers.ts';
import { uaccess } from './uaccess.ts';
import { ALL_WRITTEN, ERESTARTNOHAND, ERESTARTSYS, forceSig, recalcSigpending, restoreIa32Sigcontext, restoreSigcontext, sendSig } from './signals.ts';

/** Most tasks the model lets exist at once (idle included). */
export const MAX_TASKS = 5;

/** The current call returns `v`. */
export const done = (w: Machine, v: bigint): void => note(w, { ret: v });
/** Argument n of the current call (64-bit or 32-bit ABI by entry). */
export function arg(m: MachineState, n: number): bigint {
  const r = cur(m).regs;
  const a = act(m);
  const compat = a !== undefined && a.cause !== 'syscall64';
  const order = compat ? [r.rbx, r.rcx, r.rdx, r.rsi, r.rdi, r.rbp] : [r.rdi, r.rsi, r.rdx, r.r10, r.r8, r.r9];
  const v = order[n] ?? 0n;
  return compat ? v & 0xffff_ffffn : v;
}

/** A child of the current task, ready to run ret_from_fork; its pid, or null when none is free. */
function forkChild(w: Machine, T: Ctx['T']): number | null {
  const parent = cur(w);
  const pid = w.k.tasks.findIndex((t, i) => i > 0 && t.mode === 'dead');
  const id = pid > 0 ? pid : w.k.tasks.length;
  if (id >= MAX_TASKS) return null;
  const a = act(w);
  const k = w.kW();
  // copy_process: user_disable_single_step(p) clears TIF_SINGLESTEP and, when ptrace set TF
  // (TIF_FORCED_TF), TF in the child's pt_regs (kernel/fork.c, arch/x86/kernel/step.c).
  const forcedTf = (parent.tif & TIF.FORCED_TF) !== 0 ? rf.TF : 0n;
  const child: Task = {
    ...parent, id, mode: 'new', tif: parent.tif & ~(TIF.NEED_RESCHED | TIF.SIGPENDING | TIF.SINGLESTEP | TIF.FORCED_TF),
    regs: { ...parent.regs, rax: 0n, rflags: parent.regs.rflags & ~forcedTf }, written: ALL_WRITTEN,
    acts: a ? [{ ...a, id: k.nextActId, frame: null, notes: { userRegs: true, swapgs: true, slow: true } }] : [],
    calls: [], resume: { rip: T.addr('ret_from_fork'), rsp: ptRegsAddr(id) },
    sig: { ...parent.sig, pending: 0n, info: {} },
    ptrace: { attached: false, syscalls: false, fork: false, stop: null, stepping: false },
    wait: null, watch: null, breakAt: null, ustruct: null,
  };
  const tasks = k.tasks.slice();
  tasks[id] = child;
  k.tasks = tasks;
  k.runq = [...k.runq, id];
  k.nextActId += 1;
  return id;
}

/**
 * A supervisor read of one user byte; a fault is delivered (demand paging, or the exception-table
 * fixup). The caller has checked access_ok: a range that does not fit below TASK_SIZE_MAX is
 * -EFAULT before any access (arch/x86/include/asm/uaccess_64.h), whatever its length.
 */
function copyByte(w: Machine, addr: bigint): StepOut {
  return uaccess(w, addr, 'read');
}

/** All syscall programs. */
export function syscallPrograms(c: Ctx): Program[] {
  const { T } = c;
  const simple = (name: string, what: string, run: (w: Machine) => void): Program => ({
    name: `sys_${name}`, items: [step(what, run), step('ret', (w) => ret(w))],
  });
  const forkProgram = (name: string): Program => ({
    name: `sys_${name}`,
    items: [
      step('copy_process: new task with a copy of pt_regs (ax = 0)', (w) => {
        const pid = forkChild(w, T);
        done(w, pid === null ? EAGAIN : BigInt(pid));
      }),
      step('ptrace_event(PTRACE_EVENT_FORK)', (w, x) => {
        const t = cur(w);
        // Not marked slow: a ptrace_event stop inside the syscall left the old fast path free to
        // SYSRET to whatever RIP the tracer wrote (CVE-2014-4699, linux-entry-history B3); only
        // the design's forceIretAfterPtraceStop (set in ptrace_stop) forces IRET here.
        if (t.ptrace.attached && t.ptrace.fork) call(w, T.addr('ptrace_stop.fork'), x.next);
      }),
      step('ret', (w) => ret(w)),
    ],
  });
  const sleep = (name: 'pause' | 'nanosleep'): Program => ({
    name: `sys_${name}`,
    items: [
      label(`sys_${name}.again`),
      step('set_current_state(TASK_INTERRUPTIBLE)', (w) => {
        const t = cur(w);
        if ((t.tif & TIF.SIGPENDING) !== 0) {
          done(w, name === 'pause' ? ERESTARTNOHAND : ERESTARTSYS);
          jump(w, T.addr(`sys_${name}.out`));
          return;
        }
        patchTask(w, { mode: 'blocked', wait: name });
      }),
      step('schedule()', (w, x) => call(w, T.addr('schedule'), x.next)),
      step(name === 'pause' ? 'woken: loop until a signal is pending' : 'woken: timer expired or signal', (w) => {
        const t = cur(w);
        if ((t.tif & TIF.SIGPENDING) !== 0) done(w, name === 'pause' ? ERESTARTNOHAND : ERESTARTSYS);
        else if (name === 'pause') jump(w, T.addr(`sys_${name}.again`));
        else done(w, 0n);
      }),
      label(`sys_${name}.out`),
      step('ret', (w) => ret(w)),
    ],
  });
  return [
    simple('getpid', 'return task_tgid_vnr(current)', (w) => done(w, BigInt(w.k.current))),
    {
      name: 'sys_sched_yield',
      items: [step('schedule()', (w, x) => { done(w, 0n); call(w, T.addr('schedule'), x.next); }), step('ret', (w) => ret(w))],
    },
    sleep('pause'),
    sleep('nanosleep'),
    simple('kill', 'kill_pid_info', (w) => {
      // pid_t and int (kernel/signal.c sys_kill): both 32-bit signed; a signal outside 0..64
      // fails valid_signal in check_kill_permission (-EINVAL), after the pid is found (pending
      // gap kill-signal-int: the model used to keep the low 8 bits).
      const pid = Number(BigInt.asIntN(32, arg(w, 0)));
      const sig = Number(BigInt.asIntN(32, arg(w, 1)));
      const target = pid === 0 ? w.k.current : pid;
      const t = target > 0 ? w.k.tasks[target] : undefined;
      if (t === undefined || t.mode === 'dead') { done(w, ESRCH); return; }
      if (sig < 0 || sig > 64) { done(w, EINVAL); return; }
      if (sig === 0) { done(w, 0n); return; }
      sendSig(w, target, sig, SI.USER, 0n);
      done(w, 0n);
    }),
    simple('rt_sigreturn', 'restore_sigcontext from the frame at regs->sp', (w) => {
      const t = cur(w);
      const frame = t.sigframes[t.regs.rsp.toString(16)];
      if (frame === undefined) {
        note(w, { slow: true });
        forceSig(w, SIG.SIGSEGV, SI.KERNEL, 0n);
        done(w, 0n);
        return;
      }
      // The 32-bit rt_sigreturn (sys32_rt_sigreturn) restores an ia32 sigcontext; the 64-bit
      // one a sigcontext_64 with force_valid_ss (signals.ts). Both restore the blocked set from
      // uc_sigmask (set_current_blocked: SIGKILL and SIGSTOP cannot be blocked).
      const ia32 = act(w)?.cause !== 'syscall64';
      const regs = ia32 ? restoreIa32Sigcontext(t.regs, frame) : restoreSigcontext(t.regs, frame, w.cpu.tables);
      const blocked = frame.mask & ~((1n << 9n) | (1n << 19n));
      note(w, { slow: true, ret: regs.rax });
      patchTask(w, { regs, written: ALL_WRITTEN, sig: { ...t.sig, blocked } });
      recalcSigpending(w, t.id);
      regsWritten(c, w, 'sigreturn');
    }),
    forkProgram('fork'),
    forkProgram('clone'),
    {
      name: 'sys_write',
      items: [
        step('access_ok(buf, count); copy_from_user: first byte of the buffer', (w) => {
          const buf = arg(w, 1);
          const count = arg(w, 2);
          const top = taskSizeMax(w.cpu.paging);
          if (count > top || buf > top - count) { jump(w, T.addr('sys_write.efault')); return; }
          return copyByte(w, buf);
        }, { fixup: 'sys_write.efault' }),
        step('copy_from_user: last byte of the buffer', (w) => copyByte(w, arg(w, 1) + ((arg(w, 2) || 1n) - 1n)), { fixup: 'sys_write.efault' }),
        step('return count', (w) => { done(w, arg(w, 2)); jump(w, T.addr('sys_write.out')); }),
        label('sys_write.efault'),
        step('return -EFAULT', (w) => done(w, EFAULT)),
        label('sys_write.out'),
        step('ret', (w) => ret(w)),
      ],
    },
    simple('modify_ldt', 'write_ldt', (w) => {
      const func = arg(w, 0);
      const index = Number(arg(w, 1));
      const flags = Number(arg(w, 2));
      if (func !== 1n || index < 0 || index > 15) { done(w, EINVAL); return; }
      // user_desc as flags: bit 0 present (!seg_not_present), bit 1 code (contents = 2),
      // bit 2 16-bit (!seg_32bit; data only: 16-bit code is not modelled), bit 3 read-only
      // (read_exec_only) (arch/x86/include/uapi/asm/ldt.h; fill_ldt in asm/desc.h).
      const code = (flags & 2) !== 0;
      const desc: Descriptor = {
        type: code ? 'code' : 'data', l: false, db: code || (flags & 4) === 0, dpl: 3, present: (flags & 1) !== 0,
        ...(!code && (flags & 8) !== 0 ? { writable: false } : {}),
      };
      setCpu(w, { tables: { ...w.cpu.tables, ldt: { ...w.cpu.tables.ldt, [index]: desc } } });
      done(w, 0n);
    }),
    {
      name: 'sys_exit',
      items: [step('do_exit: the task is gone', (w, x) => { patchTask(w, { mode: 'dead' }); call(w, T.addr('schedule'), x.next); }),
        step('BUG: returned from do_exit', (w) => jump(w, T.addr('do_exit.gone')))],
    },
  ];
}
