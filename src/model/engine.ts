/**
 * The kernel's micro-steps, run until user mode on the working machine (machine.ts), with an
 * instruction boundary (delivery.ts) before each.
 * What happened is data: observations in `w.out`, and in `w.rec` the micro-transitions, fork
 * points and probe verdicts the run asked for.
 */
import { boundaryEvent, cpl, retireOwned, rf, type CpuState } from '../isa/index.ts';
import { boundary, currentTask, deliverFault } from './delivery.ts';
import { isStepFault, KernelCorruption, type KernelImpl, type MicroStep } from './kernel-api.ts';
import type { Machine } from './machine.ts';
import { receptionKey } from './reception.ts';
import { EDGE_MAP_SIZE, ENTERS_PROGRAM, TAKES_IRQ, TAKES_NMI, type Recording } from './recording.ts';
import type { Activation, MachineState, Task } from './state.ts';

/** Distance between consecutive micro-step addresses. */
export const STEP_BYTES = 4n;

/** Default step bound per kernel run. */
export const DEFAULT_MAX_STEPS = 4000;

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
  if (rec.boundaries !== null && last !== undefined && last.path !== s.path) programBoundary(rec.boundaries, w.clock);
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
    const n = edges[key] as number;
    if (n === 0) (rec.touched as number[]).push(key);
    if (n !== 255) edges[key] = n + 1;
    rec.prevStep = s.id;
  }
  // An instruction in an interrupt shadow: what a held IRQ would meet before it. Only an NMI's
  // IRET, which ends the shadow, lets the IRQ in there (SDM Vol. 3 6.8.3, 6.9); it meets another
  // state than one boundary later only if this instruction changes the reception key.
  const held = shadow0 !== 'none' && rec.shadowed !== null ? receptionKey(w, K) : null;
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
  if (held !== null && receptionKey(w, K) !== held) rec.shadowed?.push([rec.event, w.clock]);
  w.clock += 1;
  // The boundary after this step has the clock the next step will run at (the clock an
  // interrupt's `after` counts to, as for `shadowed`).
  if (rec.boundaries !== null) rec.boundaries.push([rec.event, w.clock, takenAt(w.cpu)]);
  rec.microSteps++;
  if (rec.micro !== null && before !== null) rec.micro.push({ event: rec.event, rip, step: s, before, after: w.snapshot() });
  if (rec.probes.length > 0) probe(w, rec, s, rip, before);
}

/** Marks the boundary at `clock`, just recorded after the last step, as one between two programs. */
function programBoundary(bs: Array<readonly [number, number, number]>, clock: number): void {
  const b = bs[bs.length - 1];
  if (b !== undefined && b[1] === clock) bs[bs.length - 1] = [b[0], b[1], b[2] | ENTERS_PROGRAM];
}

/** Which interrupts the CPU would take at once at this boundary (Recording.boundaries' bits). */
function takenAt(c: CpuState): number {
  return (boundaryEvent(c, false, true) === 'irq' ? TAKES_IRQ : 0) | (boundaryEvent(c, true, false) === 'nmi' ? TAKES_NMI : 0);
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
