/**
 * Interrupts at every boundary: the extra letters an exploration with `--every-boundary` extends a
 * trace by. The alphabet places an IRQ or NMI only at the first few boundaries of the next event;
 * a race deeper in a kernel path (an IRQ that preempts a half-built pt_regs, an NMI between a
 * check and the exit it decided) needs one at that micro-step. So each trace is also extended by
 * an IRQ at every boundary of its final kernel run where the CPU would take one at once (IF set,
 * no shadow) and an NMI at every boundary where one would be taken at once (not blocked, no MOV SS
 * shadow), read off the model's own run (model Recording.boundaries), not from any design. A
 * boundary where the interrupt would be held is left out: one placed there is taken at the first
 * boundary that lets it in, which the list already has.
 * `run`'s exploration takes a cheaper cut of the same list (programInterrupts): IRQs at the
 * boundaries between two programs alone.
 */
import { ENTERS_PROGRAM, TAKES_IRQ, TAKES_NMI, type MachineState } from '../../model/index.ts';
import type { Judgement } from '../evaluate.ts';
import type { RawEvent } from '../trace-file.ts';

/** The `after` values of the alphabet's own IRQs and NMIs (without a vector), by type. */
function placed(alphabet: readonly RawEvent[]): { irq: Set<number>; nmi: Set<number> } {
  const irq = new Set<number>();
  const nmi = new Set<number>();
  for (const a of alphabet) {
    if (a.type === 'hw.irq' && a.vector === undefined) irq.add(a.after);
    else if (a.type === 'hw.nmi') nmi.add(a.after);
  }
  return { irq, nmi };
}

const memo = new WeakMap<readonly RawEvent[], { irq: Set<number>; nmi: Set<number> }>();

/**
 * The IRQs and NMIs at the boundaries of the final kernel run of `j` (a trace of `length` events
 * judged with `boundaries`), counted as `after` from the end of its last event, leaving out those
 * the alphabet already has. IRQs first, each list in order. With `where`, only the boundaries
 * that have those Recording.boundaries bits.
 */
export function boundaryInterrupts(j: Judgement, length: number, alphabet: readonly RawEvent[], where = 0): RawEvent[] {
  let have = memo.get(alphabet);
  if (have === undefined) memo.set(alphabet, have = placed(alphabet));
  const irqs: RawEvent[] = [];
  const nmis: RawEvent[] = [];
  for (const [after, taken] of finalBoundaries(j, length)) {
    if ((taken & where) !== where) continue;
    if ((taken & TAKES_IRQ) !== 0 && !have.irq.has(after)) irqs.push({ type: 'hw.irq', after });
    if ((taken & TAKES_NMI) !== 0 && !have.nmi.has(after)) nmis.push({ type: 'hw.nmi', after });
  }
  return [...irqs, ...nmis];
}

/**
 * The IRQs at the boundaries between two programs of the final kernel run of `j` (a call, a
 * return, the jump to the exit) where an IRQ is taken at once, leaving out the alphabet's: a
 * task preempted there is stopped between a path and the one it handed its work to (a system
 * call dispatched but not yet run, say), the points a preemption race needs, at a few per
 * kernel path where every boundary would cost tens (explore.ts `programIrqs`).
 */
export function programInterrupts(j: Judgement, length: number, alphabet: readonly RawEvent[]): RawEvent[] {
  return boundaryInterrupts(j, length, alphabet, ENTERS_PROGRAM).filter((e) => e.type === 'hw.irq');
}

/**
 * The boundaries of the final run of `j` (a trace of `length` events judged with `boundaries`:
 * its kernel micro-steps and the first boundary back in user mode) where an IRQ is taken at once,
 * counted as `after` from the end of its last event, the alphabet's own included: where
 * explore/probes.ts stormPair places an IRQ with a second one due at the next boundary.
 */
export function irqBoundaries(j: Judgement, length: number): number[] {
  return finalBoundaries(j, length).filter(([, taken]) => (taken & TAKES_IRQ) !== 0).map(([after]) => after);
}

/** The boundaries of the final run of `j` (Recording.boundaries of its last event) as [after, taken], `after` counted from the end of its last event. */
function finalBoundaries(j: Judgement, length: number): Array<readonly [number, number]> {
  const r = j.run;
  const end = r.states[length] as MachineState | undefined;
  if (r.boundaries === null || end === undefined) return [];
  const out: Array<readonly [number, number]> = [];
  for (const [event, clock, taken] of r.boundaries) if (event === length) out.push([clock - end.clock, taken]);
  return out;
}
