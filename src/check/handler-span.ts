/**
 * How long an interrupt's handling took, in boundaries: from the boundary where the hardware
 * event of a trace was delivered (its activation pushed) to the one where that activation was
 * gone. The shrinker deletes an interrupt that only delayed another and moves the other earlier
 * by this much (shrink.ts withoutHwShifted), so the other still lands on its instruction.
 */
import type { KernelImpl, MachineState, TraceEvent } from '../model/index.ts';
import { replay } from '../model/index.ts';

const ids = (m: MachineState): Set<number> => new Set(m.k.tasks.flatMap((t) => t.acts.map((a) => a.id)));

/** The boundaries hardware event `i` of `trace` kept its handler running, or null when it was not delivered. */
export function handlerSpan(start: MachineState, K: KernelImpl, trace: readonly TraceEvent[], i: number): number | null {
  const e = trace[i];
  if (e === undefined || (e.type !== 'hw.irq' && e.type !== 'hw.nmi' && e.type !== 'hw.mce')) return null;
  const vector = e.type === 'hw.nmi' ? 2 : e.type === 'hw.mce' ? 18 : (e.vector ?? 0x20);
  const r = replay(start, trace, K, { forks: false, micro: true });
  const due = (r.states[i]?.clock ?? Infinity) + e.after;
  let id: number | null = null;
  let from = 0;
  let known = ids(r.states[0] as MachineState);
  for (const m of r.micro ?? []) {
    if (id === null) {
      // The first activation of its vector pushed at or after its due boundary.
      const fresh = m.before.clock >= due
        ? m.before.k.tasks.flatMap((t) => t.acts).find((a) => a.cause === 'idt' && a.vector === vector && !known.has(a.id)) : undefined;
      if (fresh !== undefined) { id = fresh.id; from = m.before.clock; } else { known = ids(m.after); continue; }
    }
    if (!ids(m.after).has(id)) return m.after.clock - from;
  }
  return null;
}
