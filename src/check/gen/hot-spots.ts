/**
 * Where in an event an interrupt is worth placing. An IRQ or NMI changes what happens only where
 * the state it meets differs, or where it can come between a check and what the check decided:
 * so the boundaries worth trying are those just after the machine's interrupt-relevant state
 * changed (IF, CPL, the GS base, the stack RSP points into, the nesting depth: an entry's first
 * instructions, an STI, a stack switch, a SWAPGS) and those just after a kernel decision was taken
 * (the exit-work flags test, the SYSRET checks: a time-of-check window). Derived from the
 * micro-steps of the event as the model runs it, not from any design: a kernel that enables IRQs
 * one step early gets its interrupt there.
 */
import { receptionKey, step, TAKES_IRQ, TAKES_NMI, type DecisionSeen, type KernelImpl, type MachineState, type TraceEvent } from '../../model/index.ts';

/** A decision log that notes, for each decision taken, how many micro-steps had completed. */
class TimedLog extends Map<string, DecisionSeen> {
  done = 0;
  readonly at: number[] = [];
  override get(id: string): DecisionSeen | undefined {
    this.at.push(this.done);
    return super.get(id);
  }
}

/** An event's hot spots, and the boundaries it reaches inside an STI or MOV SS interrupt shadow. */
export interface InterruptSpots {
  readonly hot: readonly number[];
  /**
   * Boundaries where the shadow holds back a pending IRQ (SDM Vol. 3 6.8.3) and the instruction
   * it covers changes the reception key (model/reception.ts): only an NMI's handling, which ends
   * the shadow, lets the IRQ meet the state there. The model's own record (Recording.shadowed),
   * the one the exploration's pair reads too (explore/beyond.ts).
   */
  readonly shadowed: readonly number[];
  /**
   * The boundaries where the CPU would take an IRQ at once, and those where it would take an NMI
   * (model Recording.boundaries): where one placed lands as placed, not held for a later boundary.
   */
  readonly irq: readonly number[];
  readonly nmi: readonly number[];
}

/**
 * The `after` values (boundaries counted from `start`) at which an interrupt armed before `event`
 * meets a state whose reception key differs from the boundary before, or comes right after a
 * decision: the first boundary (where a pending entry has not run a step) and at most `limit`
 * in all, in order.
 */
export function hotSpots(start: MachineState, event: TraceEvent, K: KernelImpl, limit = 32): readonly number[] {
  return interruptSpots(start, event, K, limit).hot;
}

/** hotSpots, and the boundaries in an interrupt shadow, from one run of the event. */
export function interruptSpots(start: MachineState, event: TraceEvent, K: KernelImpl, limit = 32): InterruptSpots {
  const log = new TimedLog();
  const r = step(start, event, K, { micro: true, forks: false, shadows: true, boundaries: true, decisions: log, probes: [{ before: false, check: () => { log.done++; return true; } }] });
  const spots = new Set<number>([0]);
  let prev = receptionKey(start, K);
  for (const m of r.micro) {
    const key = receptionKey(m.after, K);
    if (key !== prev) spots.add(m.after.clock - start.clock);
    prev = key;
  }
  // A decision taken during micro-step i (i steps done before it): right after that step.
  for (const i of log.at) {
    const m = r.micro[i];
    if (m !== undefined) spots.add(m.after.clock - start.clock);
  }
  const taken = (bit: number): number[] => r.boundaries.flatMap(([clock, t]) => ((t & bit) !== 0 ? [clock - start.clock] : []));
  return { hot: [...spots].sort((a, b) => a - b).slice(0, limit), shadowed: r.shadowed.map((clock) => clock - start.clock), irq: taken(TAKES_IRQ), nmi: taken(TAKES_NMI) };
}
