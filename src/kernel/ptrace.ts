/**
 * ptrace: the tracee's side (ptrace_stop) and the tracer's actions (the environment).
 *
 * Kernel guarantees: a tracee stopped at a syscall entry/exit, a fork event or a single-step
 * may have its pt_regs rewritten arbitrarily (PTRACE_SETREGS/POKEUSER, putreg: only the RPL of
 * CS/SS and the flags mask are checked, linux-entry-history S10), so whatever exit it takes
 * next must cope with any register values (CVE-2014-4699).
 */
import { rf } from '../isa/index.ts';
import { PT_FIELDS, TIF, type Exec, type MachineState, type PtRegs, type SchedEvent, type StopKind, type Task, type TracerEvent } from '../model/index.ts';
import type { Ctx } from './ctx.ts';
import { call, cur, patchTask, ret, tif, writePt } from './ops.ts';
import { step, type Program } from './program.ts';
import { regsWritten } from './regs-writers.ts';
import { ptRead } from './observe.ts';
import { wakeUp } from './sched.ts';
import { sendSig } from './signals.ts';

/**
 * Flags putreg lets a tracer change: on x86-64 FLAG_MASK = FLAG_MASK_32 | X86_EFLAGS_NT
 * (arch/x86/kernel/ptrace.c); NT confirmed by co-simulation on a real kernel.
 */
export const PTRACE_FLAG_MASK = rf.CF | rf.PF | rf.AF | rf.ZF | rf.SF | rf.TF | rf.DF | rf.OF | rf.RF | rf.AC | rf.NT;

/** A tracer's read of user memory at `addr` fills a demand page there (get_user_pages). */
function touchDemand(m: MachineState, addr: bigint): MachineState {
  const key = (addr >> 12n).toString(16);
  return m.k.pages[key] === 'demand' ? { ...m, k: { ...m.k, pages: { ...m.k.pages, [key]: 'data' } } } : m;
}

/**
 * set_flags (arch/x86/kernel/ptrace.c): a tracer's flags value without TF keeps a TF that
 * ptrace itself set (TIF_FORCED_TF); the tracer never saw it (get_flags hides it).
 */
function setFlags(t: Task, value: bigint): bigint {
  return (value & rf.TF) === 0n && (t.tif & TIF.FORCED_TF) !== 0 ? value | rf.TF : value;
}

const STOPS: readonly StopKind[] = ['syscall-entry', 'syscall-exit', 'fork', 'singlestep'];

/** ptrace_stop.<why>: stop, let the tracer look, and resume when it says so. */
export function ptracePrograms(c: Ctx): Program[] {
  const { T, d } = c;
  return STOPS.map((why) => ({
    name: `ptrace_stop.${why}`,
    items: [
      step(`ptrace_stop (${why}): stop and notify the tracer`, (m, x) => {
        const t = cur(m);
        ptRead(m, `ptrace stop (${why}): the tracer reads the registers`, x.emit);
        x.emit({ kind: 'ptrace-stop', task: t.id, why, rip: t.regs.rip });
        if (why === 'singlestep') x.emit({ kind: 'trap', task: t.id, rip: t.regs.rip });
        const m1 = patchTask(m, t.id, { mode: 'stopped', ptrace: { ...t.ptrace, stop: why } });
        return d.forceIretAfterPtraceStop ? tif(m1, TIF.FORCE_IRET) : m1;
      }),
      step('schedule() until the tracer resumes us', (m, x) => call(m, T.addr('schedule'), x.next)),
      step('ret', (m) => ret(m)),
    ],
  }));
}

/** The traced task, if any. */
function tracee(m: MachineState): Task | undefined {
  return m.k.tasks.find((t) => t.ptrace.attached && t.mode !== 'dead');
}

/** Resumes a stopped tracee, single-stepping or not. */
function resume(c: Ctx, m: MachineState, t: Task, stepping: boolean): MachineState {
  const regs = t.regs;
  // user_enable_single_step sets TF and remembers it set it (TIF_FORCED_TF) unless TF was
  // already set; user_disable_single_step clears TF only if it was forced (step.c). Before,
  // the model cleared a TF user code had set itself; co-simulation showed the difference.
  // enable_single_step first puts TF back if TIF_SINGLESTEP is still set, so a TF that a
  // stepped POPF cleared comes back as the user's, not forced (a real 6.18 kernel does this).
  const forced = (t.tif & TIF.FORCED_TF) !== 0;
  const base = stepping && (t.tif & TIF.SINGLESTEP) !== 0 ? regs.rflags | rf.TF : regs.rflags;
  const setsTf = stepping && (base & rf.TF) === 0n;
  const flags = setsTf ? base | rf.TF : !stepping && forced ? base & ~rf.TF : base;
  let m1 = writePt(m, { rflags: flags }, t.id);
  if (setsTf) m1 = tif(m1, TIF.FORCED_TF, 0, t.id);
  if (!stepping) m1 = tif(m1, 0, TIF.FORCED_TF, t.id);
  // enable_single_step reads the instruction at RIP (is_setting_trap_flag: access_process_vm
  // of 15 bytes), which maps demand-paged memory there (found by co-simulation).
  if (stepping) m1 = touchDemand(touchDemand(m1, regs.rip), regs.rip + 14n);
  // user_enable_single_step writes regs->flags: a register writer like any other. Without
  // this, a design that trusts a fast-syscall flag returns by SYSRET and loses the TF (visible
  // once a single step from a syscall-exit stop no longer made a second report in the kernel).
  if (flags !== regs.rflags) m1 = regsWritten(c, m1, 'ptrace', t.id);
  m1 = tif(m1, stepping ? TIF.SINGLESTEP : 0, stepping ? 0 : TIF.SINGLESTEP, t.id);
  m1 = patchTask(m1, t.id, { ptrace: { ...t.ptrace, stepping, stop: null } });
  return wakeUp(m1, t.id);
}

/** The reschedule IPI another CPU sends when it makes work for the task running here (kick_process). */
export const RESCHEDULE_VECTOR = 0xfd;

/**
 * The tracer's and the rest of the machine's actions; null when not enabled. They happen on
 * another CPU: if they leave work for the task running here, that CPU sends an IPI.
 */
export function environment(c: Ctx, m: MachineState, e: TracerEvent | SchedEvent, x: Exec): MachineState | null {
  const r = act(c, m, e, x);
  if (r === null) return null;
  const t = r.k.tasks[r.k.current];
  const work = (t?.tif ?? 0) & (TIF.NEED_RESCHED | TIF.SIGPENDING | TIF.NOTIFY_RESUME);
  if (work === 0 || r.hw.irq.includes(RESCHEDULE_VECTOR)) return r;
  return { ...r, hw: { ...r.hw, irq: [...r.hw.irq, RESCHEDULE_VECTOR].sort((a, b) => a - b) } };
}

function act(c: Ctx, m: MachineState, e: TracerEvent | SchedEvent, _x: Exec): MachineState | null {
  switch (e.type) {
    case 'tracer.attach': {
      const t = cur(m);
      if (tracee(m) !== undefined || t.id === 0) return null;
      return patchTask(m, t.id, { ptrace: { attached: true, syscalls: e.options?.syscalls ?? false, fork: e.options?.fork ?? false, stop: null, stepping: false } });
    }
    case 'tracer.setRegs': {
      const t = tracee(m);
      if (t === undefined || t.mode !== 'stopped') return null;
      // PTRACE_SETREGS: genregs_set calls putreg field by field in user_regs_struct order (the
      // pt_regs order) and stops at the first -EIO (a CS/SS without RPL 3), keeping the fields
      // before it; co-simulation on a real kernel shows the partial write.
      const p: Partial<Record<keyof PtRegs, bigint>> = {};
      const given = e.regs as Partial<Record<string, bigint | number>>;
      for (const k of PT_FIELDS) {
        const v = given[k];
        if (v === undefined) continue;
        const value = BigInt(v);
        if ((k === 'cs' || k === 'ss') && (value & 3n) !== 3n) break;
        p[k] = k === 'rflags' ? (t.regs.rflags & ~PTRACE_FLAG_MASK) | (setFlags(t, value) & PTRACE_FLAG_MASK) : value;
      }
      if (Object.keys(p).length === 0) return m;
      // set_flags: a TF the tracer writes is the user's from now on (no longer forced).
      const m1 = p.rflags !== undefined && (p.rflags & rf.TF) !== 0n && (BigInt(given.rflags ?? 0) & rf.TF) !== 0n
        ? tif(m, 0, TIF.FORCED_TF, t.id) : m;
      return regsWritten(c, writePt(m1, p, t.id), 'ptrace', t.id);
    }
    case 'tracer.singleStep':
    case 'tracer.cont': {
      const t = tracee(m);
      if (t === undefined || t.mode !== 'stopped') return null;
      return resume(c, m, t, e.type === 'tracer.singleStep');
    }
    case 'tracer.watch': {
      const t = tracee(m);
      if (t === undefined) return null;
      const m1 = patchTask(m, t.id, { watch: e.addr });
      return t.id === m.k.current ? { ...m1, cpu: { ...m1.cpu, watch: e.addr } } : m1;
    }
    case 'sched.wake': {
      const t = m.k.tasks[e.task];
      if (t === undefined || t.mode !== 'blocked' || t.wait !== 'nanosleep') return null;
      return wakeUp(m, e.task);
    }
    case 'sched.signal': {
      const t = m.k.tasks[e.task];
      if (t === undefined || e.task === 0 || t.mode === 'dead' || e.signal < 1 || e.signal > 31) return null;
      return sendSig(m, e.task, e.signal, 0, 0n);
    }
  }
}
