/**
 * What an interrupt's reception depends on, as a key: equal keys, the same handling. The CPU
 * delivers by IF and the CPL (SDM Vol. 3 6.8.1, 6.12.1: a same-privilege interrupt without IST
 * pushes its frame where RSP points); the entry then reads the GS base (SWAPGS or not) and the
 * nesting on the task. Used where an interrupt is worth placing (check/gen/hot-spots.ts) and
 * for the boundaries an STI or MOV SS shadow keeps a held IRQ from (engine.ts).
 */
import { cpl, rf, type CpuState } from '../isa/index.ts';
import type { KernelImpl } from './kernel-api.ts';
import type { KernelState } from './state.ts';

/** IF, CPL, whether the GS base is the kernel's, the kernel stack RSP is on (0: none), and the current task's nesting depth. */
export function receptionKey(m: { readonly cpu: CpuState; readonly k: KernelState }, K: KernelImpl): string {
  const c = m.cpu;
  const depth = m.k.tasks[m.k.current]?.acts.length ?? 0;
  return `${rf.flagBits(c.rflags) & rf.IF_BIT}|${cpl(c)}|${c.gsBase === K.percpuBase}|${K.kernelStackOf(c.regs.rsp)}|${depth}`;
}
