/**
 * The machine's clock: instruction boundaries, hardware events arriving at them, event delivery,
 * and the kernel's micro-steps running until user mode. Pure: each function returns a new state;
 * observations go to the `emit` callback of the caller.
 */
import {
  boundaryEvent, cpl, deliverEvent, faultDelivery, fault as isaFault, retire, VEC,
  type CpuState, type Delivery, type Fault,
} from '../isa/index.ts';
import { isStepFault, KernelCorruption, type Exec, type KernelImpl, type MicroStep } from './kernel-api.ts';
import type { Observation, ReturnVia } from './observations.ts';
import type { Activation, Armed, HwFacts, HwState, MachineState, Task } from './state.ts';

/** Distance between consecutive micro-step addresses. */
export const STEP_BYTES = 4n;

/** Options of a run. */
export interface EngineOptions {
  /** Micro-steps allowed per kernel run before the kernel is declared hung. */
  readonly maxSteps: number;
  /** Called at each step marked as a SYSRET/SYSRETL/SYSEXIT fork point, with the state before it. */
  readonly onFork?: (m: MachineState, via: ReturnVia) => void;
  /** Called after each kernel micro-step (for --verbose traces). */
  readonly onMicro?: (before: MachineState, step: MicroStep, after: MachineState) => void;
}

/** Default step bound per kernel run. */
export const DEFAULT_MAX_STEPS = 4000;

/** The task running on the CPU (the idle task is task 0). */
export function currentTask(m: MachineState): Task {
  return m.k.tasks[m.k.current] as Task;
}

/** Replaces one task. */
export function withTask(m: MachineState, t: Task): MachineState {
  const tasks = m.k.tasks.slice();
  tasks[t.id] = t;
  return { ...m, k: { ...m.k, tasks } };
}

/** Stops the machine with a kernel failure. */
export function halt(m: MachineState, o: Observation & { kind: 'kernel-failure' }, emit: (o: Observation) => void): MachineState {
  emit(o);
  return { ...m, k: { ...m.k, halted: o } };
}

/** One instruction boundary has passed: every armed countdown moves one step closer. */
export function tick(m: MachineState): MachineState {
  const armed = m.hw.armed;
  if (armed.length === 0) return { ...m, clock: m.clock + 1 };
  const next: Armed[] = armed.map((a) => (a.remaining > 0 ? { ...a, remaining: a.remaining - 1 } : a));
  return { ...m, clock: m.clock + 1, hw: { ...m.hw, armed: next } };
}

/** Applies the remote LDT writes that are due (another CPU clears the entry's present bit). */
function fireLdt(m: MachineState): MachineState {
  // Runs at every boundary: test before allocating (nothing is armed in most states).
  if (!m.hw.armed.some((a) => a.remaining === 0 && a.kind === 'ldt')) return m;
  const due = m.hw.armed.filter((a) => a.remaining === 0 && a.kind === 'ldt');
  const ldt: Record<number, import('../isa/index.ts').Descriptor> = { ...m.cpu.tables.ldt };
  for (const a of due) { const d = ldt[a.vector]; if (d) ldt[a.vector] = { ...d, present: false }; }
  return { ...m, cpu: { ...m.cpu, tables: { ...m.cpu.tables, ldt } } };
}

/** Fires the countdowns that reached 0: an IRQ line is asserted, an NMI latched (at most one). */
function fire(hw: HwState): HwState {
  if (!hw.armed.some((a) => a.remaining === 0)) return hw;
  let irq = hw.irq;
  let nmi = hw.nmi;
  for (const a of hw.armed) {
    if (a.remaining !== 0) continue;
    if (a.kind === 'nmi') nmi = true;
    else if (a.kind === 'irq' && !irq.includes(a.vector)) irq = [...irq, a.vector].sort((x, y) => x - y);
  }
  return { ...hw, armed: hw.armed.filter((a) => a.remaining !== 0), irq, nmi };
}

/**
 * Delivers an event through the IDT and records the activation it starts on the current task.
 * A delivery that cannot complete (a fault while delivering #DF) is a shutdown.
 */
export function deliverAt(m: MachineState, d: Delivery, emit: (o: Observation) => void, db?: HwFacts['db']): MachineState {
  const r = deliverEvent(m.cpu, m.mem, d);
  if (!r.ok) return halt({ ...m, cpu: r.cpu }, { kind: 'kernel-failure', what: 'shutdown', detail: `triple fault delivering vector ${d.vector}` }, emit);
  const t = currentTask(m);
  const act: Activation = {
    id: m.k.nextActId, cause: 'idt', vector: r.delivered.vector, fromUser: r.frame.privilegeChange,
    frame: r.frame, interrupted: d.rip, hw: { ...hwFacts(r.delivered, db), rsp: m.cpu.regs.rsp }, notes: {},
  };
  const task: Task = act.fromUser ? { ...t, acts: [...t.acts, act], mode: 'kernel', written: 0 } : { ...t, acts: [...t.acts, act] };
  const next: MachineState = { ...m, cpu: r.cpu, mem: r.mem, k: { ...m.k, nextActId: m.k.nextActId + 1, idle: false } };
  return withTask(next, task);
}

/** The facts an activation records from its delivery. */
export function hwFacts(d: Delivery, db?: HwFacts['db']): HwFacts {
  return {
    ...(d.cr2 !== undefined && d.vector === VEC.PF ? { cr2: d.cr2 } : {}),
    ...(d.error !== undefined ? { error: d.error } : {}),
    ...(db !== undefined && d.vector === VEC.DB ? { db } : {}),
  };
}

/** Delivers a fault raised by the instruction at `rip` (user instruction or micro-step). */
export function deliverFault(m: MachineState, cpu: CpuState, f: Fault, rip: bigint, emit: (o: Observation) => void): MachineState {
  const dropped = isaFault(cpu, m.mem, f).cpu;
  return deliverAt({ ...m, cpu: dropped }, faultDelivery(f, rip), emit);
}

/**
 * An instruction boundary: fire due countdowns, then take what the CPU takes here, highest
 * priority first (single-step/data #DB, NMI, IRQ), possibly several in a row.
 */
export function boundary(m0: MachineState, emit: (o: Observation) => void): MachineState {
  let m = fireLdt(m0);
  const hw = fire(m.hw);
  if (hw !== m.hw) m = { ...m, hw };
  for (let i = 0; i < 8 && m.k.halted === null; i++) {
    const ev = boundaryEvent(m.cpu, m.hw.nmi, m.hw.irq.length > 0);
    if (ev === null) break;
    const rip = m.cpu.regs.rip;
    if (ev === 'db') m = deliverAt(m, { vector: VEC.DB, kind: 'trap', rip }, emit, m.cpu.pendingDb?.cause);
    else if (ev === 'nmi') m = deliverAt({ ...m, hw: { ...m.hw, nmi: false, nmiDelivered: m.hw.nmiDelivered + 1, nmiLastDelivered: m.clock } }, { vector: VEC.NMI, kind: 'nmi', rip }, emit);
    else {
      const [vector, ...rest] = m.hw.irq;
      m = deliverAt({ ...m, hw: { ...m.hw, irq: rest } }, { vector: vector as number, kind: 'interrupt', rip }, emit);
    }
  }
  return m;
}

/** Runs the kernel micro-step at RIP. */
export function microStep(m: MachineState, K: KernelImpl, emit: (o: Observation) => void, opts: EngineOptions): MachineState {
  const rip = m.cpu.regs.rip;
  const s = K.at(rip);
  if (s === undefined) {
    return halt(m, { kind: 'kernel-failure', what: 'unhandled-fault', detail: `CPL 0 executing at 0x${rip.toString(16)}, which is not kernel text` }, emit);
  }
  if (s.percpu && m.cpu.gsBase !== K.percpuBase) {
    return halt(m, { kind: 'kernel-failure', what: 'user-gs', detail: `${K.describe(rip)} uses per-CPU data with GS base 0x${m.cpu.gsBase.toString(16)}` }, emit);
  }
  if (s.stack && !K.isKernelStack(m.cpu.regs.rsp)) {
    return halt(m, { kind: 'kernel-failure', what: 'user-stack', detail: `${K.describe(rip)} runs on RSP 0x${m.cpu.regs.rsp.toString(16)}, not a kernel stack` }, emit);
  }
  if (s.fork !== undefined && opts.onFork) opts.onFork(m, s.fork);
  const x: Exec = { emit, next: s.next ?? rip + STEP_BYTES };
  let out;
  try {
    out = s.run(m, x);
  } catch (e) {
    if (!(e instanceof KernelCorruption)) throw e;
    return tick(halt(m, { kind: 'kernel-failure', what: 'bug', detail: `${K.describe(rip)}: ${e.message}` }, emit));
  }
  let after: MachineState;
  if (isStepFault(out)) after = deliverFault(out.m, out.m.cpu, out.fault, rip, emit);
  else {
    // One new CPU object for the end-of-instruction bookkeeping and the fall-through RIP.
    let cpu = s.insn ? out.cpu : retire(m.cpu, out.cpu);
    if (cpu.regs.rip === rip) cpu = { ...cpu, regs: { ...cpu.regs, rip: x.next } };
    after = cpu === out.cpu ? out : { ...out, cpu };
    if ((cpu.cs.sel & 3) === 3 && (m.cpu.cs.sel & 3) !== 3) after = settleMode(after);
  }
  const ticked = tick(after);
  if (opts.onMicro) opts.onMicro(m, s, ticked);
  return ticked;
}

/** A return to CPL 3 makes the current task a user-mode task again (the caller saw CPL 0 -> 3). */
function settleMode(after: MachineState): MachineState {
  const t = currentTask(after);
  return t.mode === 'user' ? after : withTask(after, { ...t, mode: 'user' });
}

/**
 * Runs the kernel until user code of the current task is next, the CPU idles with nothing armed
 * (quiescent), or the kernel halts. While idle, time passes: armed events fire.
 */
export function runKernel(m0: MachineState, K: KernelImpl, emit: (o: Observation) => void, opts: EngineOptions): MachineState {
  let m = m0;
  for (let n = 0; ; n++) {
    if (m.k.halted !== null) return m;
    m = boundary(m, emit);
    if (m.k.halted !== null) return m;
    if (cpl(m.cpu) === 3) return m;
    if (m.k.idle) {
      if (m.hw.armed.length === 0) return m;
      const soonest = Math.min(...m.hw.armed.map((a) => a.remaining));
      m = { ...m, clock: m.clock + soonest, hw: { ...m.hw, armed: m.hw.armed.map((a) => ({ ...a, remaining: a.remaining - soonest })) } };
      continue;
    }
    if (n >= opts.maxSteps) {
      return halt(m, { kind: 'kernel-failure', what: 'hang', detail: `no return to user mode within ${opts.maxSteps} kernel steps (at ${K.describe(m.cpu.regs.rip)})` }, emit);
    }
    m = microStep(m, K, emit, opts);
  }
}
