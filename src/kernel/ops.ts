/**
 * Small pure helpers kernel micro-steps are written with: read and replace the current task,
 * its innermost activation, pt_regs, per-CPU data, registers, flags, and jumps/calls.
 */
import type { CpuState, ExecResult, Regs } from '../isa/index.ts';
import { rf } from '../isa/index.ts';
import {
  currentTask, halt as stop, ptBit, withTask,
  type Activation, type FailureKind, type MachineState, type Notes, type Observation, type PerCpu, type PtField, type PtRegs,
  type StepOut, type Task,
  KernelCorruption,
} from '../model/index.ts';

export { currentTask as cur, withTask };

/** Replaces fields of the current task. */
export function patchCur(m: MachineState, p: Partial<Task>): MachineState {
  return withTask(m, { ...currentTask(m), ...p });
}

/** Replaces fields of task `id`. */
export function patchTask(m: MachineState, id: number, p: Partial<Task>): MachineState {
  return withTask(m, { ...(m.k.tasks[id] as Task), ...p });
}

/** The current task's innermost activation. */
export function act(m: MachineState): Activation | undefined {
  const acts = currentTask(m).acts;
  return acts[acts.length - 1];
}

/** Adds notes to the innermost activation. */
export function note(m: MachineState, n: Notes): MachineState {
  const t = currentTask(m);
  const top = t.acts[t.acts.length - 1];
  if (top === undefined) return m;
  const acts = t.acts.slice(0, -1);
  acts.push({ ...top, notes: { ...top.notes, ...n } });
  return withTask(m, { ...t, acts });
}

/** A scratch value of the innermost activation. */
export function scratch(m: MachineState, key: string): bigint | number | boolean | undefined {
  return act(m)?.notes.scratch?.[key];
}

/** Sets scratch values of the innermost activation. */
export function setScratch(m: MachineState, s: Record<string, bigint | number | boolean>): MachineState {
  return note(m, { scratch: { ...act(m)?.notes.scratch, ...s } });
}

/** Ends the innermost activation (its SYSRET/SYSEXIT/IRET has completed). */
export function popAct(m: MachineState): MachineState {
  const t = currentTask(m);
  return withTask(m, { ...t, acts: t.acts.slice(0, -1) });
}

/** Replaces CPU fields. */
export function setCpu(m: MachineState, p: Partial<CpuState>): MachineState {
  return { ...m, cpu: { ...m.cpu, ...p } };
}

/** Replaces registers. */
export function setRegs(m: MachineState, p: Partial<Regs>): MachineState {
  return { ...m, cpu: { ...m.cpu, regs: { ...m.cpu.regs, ...p } } };
}

/** Sets RIP (a jump). */
export function jump(m: MachineState, to: bigint): MachineState {
  return setRegs(m, { rip: to });
}

/** Calls a kernel subroutine: pushes the return address on the task's call stack and jumps. */
export function call(m: MachineState, to: bigint, ret: bigint): MachineState {
  const t = currentTask(m);
  return jump(withTask(m, { ...t, calls: [...t.calls, ret] }), to);
}

/** Returns from a kernel subroutine. */
export function ret(m: MachineState): MachineState {
  const t = currentTask(m);
  const to = t.calls[t.calls.length - 1];
  if (to === undefined) throw new KernelCorruption('ret with an empty call stack');
  return jump(withTask(m, { ...t, calls: t.calls.slice(0, -1) }), to);
}

/** IF off (cli) / on (sti: opens an STI shadow, so the step must be marked insn). */
export function cli(m: MachineState): MachineState {
  return setCpu(m, { rflags: m.cpu.rflags & ~rf.IF });
}

/** True when maskable interrupts are enabled. */
export const irqsOn = (m: MachineState): boolean => (m.cpu.rflags & rf.IF) !== 0n;

/** Writes pt_regs fields of task `id` (default: current), marking them written. */
export function writePt(m: MachineState, p: Partial<PtRegs>, id = m.k.current): MachineState {
  const t = m.k.tasks[id] as Task;
  let written = t.written;
  for (const f of Object.keys(p)) written |= ptBit(f as PtField);
  return withTask(m, { ...t, regs: { ...t.regs, ...p }, written });
}

/** Current task's pt_regs. */
export const pt = (m: MachineState): PtRegs => currentTask(m).regs;

/** Replaces per-CPU fields. */
export function setPercpu(m: MachineState, p: Partial<PerCpu>): MachineState {
  return { ...m, k: { ...m.k, percpu: { ...m.k.percpu, ...p } } };
}

/** Sets and clears thread flags of task `id` (default: current). */
export function tif(m: MachineState, set: number, clear = 0, id = m.k.current): MachineState {
  const t = m.k.tasks[id] as Task;
  const v = (t.tif | set) & ~clear;
  return v === t.tif ? m : withTask(m, { ...t, tif: v });
}

/** Turns an ISA instruction's result into a micro-step result (a fault is delivered at this step). */
export function isa(m: MachineState, r: ExecResult): StepOut {
  if (r.fault) return { fault: r.fault, m: { ...m, cpu: r.cpu, mem: r.mem } };
  return { ...m, cpu: r.cpu, mem: r.mem };
}

/** Stops the machine with a kernel failure (an oops the design cannot survive). */
export function halt(m: MachineState, emit: (o: Observation) => void, what: FailureKind, detail: string): MachineState {
  return stop(m, { kind: 'kernel-failure', what, detail }, emit);
}

/** A WARN: recorded as a kernel failure observation, but the machine goes on. */
export function warn(emit: (o: Observation) => void, detail: string): void {
  emit({ kind: 'kernel-failure', what: 'bug', detail: `WARNING: ${detail}` });
}
