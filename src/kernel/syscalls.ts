/**
 * The system calls the model implements. Each is a small program called from the syscall
 * dispatch with pt_regs complete; it leaves its return value in the activation's notes and
 * returns. Blocking calls schedule; fork builds a child whose first kernel code is ret_from_fork.
 */
import { accessFault, SIG, type MachineState, type Task } from '../model/index.ts';
import type { Descriptor } from '../isa/index.ts';
import { EAGAIN, EFAULT, EINVAL, ESRCH, type Ctx } from './ctx.ts';
import { ptRegsAddr } from './layout.ts';
import { act, call, cur, jump, note, patchTask, ret, tif } from './ops.ts';
import { label, step, type Program } from './program.ts';
import { regsWritten } from './regs-writers.ts';
import { ERESTARTNOHAND, ERESTARTSYS, restoreSigcontext, sendSig, forceSig, ALL_WRITTEN } from './signals.ts';
import { SI, TIF } from '../model/index.ts';

/** Most tasks the model lets exist at once (idle included). */
export const MAX_TASKS = 5;

const done = (v: bigint) => (m: MachineState): MachineState => note(m, { ret: v });
/** Argument n of the current call (64-bit or 32-bit ABI by entry). */
function arg(m: MachineState, n: number): bigint {
  const r = cur(m).regs;
  const a = act(m);
  const compat = a !== undefined && a.cause !== 'syscall64';
  const order = compat ? [r.rbx, r.rcx, r.rdx, r.rsi, r.rdi, r.rbp] : [r.rdi, r.rsi, r.rdx, r.r10, r.r8, r.r9];
  const v = order[n] ?? 0n;
  return compat ? v & 0xffff_ffffn : v;
}

/** A child of the current task, ready to run ret_from_fork. */
function forkChild(m: MachineState, T: Ctx['T']): { m: MachineState; pid: number } | null {
  const parent = cur(m);
  const pid = m.k.tasks.findIndex((t, i) => i > 0 && t.mode === 'dead');
  const id = pid > 0 ? pid : m.k.tasks.length;
  if (id >= MAX_TASKS) return null;
  const a = act(m);
  const child: Task = {
    ...parent, id, mode: 'new', tif: parent.tif & ~(TIF.NEED_RESCHED | TIF.SIGPENDING | TIF.SINGLESTEP),
    regs: { ...parent.regs, rax: 0n }, written: ALL_WRITTEN,
    acts: a ? [{ ...a, id: m.k.nextActId, frame: null, notes: { userRegs: true, swapgs: true, slow: true } }] : [],
    calls: [], resume: { rip: T.addr('ret_from_fork'), rsp: ptRegsAddr(id) },
    sig: { ...parent.sig, pending: 0, info: {} },
    ptrace: { attached: false, syscalls: false, fork: false, stop: null, stepping: false },
    wait: null, watch: null,
  };
  const tasks = m.k.tasks.slice();
  tasks[id] = child;
  return { m: { ...m, k: { ...m.k, tasks, runq: [...m.k.runq, id], nextActId: m.k.nextActId + 1 } }, pid: id };
}

/** All syscall programs. */
export function syscallPrograms(c: Ctx): Program[] {
  const { T } = c;
  const simple = (name: string, what: string, run: (m: MachineState) => MachineState): Program => ({
    name: `sys_${name}`, items: [step(what, run), step('ret', (m) => ret(m))],
  });
  const forkProgram = (name: string): Program => ({
    name: `sys_${name}`,
    items: [
      step('copy_process: new task with a copy of pt_regs (ax = 0)', (m) => {
        const r = forkChild(m, T);
        return r === null ? note(m, { ret: EAGAIN }) : note(r.m, { ret: BigInt(r.pid) });
      }),
      step('ptrace_event(PTRACE_EVENT_FORK)', (m, x) => {
        const t = cur(m);
        // Not marked slow: a ptrace_event stop inside the syscall left the old fast path free to
        // SYSRET to whatever RIP the tracer wrote (CVE-2014-4699, linux-entry-history B3); only
        // the design's forceIretAfterPtraceStop (set in ptrace_stop) forces IRET here.
        return t.ptrace.attached && t.ptrace.fork ? call(m, T.addr('ptrace_stop.fork'), x.next) : m;
      }),
      step('ret', (m) => ret(m)),
    ],
  });
  const sleep = (name: 'pause' | 'nanosleep'): Program => ({
    name: `sys_${name}`,
    items: [
      label(`sys_${name}.again`),
      step('set_current_state(TASK_INTERRUPTIBLE)', (m) => {
        const t = cur(m);
        if ((t.tif & TIF.SIGPENDING) !== 0) return jump(note(m, { ret: name === 'pause' ? ERESTARTNOHAND : ERESTARTSYS }), T.addr(`sys_${name}.out`));
        return patchTask(m, t.id, { mode: 'blocked', wait: name });
      }),
      step('schedule()', (m, x) => call(m, T.addr('schedule'), x.next)),
      step(name === 'pause' ? 'woken: loop until a signal is pending' : 'woken: timer expired or signal', (m) => {
        const t = cur(m);
        if ((t.tif & TIF.SIGPENDING) !== 0) return note(m, { ret: name === 'pause' ? ERESTARTNOHAND : ERESTARTSYS });
        return name === 'pause' ? jump(m, T.addr(`sys_${name}.again`)) : note(m, { ret: 0n });
      }),
      label(`sys_${name}.out`),
      step('ret', (m) => ret(m)),
    ],
  });
  return [
    simple('getpid', 'return task_tgid_vnr(current)', (m) => done(BigInt(m.k.current))(m)),
    {
      name: 'sys_sched_yield',
      items: [step('schedule()', (m, x) => call(note(m, { ret: 0n }), T.addr('schedule'), x.next)), step('ret', (m) => ret(m))],
    },
    sleep('pause'),
    sleep('nanosleep'),
    simple('kill', 'kill_pid_info', (m) => {
      const pid = Number(arg(m, 0) & 0xffffn);
      const sig = Number(arg(m, 1) & 0xffn);
      const target = pid === 0 ? m.k.current : pid;
      const t = m.k.tasks[target];
      if (t === undefined || target === 0 || t.mode === 'dead') return done(ESRCH)(m);
      if (sig === 0) return done(0n)(m);
      if (sig > 31) return done(EINVAL)(m);
      return done(0n)(sendSig(m, target, sig, SI.USER, 0n));
    }),
    simple('rt_sigreturn', 'restore_sigcontext from the frame at regs->sp', (m) => {
      const t = cur(m);
      const frame = t.sigframes[t.regs.rsp.toString(16)];
      if (frame === undefined) return done(0n)(forceSig(note(m, { slow: true }), SIG.SIGSEGV, SI.KERNEL, 0n));
      const regs = restoreSigcontext(t.regs, frame);
      const m1 = patchTask(note(m, { slow: true, ret: regs.rax }), t.id, { regs, written: ALL_WRITTEN });
      return regsWritten(c, m1, 'sigreturn');
    }),
    forkProgram('fork'),
    forkProgram('clone'),
    {
      name: 'sys_write',
      items: [
        step('copy_from_user: first byte of the buffer', (m) => copyByte(m, arg(m, 1)), { fixup: 'sys_write.efault' }),
        step('copy_from_user: last byte of the buffer', (m) => copyByte(m, arg(m, 1) + ((arg(m, 2) || 1n) - 1n)), { fixup: 'sys_write.efault' }),
        step('return count', (m) => jump(note(m, { ret: arg(m, 2) }), T.addr('sys_write.out'))),
        label('sys_write.efault'),
        step('return -EFAULT', done(EFAULT)),
        label('sys_write.out'),
        step('ret', (m) => ret(m)),
      ],
    },
    simple('modify_ldt', 'write_ldt', (m) => {
      const func = arg(m, 0);
      const index = Number(arg(m, 1));
      const flags = Number(arg(m, 2));
      if (func !== 1n || index < 0 || index > 15) return done(EINVAL)(m);
      const desc: Descriptor = { type: flags & 2 ? 'code' : 'data', l: false, db: true, dpl: 3, present: (flags & 1) !== 0 };
      const ldt = { ...m.cpu.tables.ldt, [index]: desc };
      return done(0n)({ ...m, cpu: { ...m.cpu, tables: { ...m.cpu.tables, ldt } } });
    }),
    {
      name: 'sys_exit',
      items: [step('do_exit: the task is gone', (m, x) => call(patchTask(m, m.k.current, { mode: 'dead' }), T.addr('schedule'), x.next)),
        step('BUG: returned from do_exit', (m) => jump(m, T.addr('do_exit.gone')))],
    },
  ];
}

/** A supervisor read of one user byte; faults are delivered (demand paging or the fixup). */
function copyByte(m: MachineState, addr: bigint) {
  const f = accessFault(m.k, m.cpu.paging, addr, 'read', false);
  return f === null ? m : { fault: f, m };
}
void tif;
