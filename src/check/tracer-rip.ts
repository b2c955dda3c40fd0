/**
 * Tasks whose RIP a tracer chose: a PTRACE_SETREGS that wrote RIP moves a stopped tracee by hand,
 * so what it does next (where it resumes, whether it makes progress) is the tracer's doing.
 */
import type { Transition } from './invariant.ts';

/**
 * The ids of the tasks whose RIP this transition's tracer write set: the stopped tracee after a
 * `tracer.setRegs` with `rip` that was applied (the kernel runs to the stop within the same
 * step, so the tracee is looked up after it). Empty for any other transition.
 */
export function ripWrittenByTracer(t: Transition): number[] {
  if (t.event?.type !== 'tracer.setRegs' || t.skipped || t.event.regs.rip === undefined) return [];
  return t.after.k.tasks.filter((x) => x.ptrace.attached && x.mode === 'stopped').map((x) => x.id);
}
