/**
 * The machine's clock: instruction boundaries, hardware events arriving at them, event delivery,
 * and the kernel's micro-steps running until user mode, all on the working machine (machine.ts).
 * What happened is data: observations in `w.out`, and in `w.rec` the micro-transitions, fork
 * points and probe verdicts the run asked for.
 */
import {
  boundaryEvent, cpl, deliverEvent, faultDelivery, fault as isaFault, retireOwned, rf, VEC,
  type CpuState, type Delivery, type Fault,
} from '../isa/index.ts';
import { isStepFault, KernelCorruption, type KernelImpl, type MicroStep } from './kernel-api.ts';
import { EDGE_MAP_SIZE, type Machine, type Mut, type Recording } from './machine.ts';
import type { Activation, Armed, HwFacts, MachineState, Task } from './state.ts';

/** Distance between consecutive micro-step addresses. */
export const STEP_BYTES = 4n;

/** Default step bound per kernel run. */
export const DEFAULT_MAX_STEPS = 4000;

/** The task running on the CPU (the idle task is task 0). */
export function currentTask(m: MachineState): Task {
  return m.k.tasks[m.k.current] as Task;
}

/** Fires the hardware countdowns that are due: an IRQ line asserted, an NMI latched, an LDT entry cleared. */
function fireDue(w: Machine): void {
  const armed = w.hw.armed;
  if (armed.length === 0) return;
  const now = w.clock;
  let due = false;
  // Indexed loops: this runs at every boundary.
  for (let i = 0; i < armed.length; i++) if ((armed[i] as Armed).due <= now) { due = true; break; }
  if (!due) return;
  const hw = w.hwW();
  let irq = hw.irq;
  for (let i = 0; i < armed.length; i++) {
    const a = armed[i] as Armed;
    if (a.due > now) continue;
    if (a.kind === 'nmi') hw.nmi = true;
    else if (a.kind === 'mce') hw.mce = true;
    else if (a.kind === 'irq') { if (!irq.includes(a.vector)) irq = withLine(irq, a.vector); }
    else {
      // Another CPU clears the entry's present bit in place (pre-4.3 modify_ldt), CVE-2015-5157.
      const c = w.cpuW();
      const d = c.tables.ldt[a.vector];
      if (d) c.tables = { ...c.tables, ldt: { ...c.tables.ldt, [a.vector]: { ...d, present: false } } };
    }
  }
  hw.irq = irq;
  const rest: Armed[] = [];
  for (let i = 0; i < armed.length; i++) if ((armed[i] as Armed).due > now) rest.push(armed[i] as Armed);
  hw.armed = rest;
}

/**
 * The asserted IRQ lines with `v` added in ascending order: what sorting a copy gives, without
 * Array.prototype.sort (which allocates about a kilobyte of work space even for two elements).
 */
function withLine(irq: readonly number[], v: number): number[] {
  const out: number[] = [];
  let i = 0;
  for (; i < irq.length && (irq[i] as number) < v; i++) out.push(irq[i] as number);
  out.push(v);
  for (; i < irq.length; i++) out.push(irq[i] as number);
  return out;
}

/** The facts an activation records from its delivery (RSP at the event too, when given). */
export function hwFacts(d: Delivery, db?: HwFacts['db'], rsp?: bigint): Mut<HwFacts> {
  // Added one by one, not spread: the same key order, without a hidden class per spread site.
  const h: Mut<HwFacts> = {};
  if (d.cr2 !== undefined && d.vector === VEC.PF) h.cr2 = d.cr2;
  if (d.error !== undefined) h.error = d.error;
  if (db !== undefined && d.vector === VEC.DB) h.db = db;
  if (rsp !== undefined) h.rsp = rsp;
  return h;
}

/** Entry counter keys of the IDT vectors, made once (not a new string per entry). */
const IDT_KEYS: readonly string[] = Array.from({ length: 256 }, (_, v) => `idt:${v}`);

/** Starts an activation on the current task (entering the kernel from user mode makes it a kernel task). */
export function pushActivation(w: Machine, act: Omit<Activation, 'id'>): void {
  const k = w.kW();
  const id = k.nextActId;
  k.nextActId = id + 1;
  k.idle = false;
  const t = w.taskW(k.current);
  const acts = w.actsW(k.current);
  // Field by field, in the order a spread gives: `{ ...act, id }` makes V8 (Node 20) mint a new
  // hidden class per activation, and every read of an activation then misses its inline cache.
  acts.push({
    cause: act.cause, vector: act.vector, fromUser: act.fromUser, frame: act.frame, interrupted: act.interrupted, hw: act.hw,
    notes: act.notes, id,
  });
  if (act.fromUser) { t.mode = 'kernel'; t.written = 0; }
  const rec = w.rec;
  const key = act.cause === 'idt' ? (IDT_KEYS[act.vector] ?? `idt:${act.vector}`) : act.cause;
  rec.entries[key] = (rec.entries[key] ?? 0) + 1;
  if (acts.length > rec.maxDepth) rec.maxDepth = acts.length;
}

/**
 * Delivers an event through the IDT and records the activation it starts on the current task.
 * A delivery that cannot complete (a fault while delivering #DF) is a shutdown.
 */
export function deliverAt(w: Machine, d: Delivery, db?: HwFacts['db']): void {
  const rsp = w.cpu.regs.rsp;
  const r = deliverEvent(w.cpu, w.mem, d);
  w.setCpu(r.cpu);
  if (!r.ok) {
    w.halt({ kind: 'kernel-failure', what: 'shutdown', detail: `triple fault delivering vector ${d.vector}` });
    return;
  }
  w.writeQs(r.pushed.at, r.pushed.values);
  pushActivation(w, {
    cause: 'idt', vector: r.delivered.vector, fromUser: r.frame.privilegeChange, frame: r.frame,
    interrupted: d.rip, hw: hwFacts(r.delivered, db, rsp), notes: {},
  });
}

/** Delivers a fault raised by the instruction at `rip` (user instruction or micro-step). */
export function deliverFault(w: Machine, f: Fault, rip: bigint): void {
  w.setCpu(isaFault(w.cpu, w.mem, f).cpu);
  deliverAt(w, faultDelivery(f, rip));
}

/**
 * An instruction boundary: fire due countdowns, then take what the CPU takes here, highest
 * priority first (single-step/data #DB, NMI, IRQ), possibly several in a row.
 */
export function boundary(w: Machine): void {
  fireDue(w);
  for (let i = 0; i < 8 && w.k.halted === null; i++) {
    const ev = boundaryEvent(w.cpu, w.hw.nmi, w.hw.irq.length > 0, w.hw.mce);
    if (ev === null) break;
    const rip = w.cpu.regs.rip;
    // A machine check whose RIP is valid (RIPV) is taken at the boundary like an abort without an
    // error code (SDM Vol. 3 6.15, "Interrupt 18"; the model's #MC is the action-optional kind).
    if (ev === 'mce') {
      const hw = w.hwW();
      hw.mce = false;
      // The model's world raises no machine check (it is discarded) where no entry code can
      // survive one: while MCIP is set, a shutdown (SDM Vol. 3B 16.3.1.2); until the first #MC's
      // IRET, which would reuse its IST stack; while an NMI is handled, as #MC's IRET unblocks
      // NMIs and a second NMI can overwrite the first one's IST frame before "NMI executing" is
      // set, a window only FRED's ERETS closes (README, "What the model leaves out").
      if (hw.mcip || w.cpu.nmiBlocked || currentTask(w).acts.some((a) => a.cause === 'idt' && a.vector === VEC.MC)) continue;
      hw.mcip = true;
      // A machine check outranks the previous instruction's debug traps (SDM Vol. 3 6.9, Table
      // 6-2): lower-priority exceptions are discarded, and a single step comes again after the
      // instruction the handler returns to.
      if (w.cpu.pendingDb !== null) w.setCpu({ ...w.cpu, pendingDb: null });
      deliverAt(w, { vector: VEC.MC, kind: 'abort', rip });
    }
    else if (ev === 'db') deliverAt(w, { vector: VEC.DB, kind: 'trap', rip }, w.cpu.pendingDb?.cause);
    else if (ev === 'nmi') {
      const hw = w.hwW();
      hw.nmi = false;
      hw.nmiDelivered += 1;
      hw.nmiLastDelivered = w.clock;
      deliverAt(w, { vector: VEC.NMI, kind: 'nmi', rip });
    } else {
      const hw = w.hwW();
      // slice, not `[vector, ...rest]` (the iterator protocol allocates).
      const vector = hw.irq[0];
      hw.irq = hw.irq.slice(1);
      deliverAt(w, { vector: vector as number, kind: 'interrupt', rip });
    }
  }
}

/** Records a fork point: the state before the first step of a fast exit. */
function recordFork(w: Machine, rec: Recording, s: MicroStep): void {
  if (rec.forks === null || s.fork === undefined) return;
  const f = { event: rec.event, via: s.fork, state: w.snapshot(), obsIndex: rec.obsBase + w.out.length, returnClock: -1 };
  rec.forks.push(f);
  rec.openFork = f;
}

/** Evaluates the run's probes after a micro-step; the first failure of each is kept. */
function probe(w: Machine, rec: Recording, s: MicroStep, rip: bigint, before: MachineState | null): void {
  for (let i = 0; i < rec.probes.length; i++) {
    if (rec.probeFailed[i] === true) continue;
    const p = rec.probes[i] as Recording['probes'][number];
    const v = p.check(w, s, before, rec.event);
    if (v !== true) {
      rec.probeFailed[i] = true;
      rec.probeFailures.push({ probe: i, event: rec.event, rip, step: s, message: v });
    }
  }
}

/** Runs the kernel micro-step at RIP. */
export function microStep(w: Machine, K: KernelImpl): void {
  const rec = w.rec;
  const rip = w.cpu.regs.rip;
  const last = w.lastStep;
  let s: MicroStep | undefined;
  if (last === undefined) s = K.at(rip);
  else if (last.next === rip && last.following !== undefined) s = last.following;
  else if (last.jumpRip === rip) s = last.jumpTo;
  else {
    s = K.at(rip);
    last.jumpRip = rip;
    last.jumpTo = s;
  }
  if (s === undefined) {
    w.halt({ kind: 'kernel-failure', what: 'unhandled-fault', detail: `CPL 0 executing at 0x${rip.toString(16)}, which is not kernel text` });
    return;
  }
  w.lastStep = s;
  if (s.percpu && w.cpu.gsBase !== K.percpuBase) {
    w.halt({ kind: 'kernel-failure', what: 'user-gs', detail: `${K.describe(rip)} uses per-CPU data with GS base 0x${w.cpu.gsBase.toString(16)}` });
    return;
  }
  if (s.stack && !K.isKernelStack(w.cpu.regs.rsp)) {
    w.halt({ kind: 'kernel-failure', what: 'user-stack', detail: `${K.describe(rip)} runs on RSP 0x${w.cpu.regs.rsp.toString(16)}, not a kernel stack` });
    return;
  }
  if (s.fork !== undefined) recordFork(w, rec, s);
  const before = rec.micro !== null || rec.probeBefore ? w.snapshot() : null;
  // What the end-of-instruction bookkeeping needs from the state before the step.
  const c0 = w.cpu;
  const flags0 = c0.rflags;
  const pending0 = c0.pendingDb;
  const shadow0 = c0.shadow;
  const wasUser = (c0.cs.sel & 3) === 3;
  // Values, not the array: the step may pop the activation in place.
  const task0 = w.k.current;
  const acts0 = (w.k.tasks[task0] as Task).acts;
  const depth0 = acts0.length;
  const top0 = acts0[depth0 - 1];
  const edges = rec.edges;
  if (edges !== null) {
    // AFL-style edge coverage: where the kernel went from, to, and how deeply nested it was.
    const key = (Math.imul(rec.prevStep, 0x9e3779b1) ^ s.id ^ (depth0 << 13)) & (EDGE_MAP_SIZE - 1);
    if (edges[key] !== 255) edges[key] = (edges[key] as number) + 1;
    rec.prevStep = s.id;
  }
  let out;
  let corrupt = false;
  try {
    out = s.run(w, s);
  } catch (e) {
    if (!(e instanceof KernelCorruption)) throw e;
    w.halt({ kind: 'kernel-failure', what: 'bug', detail: `${K.describe(rip)}: ${e.message}` });
    corrupt = true;
  }
  if (isStepFault(out)) deliverFault(w, out.fault, rip);
  else if (!corrupt) {
    if (!s.insn) endOfInstruction(w, flags0, pending0, shadow0);
    const regs = w.cpu.regs;
    if (regs.rip === rip) w.regsW().rip = s.next;
    if (!wasUser && (w.cpu.cs.sel & 3) === 3) returnedToUser(w);
    else if (s.insn && !wasUser && w.k.current === task0 && top0 !== undefined) resumedKernel(w, task0, depth0, top0);
  }
  w.clock += 1;
  rec.microSteps++;
  if (rec.micro !== null && before !== null) rec.micro.push({ event: rec.event, rip, step: s, before, after: w.snapshot() });
  if (rec.probes.length > 0) probe(w, rec, s, rip, before);
}

/** RF, the shadow and a pending single-step trap at the end of a kernel instruction (isa/result.ts retire). */
function endOfInstruction(w: Machine, flags0: bigint, pending0: CpuState['pendingDb'], shadow0: CpuState['shadow']): void {
  const c = w.cpu;
  if ((rf.flagBits(flags0) & rf.TF_BIT) === 0 && pending0 === null && c.pendingDb === null && c.shadow === 'none' && (rf.flagBits(c.rflags) & rf.RF_BIT) === 0) return;
  // Into the machine's own CPU (a copy only if a snapshot still shares it), not a fresh copy.
  retireOwned({ rflags: flags0, pendingDb: pending0, shadow: shadow0 } as CpuState, w.cpuW());
}

/** An instruction at CPL 0 that ended an activation with a hardware frame: record where it resumed. */
function resumedKernel(w: Machine, task: number, depth0: number, ended: Activation): void {
  if ((w.k.tasks[task] as Task).acts.length !== depth0 - 1 || ended.frame === null) return;
  w.emit({ kind: 'kernel-resume', task, vector: ended.vector, interrupted: ended.interrupted, interruptedRsp: ended.hw.rsp, rip: w.cpu.regs.rip, rsp: w.cpu.regs.rsp });
}

/** A return to CPL 3 makes the current task a user-mode task again; an open fork learns when. */
function returnedToUser(w: Machine): void {
  const t = currentTask(w);
  if (t.mode !== 'user') w.taskW(t.id).mode = 'user';
  const f = w.rec.openFork;
  if (f !== null) { f.returnClock = w.clock; w.rec.openFork = null; }
}

/**
 * Runs the kernel until user code of the current task is next, the CPU idles with nothing armed
 * (quiescent), or the kernel halts. While idle, time passes: armed events fire.
 */
export function runKernel(w: Machine, K: KernelImpl, maxSteps = DEFAULT_MAX_STEPS): void {
  for (let n = 0; ; n++) {
    if (w.k.halted !== null) return;
    boundary(w);
    if (w.k.halted !== null) return;
    if (cpl(w.cpu) === 3) return;
    if (w.k.idle) {
      const armed = w.hw.armed;
      if (armed.length === 0) return;
      let soonest = Infinity;
      for (const a of armed) soonest = Math.min(soonest, a.due);
      if (soonest > w.clock) w.clock = soonest;
      continue;
    }
    if (n >= maxSteps) {
      w.halt({ kind: 'kernel-failure', what: 'hang', detail: `no return to user mode within ${maxSteps} kernel steps (at ${K.describe(w.cpu.regs.rip)})` });
      return;
    }
    microStep(w, K);
  }
}
