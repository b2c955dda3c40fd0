/**
 * Delivery at instruction boundaries: the hardware countdowns that fire there (an IRQ line
 * asserted, an NMI latched, an LDT entry cleared), then the highest-priority pending event
 * delivered through the IDT, which pushes a kernel activation. The kernel's own micro-steps
 * are in engine.ts.
 */
import {
  boundaryEvent, deliverEvent, faultDelivery, fault as isaFault, VEC,
  type Delivery, type Fault,
} from '../isa/index.ts';
import type { Machine, Mut } from './machine.ts';
import type { Activation, Armed, HwFacts, MachineState, Task } from './state.ts';

/** The task running on the CPU (the idle task is task 0). */
export function currentTask(m: MachineState): Task {
  return m.k.tasks[m.k.current] as Task;
}

/** The task a tracer is attached to, if any (the model has one tracer; a dead tracee is gone). */
export function traceeOf(m: MachineState): Task | undefined {
  return m.k.tasks.find((t) => t.ptrace.attached && t.mode !== 'dead');
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
