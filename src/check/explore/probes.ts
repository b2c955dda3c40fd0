/**
 * The probes the levels past the depth (beyond.ts followWindows) add to the letters they follow:
 * an event judged after a trace where the alphabet's own letters would not reach the moment that
 * matters. Each is derived from the model's run of the trace (its masks, its clock, its
 * boundaries), never from a design. The let-go and the return NMI are judged one event longer
 * than their trace, at the next level, so the first find is still a shortest one; the pairs of
 * interrupts after the levels, as explore.ts says.
 */
import type { MachineState } from '../../model/index.ts';
import type { Continuation, Judgement } from '../evaluate.ts';
import type { RawEvent } from '../trace-file.ts';
import type { Judging } from './judging.ts';

/**
 * A tracer's register write acts only when the tracee runs on (its return goes through the
 * pt_regs written, ptrace(2) PTRACE_SETREGS), so each trace that ends in one is judged once more
 * with the tracer letting go: the tracee returns with no stop in between. Not extended further.
 */
export const LET_GO: RawEvent = { type: 'tracer.detach' };

/**
 * An NMI at the boundary where the trace's final kernel run hands the CPU back to user mode
 * (`after` = the boundaries that run takes, read off the run's clock). The end of a preemption's
 * window (an IRQ nested in another task's entry while a task waits preempted inside a kernel
 * path) is a return that may resume a path whose state the other task's entry ran over; an NMI
 * can come at any boundary (IF does not mask it, SDM Vol. 3A 6.7), and the first boundary back
 * in user mode is where a state that return left wrong (a GS base, a stack) first meets one.
 */
export function returnNmi(j: Judgement, length: number): RawEvent {
  const states = j.run.states;
  const from = (states[length] as MachineState).clock;
  const to = (states[states.length - 1] as MachineState).clock;
  return { type: 'hw.nmi', after: to - from };
}

/** A probe to judge at the next level: the trace with the probe's event, and where its judgement goes on from. */
export interface Later {
  readonly raw: RawEvent[];
  readonly cont: Continuation;
}

/** Judges each probe (not extended further); true when the exploration is over. */
export function judgeLater(J: Judging, later: readonly Later[]): boolean {
  for (const { raw, cont } of later) {
    J.judgeOne(raw, cont, false);
    if (J.over()) return true;
  }
  return false;
}

/**
 * Two IRQs due at boundaries `after` and `after + 1`: the first is taken at once, and the second,
 * held while the first's entry runs with IF clear (an interrupt gate clears IF, SDM Vol. 3A
 * 6.12.1.3), is taken at the first boundary IRQs are on again, wherever the first one's path
 * leads (its handler's exit, a task it switched to): an interrupt arriving while one is handled,
 * which one IRQ letter never shows. Read off the run's boundaries (boundaries.ts irqBoundaries).
 */
export function stormPair(after: number): RawEvent[] {
  return [{ type: 'hw.irq', after }, { type: 'hw.irq', after: after + 1 }];
}

/** A trace with the boundaries a pair of interrupts is placed at (counted from its last event's end). */
export interface Placed {
  readonly raw: RawEvent[];
  readonly cont: Continuation | null;
  readonly afters: readonly number[];
}

/** Judges each trace with `pair(after)` at each of its boundaries (not extended further); true when the exploration is over. */
export function judgePairs(J: Judging, traces: readonly Placed[], pair: (after: number) => RawEvent[]): boolean {
  for (const { raw, cont, afters } of traces) {
    for (const after of afters) {
      J.judgeOne([...raw, ...pair(after)], cont, false);
      if (J.over()) return true;
    }
  }
  return false;
}
