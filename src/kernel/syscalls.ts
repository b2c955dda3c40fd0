/**
 * The system calls the model implements. Each is a small program called from the syscall
 * dispatch with pt_regs complete; it leaves its return value in the activation's notes and
 * returns. Blocking calls schedule; fork builds a child whose first kernel code is ret_from_fork.
 */
import { accessFault, SIG, SI, TIF, type Machine, type MachineState, type StepOut, type Task } from '../model/index.ts';
import { taskSizeMax, type Descriptor } from '../isa/index.ts';
import { EAGAIN, EFAULT, EINVAL, ESRCH, type Ctx } from './ctx.ts';
import { ptRegsAddr } from './layout.ts';
import { act, call, cur, jump, note, patchTask, ret, setCpu } from './ops.ts';
import { label, step, type Program } from './program.ts';
import { regsWritten } from './regs-writers.ts';
import { ERESTARTNOHAND, ERESTARTSYS, restoreSigcontext, sendSig, forceSig, ALL_WRITTEN } from './signals.ts';

/** Most tasks the model lets exist at once (idle included). */
export const MAX_TASKS = 5;

const done = (w: Machine, v: bigint): void => note(w, { ret: v });
/** Argument n of the current call (64-bit or 32-bit ABI by entry). */
function arg(m: MachineState, n: number): bigint {
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
  const child: Task = {
    ...parent, id, mode: 'new', tif: parent.tif & ~(TIF.NEED_RESCHED | TIF.SIGPENDING | TIF.SINGLESTEP),
    regs: { ...parent.regs, rax: 0n }, written: ALL_WRITTEN,
    acts: a ? [{ ...a, id: k.nextActId, frame: null, notes: { userRegs: true, swapgs: true, slow: true } }] : [],
    calls: [], resume: { rip: T.addr('ret_from_fork'), rsp: ptRegsAddr(id) },
    sig: { ...parent.sig, pending: 0, info: {} },
    ptrace: { attached: false, syscalls: false, fork: false, stop: null, stepping: false },
    wait: null, watch: null,
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
  const f = accessFault(w.k, w.cpu.paging, addr, 'read', false);
  return f === null ? undefined : { fault: f };
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
      const pid = Number(arg(w, 0) & 0xffffn);
      const sig = Number(arg(w, 1) & 0xffn);
      const target = pid === 0 ? w.k.current : pid;
      const t = w.k.tasks[target];
      if (t === undefined || target === 0 || t.mode === 'dead') { done(w, ESRCH); return; }
      if (sig === 0) { done(w, 0n); return; }
      if (sig > 31) { done(w, EINVAL); return; }
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
      const regs = restoreSigcontext(t.regs, frame);
      note(w, { slow: true, ret: regs.rax });
      patchTask(w, { regs, written: ALL_WRITTEN });
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
      const desc: Descriptor = { type: flags & 2 ? 'code' : 'data', l: false, db: true, dpl: 3, present: (flags & 1) !== 0 };
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
