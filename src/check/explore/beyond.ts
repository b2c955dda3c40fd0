/**
 * The exploration past its depth, beyond the claim (explore.ts runs this after the levels): the
 * levels that follow what the last event enabled or opened, and the loops through a signal
 * handler. Neither adds to what "no violation up to depth k" promises; both reach chains a
 * bounded depth cannot, at the cost of the few traces that open a window.
 */
import type { MachineState } from '../../model/index.ts';
import type { Continuation, Judgement } from '../evaluate.ts';
import type { RawEvent } from '../trace-file.ts';
import { enabledMask, newlyEnabled, newlyPreempted, newlyRunnable, newRelease, newStep, newTrace, newStop, preemptedNested, preemptedSetup, preemptedSince, resumedPreempted, setsUp } from '../gen/enabled.ts';
import type { ExploreOptions } from './explore.ts';
import { traceFingerprint, type Judging } from './judging.ts';
import { judgeLater, judgePairs, LET_GO, returnNmi, type Later, type Placed } from './probes.ts';

/** A trace at the depth that enabled new actions: `before` is what its level compares with, `prev` its prefix's mask. */
export interface Opened {
  readonly raw: RawEvent[];
  readonly cont: Continuation | null;
  readonly mask: number;
  readonly before: number;
  readonly prev: number;
  /** Opened by an IRQ past the alphabet (explore.ts programIrqs): followed only as a preemption's window. */
  readonly preemptedOnly?: boolean;
  /** With `preemptedOnly`: the level past the depth whose IRQ preempted the task (undefined: the depth's own; 1: preemptProbe's). */
  readonly preemptedAt?: number;
}

/** The enabling mask of a judged trace's settled end. */
export const maskOf = (j: Judgement): number => enabledMask(j.run.states[j.run.states.length - 1] as MachineState);

/**
 * The levels past the depth. Level 1: actions the last event enabled. Level 2: actions the
 * initial state does not have (a tracer's, on a tracee that stops again after each). Level 3 and
 * on (while `extraLevels` lasts): only the windows the last event opened, so a chain goes on
 * while each step ends somewhere new: a call that gives up the CPU to a task the last event left
 * waiting in the kernel, a tracer's action on a tracee stopped for a new reason
 * (gen/enabled.ts newlyRunnable, newStop), and at level 3 a system call of a task the tracer just
 * began to single-step (newStep). Just after a task was preempted inside a kernel path, level 1
 * takes the other task's entries and also its register writes (preemptedSetup), and level 2
 * its entries after such a write and an IRQ in the first boundaries of such an entry
 * (preemptedNested). A window opened by an IRQ past the alphabet (`preemptedOnly`) gets those
 * two levels alone: the entries, and the IRQ in one. A start that follows attaches
 * (`followAttach`) follows that one window instead (attachFollows). At every level, a
 * trace that ends in a tracer's register write is also judged with the tracer letting go
 * (probes.ts LET_GO). With `windowProbes`, level 1 also tries an IRQ after each trace
 * (preemptProbe) and follows the preemptions it makes as windows, and each window's end that
 * resumed the preempted task is judged with an NMI back in user mode (probes.ts returnNmi).
 * Returns true when the exploration is over.
 */
export function followWindows(o: ExploreOptions, J: Judging, opened: readonly Opened[], rootMask: number): boolean {
  const levels = o.extraLevels ?? 1;
  let frontier = opened;
  // The last level's probes (probes.ts), judged at the next (one event longer).
  let later: Later[] = [];
  for (let lvl = 1; lvl <= levels && frontier.length > 0; lvl++) {
    if (judgeLater(J, later)) return true;
    later = [];
    const next: Opened[] = [];
    const final = lvl === levels;
    for (const e of frontier) {
      const { raw: prefix, cont, preemptedOnly } = e;
      const rel = lvl - (e.preemptedAt ?? 0);
      for (const a of o.alphabet) {
        const followed = o.followAttach === true ? attachFollows(lvl, a, e) : follows(lvl, a, e);
        const probe = !followed && o.windowProbes === true && o.followAttach !== true && preemptProbe(lvl, levels, a, e);
        if (!followed && !probe) continue;
        const nested = followed && o.windowProbes === true && windowEnd(lvl, a, e);
        const raw = [...prefix, a];
        // The final level extends nothing (no continuation, no fingerprint); nor does a preemption's window past its second level.
        const ends = final || (preemptedOnly === true && rel >= 2);
        const write = a.type === 'tracer.setRegs';
        const { j, hits, refused } = J.judgeOne(raw, cont, !ends || write || nested);
        if (J.over()) return true;
        if (hits.length > 0 || refused) continue;
        if (write && j.next !== null) later.push({ raw: [...raw, LET_GO], cont: j.next });
        if (nested && j.next !== null && resumedPreempted(maskOf(j), e.mask)) later.push({ raw: [...raw, returnNmi(j, raw.length)], cont: j.next });
        if (ends) continue;
        const mask = maskOf(j);
        // A probe goes on only as the window of the preemption it made (preemptProbe).
        if (probe && !preemptedSince(mask, e.mask)) continue;
        const fp = traceFingerprint(j, raw.length);
        if (J.seen.has(fp)) continue;
        J.seen.add(fp);
        if (probe) next.push({ raw, cont: j.next, mask, before: e.mask, prev: e.mask, preemptedOnly: true, preemptedAt: lvl });
        // A preemption's window keeps the mask from before the preemption, which its rules compare with.
        else if (preemptedOnly === true) next.push({ raw, cont: j.next, mask, before: e.before, prev: e.mask, preemptedOnly, ...(e.preemptedAt === undefined ? {} : { preemptedAt: e.preemptedAt }) });
        else next.push({ raw, cont: j.next, mask, before: lvl + 1 >= 3 ? e.mask : rootMask, prev: e.mask });
      }
    }
    frontier = next;
  }
  return judgeLater(J, later);
}

/** Whether level `lvl` of followWindows extends `e` by `a` (the rules above). */
function follows(lvl: number, a: RawEvent, e: Opened): boolean {
  const { mask, before, prev } = e;
  const last = e.raw[e.raw.length - 1];
  // A preemption's window: the other task's entries, then an IRQ nested in one.
  const rel = lvl - (e.preemptedAt ?? 0);
  if ((rel === 1 && newlyPreempted(a, mask, before)) || (rel === 2 && preemptedNested(a, last, mask, before))) return true;
  if (e.preemptedOnly === true) return false;
  if (lvl <= 2 && newRelease(a, mask, prev)) return true;
  if (lvl === 1) return preemptedSetup(a, mask, before) || newlyEnabled(a, mask, before);
  if (lvl === 2) return (setsUp(last) && newlyPreempted(a, mask, before)) || newlyEnabled(a, mask, before);
  return newlyRunnable(a, mask, before) || newStop(a, mask, before) || (lvl === 3 && newStep(a, mask, before));
}

/**
 * Whether level `lvl` probes `e` with IRQ `a`: at level 1 (when two levels follow), each trace at
 * the depth is judged with the alphabet's IRQ at the first boundary of its next kernel run, and a
 * trace where that IRQ preempted the task inside its kernel path is followed as that
 * preemption's window (the other task's entries, then an IRQ nested in one). The window a trace
 * opened at the depth (a tracee stopped at a system call, say) is then also one a preemption
 * reaches inside, at the cost of one judgement per opened trace (explore --every-boundary has
 * every boundary; this takes the first, where an IRQ held by IF lands once IRQs are on).
 */
function preemptProbe(lvl: number, levels: number, a: RawEvent, e: Opened): boolean {
  return lvl === 1 && levels >= 3 && e.preemptedOnly !== true && a.type === 'hw.irq' && a.after === 0 && a.vector === undefined;
}

/** Whether `a` at level `lvl` is the IRQ that ends a preemption's window of `e` (nested in the other task's entry): probed with returnNmi where the preempted task ran again. */
function windowEnd(lvl: number, a: RawEvent, e: Opened): boolean {
  return lvl - (e.preemptedAt ?? 0) === 2 && preemptedNested(a, e.raw[e.raw.length - 1], e.mask, e.before);
}

/**
 * The same for a start that follows attaches (explore.ts followAttach), which follows that window
 * alone (the others are the first start's): the calls just after an attach, then the tracer's
 * actions on what they stopped for, its actions on each new stop, and at level 4 a system call
 * of a task it just began to single-step (level 3 of the rules above, one level later).
 */
function attachFollows(lvl: number, a: RawEvent, e: Opened): boolean {
  if (lvl === 1) return newTrace(a, e.mask, e.prev);
  if (lvl === 2) return newlyEnabled(a, e.mask, e.before);
  return newStop(a, e.mask, e.before) || (lvl === 4 && newStep(a, e.mask, e.before));
}

/**
 * The loops: two more rounds of each signalled trace's events, the second from the first's
 * continuation. A round that meets a state seen before is not taken further. Returns true when
 * the exploration is over.
 */
export function loopRounds(J: Judging, loops: ReadonlyArray<{ readonly raw: RawEvent[]; readonly cont: Continuation | null }>): boolean {
  for (const { raw: body, cont } of loops) {
    let from = cont;
    let raw = body;
    for (let round = 1; round <= 2 && from !== null; round++) {
      raw = [...raw, ...body];
      const { j, hits, refused } = J.judgeOne(raw, from, round === 1);
      if (J.over()) return true;
      if (hits.length > 0 || refused || round === 2) break;
      const fp = traceFingerprint(j, raw.length);
      if (J.seen.has(fp)) break;
      J.seen.add(fp);
      from = j.next;
    }
  }
  return false;
}

/** A short trace whose drain passes through shadowed boundaries (explore.ts collects them). */
export type Shadowed = Placed;

/** The drain's shadowed boundaries of a trace judged with `shadows`, counted from its last event's end. */
export function drainShadows(j: Judgement, length: number): number[] {
  const r = j.run;
  const from = (r.states[length] as MachineState).clock;
  const out: number[] = [];
  for (const [event, clock] of r.shadowed ?? []) if (event === length) out.push(clock - from);
  return out;
}

/**
 * The IRQ and NMI pair at every interrupt-shadow boundary of each short trace's drain, where the
 * instruction the shadow covers changes the reception key (model/reception.ts): `trace` +
 * [IRQ, NMI], both due there. With both pending the CPU takes the NMI first (SDM Vol. 3 6.9);
 * the shadow held the IRQ back (6.8.3) and the NMI's IRET ends it, so the IRQ lands before that
 * instruction, in a state no single interrupt meets (an `sti; sysexit` exit at CPL 0 with the
 * user's GS, say). Read off the model's micro-steps (model Recording.shadowed). Returns true
 * when the exploration is over.
 */
export function shadowPairs(J: Judging, short: readonly Shadowed[]): boolean {
  return judgePairs(J, short, (after) => [{ type: 'hw.irq', after }, { type: 'hw.nmi', after }]);
}

/** Whether the last event of a judged trace (with the drain after it) delivered a signal to user mode. */
export function signalled(j: Judgement): boolean {
  const r = j.run;
  for (let i = r.obsStart[r.events.length - 1] ?? r.observations.length; i < r.observations.length; i++) {
    if (r.observations[i]?.o.kind === 'signal') return true;
  }
  return false;
}
