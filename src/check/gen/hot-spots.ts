/**
 * Where in an event an interrupt is worth placing. An IRQ or NMI changes what happens only where
 * the state it meets differs: so the boundaries worth trying are those just after the machine's
 * interrupt-relevant state changed (IF, CPL, the GS base, the stack RSP points into, the nesting
 * depth): an entry's first instructions, the instruction after IRQs are enabled, a stack switch,
 * a SWAPGS, an exit's last steps. Derived from the micro-steps of the event as the model runs
 * it, not from any design: a kernel that enables IRQs one step early gets its interrupt there.
 */
import { cpl, rf } from '../../isa/index.ts';
import { step, type KernelImpl, type MachineState, type TraceEvent } from '../../model/index.ts';

/** The state an interrupt's handling depends on, as a key: equal keys, same reception. */
function receptionKey(m: MachineState, K: KernelImpl): string {
  const c = m.cpu;
  const stack = K.isKernelStack(c.regs.rsp) ? `k${c.regs.rsp >> 12n}` : 'u';
  const depth = m.k.tasks[m.k.current]?.acts.length ?? 0;
  return `${rf.flagBits(c.rflags) & rf.IF_BIT}|${cpl(c)}|${c.gsBase === K.percpuBase}|${stack}|${depth}`;
}

/**
 * The `after` values (boundaries counted from `start`) at which an interrupt armed before `event`
 * meets a state whose reception key differs from the boundary before (and 0, the first
 * boundary, where a pending entry has not run a step): at most `limit`, in order.
 */
export function hotSpots(start: MachineState, event: TraceEvent, K: KernelImpl, limit = 32): number[] {
  const r = step(start, event, K, { micro: true, forks: false });
  const out: number[] = [0];
  let prev = receptionKey(start, K);
  for (const m of r.micro) {
    const key = receptionKey(m.after, K);
    if (key !== prev) out.push(m.after.clock - start.clock);
    prev = key;
    if (out.length >= limit) break;
  }
  return out;
}
