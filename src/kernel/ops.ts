/**
 * The small operations kernel micro-steps are written with: read the current task, its
 * innermost activation and pt_regs; write them, per-CPU data, registers and flags in place on
 * the working machine; jump, call and return. A write never changes a snapshot (machine.ts).
 */
import { rf, type CpuState, type ExecResult, type Regs } from '../isa/index.ts';
import {
  currentTask, KernelCorruption, ptBit,
  type Activation, type FailureKind, type Machine, type MachineState, type Notes, type PerCpu, type PtField, type PtRegs,
  type StepFault, type Task,
} from '../model/index.ts';

export { currentTask as cur };

/** Replaces fields of task `id` (default: the current task). */
export function patchTask(w: Machine, p: Partial<Task>, id = w.k.current): void {
  Object.assign(w.taskW(id), p);
}

/** The current task's innermost activation. */
export function act(m: MachineState): Activation | undefined {
  const acts = currentTask(m).acts;
  return acts[acts.length - 1];
}

/** Adds notes to the current task's innermost activation. */
export function note(w: Machine, n: Notes): void {
  const notes = w.notesW(w.k.current);
  if (notes !== undefined) Object.assign(notes, n);
}

/** A scratch value of the innermost activation. */
export function scratch(m: MachineState, key: string): bigint | number | boolean | undefined {
  return act(m)?.notes.scratch?.[key];
}

/** Sets scratch values of the innermost activation. */
export function setScratch(w: Machine, s: Record<string, bigint | number | boolean>): void {
  note(w, { scratch: { ...act(w)?.notes.scratch, ...s } });
}

/** Ends the innermost activation (its SYSRET/SYSEXIT/IRET has completed). */
export function popAct(w: Machine): void {
  w.actsW(w.k.current).pop();
}

/** Replaces CPU fields. */
export function setCpu(w: Machine, p: Partial<CpuState>): void {
  Object.assign(w.cpuW(), p);
}

/** Replaces registers. */
export function setRegs(w: Machine, p: Partial<Regs>): void {
  Object.assign(w.regsW(), p);
}

/** Sets RIP (a jump). */
export function jump(w: Machine, to: bigint): void {
  w.regsW().rip = to;
}

/** Calls a kernel subroutine: pushes the return address on the task's call stack and jumps. */
export function call(w: Machine, to: bigint, ret: bigint): void {
  w.callsW(w.k.current).push(ret);
  jump(w, to);
}

/** Returns from a kernel subroutine. */
export function ret(w: Machine): void {
  const calls = currentTask(w).calls;
  const to = calls[calls.length - 1];
  if (to === undefined) throw new KernelCorruption('ret with an empty call stack');
  w.callsW(w.k.current).pop();
  jump(w, to);
}

/** IF off (cli). */
export function cli(w: Machine): void {
  if ((rf.flagBits(w.cpu.rflags) & rf.IF_BIT) !== 0) w.cpuW().rflags = w.cpu.rflags & ~rf.IF;
}

/** IF on, without a shadow (finish_task_switch's raw_spin_unlock_irq in C). */
export function sti(w: Machine): void {
  if ((rf.flagBits(w.cpu.rflags) & rf.IF_BIT) === 0) w.cpuW().rflags = w.cpu.rflags | rf.IF;
}

/** True when maskable interrupts are enabled. */
export const irqsOn = (m: MachineState): boolean => (rf.flagBits(m.cpu.rflags) & rf.IF_BIT) !== 0;

/** Writes pt_regs fields of task `id` (default: current), marking them written. */
export function writePt(w: Machine, p: Partial<PtRegs>, id = w.k.current): void {
  const regs = w.ptW(id);
  const t = w.taskW(id);
  for (const f in p) {
    regs[f as PtField] = p[f as PtField] as bigint;
    t.written |= ptBit(f as PtField);
  }
}

/** Current task's pt_regs. */
export const pt = (m: MachineState): PtRegs => currentTask(m).regs;

/** Replaces per-CPU fields. */
export function setPercpu(w: Machine, p: Partial<PerCpu>): void {
  Object.assign(w.percpuW(), p);
}

/** Sets and clears thread flags of task `id` (default: current). */
export function tif(w: Machine, set: number, clear = 0, id = w.k.current): void {
  const t = w.k.tasks[id] as Task;
  const v = (t.tif | set) & ~clear;
  if (v !== t.tif) w.taskW(id).tif = v;
}

/** Installs an ISA instruction's result; a fault is returned for the engine to deliver at this step. */
export function isa(w: Machine, r: ExecResult): StepFault | undefined {
  w.setCpu(r.cpu);
  w.setMem(r.mem);
  return r.fault ? { fault: r.fault } : undefined;
}

/** Stops the machine with a kernel failure (an oops the design cannot survive). */
export function halt(w: Machine, what: FailureKind, detail: string): void {
  w.halt({ kind: 'kernel-failure', what, detail });
}

/** A WARN: recorded as a kernel failure observation, but the machine goes on. */
export function warn(w: Machine, detail: string): void {
  w.emit({ kind: 'kernel-failure', what: 'bug', detail: `WARNING: ${detail}` });
}

/** Swaps GS base and KERNEL_GS_BASE (what SWAPGS does, for paths that model it inline). */
export function swapGsBases(w: Machine): void {
  const c = w.cpuW();
  const g = c.gsBase;
  c.gsBase = c.kernelGsBase;
  c.kernelGsBase = g;
}
