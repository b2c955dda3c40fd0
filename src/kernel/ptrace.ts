/**
 * ptrace: the tracee's side (ptrace_stop) and the tracer's actions (the environment).
 *
 * Kernel guarantees: a tracee stopped at a syscall entry/exit, a fork event or a single-step
 * may have its pt_regs rewritten arbitrarily (PTRACE_SETREGS/POKEUSER, putreg: only the RPL of
 * CS/SS and the flags mask are checked, linux-entry-history S10), so whatever exit it takes
 * next must cope with any register values (CVE-2014-4699).
 */
import { rf, taskSizeMax } from '../isa/index.ts';
import { pageOf, PT_FIELDS, TIF, traceeOf, type Machine, type PtRegs, type SchedEvent, type StopKind, type Task, type TracerEvent } from '../model/index.ts';
import type { Ctx } from './ctx.ts';
import { call, cur, patchTask, ret, setCpu, tif, writePt } from './ops.ts';
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
function touchDemand(w: Machine, addr: bigint): void {
  if (pageOf(w.k, addr) === 'demand') w.setPage(addr, 'data');
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
      step(`ptrace_stop (${why}): stop and notify the tracer`, (w) => {
        const t = cur(w);
        ptRead(w, `ptrace stop (${why}): the tracer reads the registers`);
        w.emit({ kind: 'ptrace-stop', task: t.id, why, rip: t.regs.rip });
        if (why === 'singlestep') w.emit({ kind: 'trap', task: t.id, rip: t.regs.rip });
        patchTask(w, { mode: 'stopped', ptrace: { ...t.ptrace, stop: why } });
        if (d.forceIretAfterPtraceStop) tif(w, TIF.FORCE_IRET);
      }),
      step('schedule() until the tracer resumes us', (w, x) => call(w, T.addr('schedule'), x.next)),
      step('ret', (w) => ret(w)),
    ],
  }));
}

/** Resumes a stopped tracee, single-stepping or not. */
function resume(c: Ctx, w: Machine, t: Task, stepping: boolean): void {
  // Values, not the task's objects: the writes below may change those objects in place.
  const { rflags: oldFlags, rip } = t.regs;
  const ptrace = t.ptrace;
  // user_enable_single_step sets TF and remembers it set it (TIF_FORCED_TF) unless TF was
  // already set; user_disable_single_step clears TF only if it was forced (step.c). Before,
  // the model cleared a TF user code had set itself; co-simulation showed the difference.
  // enable_single_step first puts TF back if TIF_SINGLESTEP is still set, so a TF that a
  // stepped POPF cleared comes back as the user's, not forced (a real 6.18 kernel does this).
  const forced = (t.tif & TIF.FORCED_TF) !== 0;
  const base = stepping && (t.tif & TIF.SINGLESTEP) !== 0 ? oldFlags | rf.TF : oldFlags;
  const setsTf = stepping && (base & rf.TF) === 0n;
  const flags = setsTf ? base | rf.TF : !stepping && forced ? base & ~rf.TF : base;
  writePt(w, { rflags: flags }, t.id);
  if (setsTf) tif(w, TIF.FORCED_TF, 0, t.id);
  if (!stepping) tif(w, 0, TIF.FORCED_TF, t.id);
  // enable_single_step reads the instruction at RIP (is_setting_trap_flag: access_process_vm
  // of 15 bytes), which maps demand-paged memory there (found by co-simulation).
  if (stepping) { touchDemand(w, rip); touchDemand(w, rip + 14n); }
  // user_enable_single_step writes regs->flags: a register writer like any other. Without
  // this, a design that trusts a fast-syscall flag returns by SYSRET and loses the TF (visible
  // once a single step from a syscall-exit stop no longer made a second report in the kernel).
  if (flags !== oldFlags) regsWritten(c, w, 'ptrace', t.id);
  tif(w, stepping ? TIF.SINGLESTEP : 0, stepping ? 0 : TIF.SINGLESTEP, t.id);
  patchTask(w, { ptrace: { ...ptrace, stepping, stop: null } }, t.id);
  wakeUp(w, t.id);
}

/**
 * PTRACE_DETACH (kernel/ptrace.c ptrace_detach): ptrace_disable (user_disable_single_step: a TF
 * ptrace set goes, TIF_SINGLESTEP goes), the syscall stops go (__ptrace_unlink clears
 * SYSCALL_TRACE), a stopped tracee runs on. The debug registers the tracer programmed stay: no
 * flush_ptrace_hw_breakpoint on detach (mov_ss_trap.c's helper detaches and exits, and the
 * watchpoint keeps firing). A tracee in user mode is detached as if PTRACE_INTERRUPT had stopped
 * it first (a stop nobody sees).
 */
function detach(c: Ctx, w: Machine, t: Task): void {
  const { rflags } = t.regs;
  const stopped = t.mode === 'stopped';
  const forced = (t.tif & TIF.FORCED_TF) !== 0;
  if (forced) {
    writePt(w, { rflags: rflags & ~rf.TF }, t.id);
    regsWritten(c, w, 'ptrace', t.id);
  }
  tif(w, 0, TIF.FORCED_TF | TIF.SINGLESTEP, t.id);
  patchTask(w, { ptrace: { attached: false, syscalls: false, fork: false, stop: null, stepping: false } }, t.id);
  if (stopped) wakeUp(w, t.id);
}

/** The reschedule IPI another CPU sends when it makes work for the task running here (kick_process). */
export const RESCHEDULE_VECTOR = 0xfd;

/**
 * The tracer's and the rest of the machine's actions; false when not enabled. They happen on
 * another CPU: if they leave work for the task running here, that CPU sends an IPI.
 */
export function environment(c: Ctx, w: Machine, e: TracerEvent | SchedEvent): boolean {
  if (!act(c, w, e)) return false;
  const t = w.k.tasks[w.k.current];
  const work = (t?.tif ?? 0) & (TIF.NEED_RESCHED | TIF.SIGPENDING | TIF.NOTIFY_RESUME);
  if (work !== 0 && !w.hw.irq.includes(RESCHEDULE_VECTOR)) w.hwW().irq = [...w.hw.irq, RESCHEDULE_VECTOR].sort((a, b) => a - b);
  return true;
}

function act(c: Ctx, w: Machine, e: TracerEvent | SchedEvent): boolean {
  switch (e.type) {
    case 'tracer.attach': {
      const t = cur(w);
      if (traceeOf(w) !== undefined || t.id === 0) return false;
      patchTask(w, { ptrace: { attached: true, syscalls: e.options?.syscalls ?? false, fork: e.options?.fork ?? false, stop: null, stepping: false } }, t.id);
      return true;
    }
    case 'tracer.setRegs': {
      const t = traceeOf(w);
      if (t === undefined || t.mode !== 'stopped') return false;
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
      if (Object.keys(p).length === 0) return true;
      // set_flags: a TF the tracer writes is the user's from now on (no longer forced).
      if (p.rflags !== undefined && (p.rflags & rf.TF) !== 0n && (BigInt(given.rflags ?? 0) & rf.TF) !== 0n) tif(w, 0, TIF.FORCED_TF, t.id);
      writePt(w, p, t.id);
      regsWritten(c, w, 'ptrace', t.id);
      return true;
    }
    case 'tracer.singleStep':
    case 'tracer.cont': {
      const t = traceeOf(w);
      if (t === undefined || t.mode !== 'stopped') return false;
      resume(c, w, t, e.type === 'tracer.singleStep');
      return true;
    }
    case 'tracer.watch': {
      const t = traceeOf(w);
      if (t === undefined) return false;
      patchTask(w, { watch: e.addr }, t.id);
      if (t.id === w.k.current) setCpu(w, { watch: e.addr });
      return true;
    }
    case 'tracer.break': {
      // A ptrace hw_breakpoint of type X86_BREAKPOINT_EXECUTE; arch_build_bp_info refuses a
      // kernel address for a user breakpoint (arch/x86/kernel/hw_breakpoint.c): only the user half.
      const t = traceeOf(w);
      if (t === undefined || e.addr >= taskSizeMax(w.cpu.paging)) return false;
      patchTask(w, { breakAt: e.addr }, t.id);
      if (t.id === w.k.current) setCpu(w, { breakAt: e.addr });
      return true;
    }
    case 'tracer.detach': {
      const t = traceeOf(w);
      if (t === undefined) return false;
      detach(c, w, t);
      return true;
    }
    case 'sched.wake': {
      const t = w.k.tasks[e.task];
      if (t === undefined || t.mode !== 'blocked' || t.wait !== 'nanosleep') return false;
      wakeUp(w, e.task);
      return true;
    }
    case 'sched.signal': {
      const t = w.k.tasks[e.task];
      if (t === undefined || e.task === 0 || t.mode === 'dead' || e.signal < 1 || e.signal > 31) return false;
      sendSig(w, e.task, e.signal, 0, 0n);
      return true;
    }
  }
}
