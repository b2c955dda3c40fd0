/**
 * Bounded-exhaustive exploration: every trace of length <= depth over a finite alphabet, breadth
 * first, so the first violation found is a shortest one. A trace whose end has been seen before
 * (the same machine state up to `sameFuture`, the same monitor memos, the same SYSRET/IRET
 * comparisons still open) is not extended again: every extension of it behaves like the
 * extension of the first (the tests check the state counts against a brute-force enumeration).
 * Each new trace is judged by every invariant with the one-replay judge. The soundness of the
 * pruning rests on the fingerprint: step invariants must keep what they remember in a monitor
 * memo (which the fingerprint covers), not re-read the history.
 */
import type { DecisionLog, Event } from '../../model/index.ts';
import type { CellRun, Continuation, Violation } from '../evaluate.ts';
import type { Invariant } from '../invariant.ts';
import type { Accept, Track } from '../search.ts';
import type { RawEvent } from '../trace-file.ts';
import { newlyEnabled } from '../gen/enabled.ts';
import { drainShadows, followWindows, loopRounds, maskOf, shadowPairs, signalled, type Opened, type Shadowed } from './beyond.ts';
import { irqBoundaries, programInterrupts } from './boundaries.ts';
import { judgePairs, stormPair } from './probes.ts';
import { Judging, traceFingerprint } from './judging.ts';

/** What to explore. */
export interface ExploreOptions {
  readonly invariants: readonly Invariant[];
  readonly cell: CellRun;
  readonly alphabet: readonly RawEvent[];
  readonly depth: number;
  /** Explore only the traces whose first event's alphabet index is `index` mod `count`. */
  readonly shard?: { readonly index: number; readonly count: number };
  /** Stop after this many distinct states (the claim is then only up to the depth completed). */
  readonly maxStates?: number;
  /** Go on after a violation, judging the invariants not yet violated (each one's first trace is kept). */
  readonly all?: boolean;
  /** A watchdog's view (search.ts Track): each judged trace counts as progress. */
  readonly track?: Track;
  /** Decision coverage: the judged traces' condition vectors are added here. */
  readonly decisions?: DecisionLog;
  /** Which violations count (search.ts); a trace with one refused is not extended. */
  readonly accept?: Accept;
  /**
   * One level past `depth`, only where the last event enabled new actions: each new state at
   * `depth` whose enabling conditions (gen/enabled.ts) gained one is extended by the alphabet's
   * events that need it (a tracee that stopped: resume, detach, rewrite). Beyond the claim.
   */
  readonly extendNewlyEnabled?: boolean;
  /** Levels past `depth` (default 1): the first extends what the last event enabled, the second what the initial state lacks, later ones only the windows the last event opened (a switched-out task, a new stop). */
  readonly extraLevels?: number;
  /**
   * At the first level past the depth, also follow each trace whose last event attached a tracer
   * by the system calls without a forged frame (gen/enabled.ts newTrace): a start whose traces
   * spend their first event on setting up the task's own state reaches the call only there.
   */
  readonly followAttach?: boolean;
  /**
   * After the levels: each trace up to `depth` whose last event ended in a signal handler is
   * judged with its events once and twice more (the user program looping through the handler:
   * a trap that comes back each round shows only in the second). Beyond the claim.
   */
  readonly loops?: boolean;
  /**
   * After the loops: each trace of up to this many events whose final kernel run passes through
   * an STI or MOV SS shadow is judged with an IRQ and an NMI due together at each shadowed
   * boundary (beyond.ts shadowPairs). Beyond the claim.
   */
  readonly shadowPairs?: number;
  /**
   * Traces of up to this many events (below `depth`) whose last event has no forged frame are
   * also extended by an IRQ at each boundary between two programs of their final kernel run
   * (boundaries.ts programInterrupts); a window such an IRQ opens is followed only as a
   * preemption's (beyond.ts). The claim still covers every trace over the alphabet.
   */
  readonly programIrqs?: number;
  /**
   * Past the depth, probe the windows (explore/probes.ts): each trace at the depth once with an
   * IRQ at the next kernel run's first boundary, followed as a preemption's window where it
   * preempted the task; each window's end, where it resumed the preempted task, with an NMI at
   * the boundary back in user mode. Beyond the claim.
   */
  readonly windowProbes?: boolean;
  /**
   * After the shadow pairs: each trace `programIrqs` extends (a first event without a forged
   * frame) is also judged with two IRQs due at each boundary of its final run where one is
   * taken at once (its kernel steps and the first boundary back in user mode) and at the next
   * (explore/probes.ts stormPair). Beyond the claim.
   */
  readonly irqPairs?: boolean;
  readonly onProgress?: (p: ExploreProgress) => void;
}

/** Progress, reported every few hundred traces and at the end of each depth. */
export interface ExploreProgress {
  readonly depth: number;
  readonly states: number;
  readonly traces: number;
  /** Traces still to extend at this depth, and found so far for the next. */
  readonly queue: number;
  readonly ms: number;
}

/** A violation and its (shortest) trace. */
export interface ExploreFound {
  readonly invariant: string;
  readonly raw: readonly RawEvent[];
  readonly events: readonly Event[];
  readonly failure: Violation;
}

/** The outcome of an exploration. */
export interface ExploreResult {
  /** The first violation (a shortest trace). */
  readonly found: ExploreFound | null;
  /** With `all`: the first violation of each invariant, by id. */
  readonly foundAll: ReadonlyMap<string, ExploreFound>;
  /** Distinct states (fingerprints), the initial one included. */
  readonly states: number;
  /** Traces judged. */
  readonly traces: number;
  /** Every trace up to this length was explored (or pruned as a repeat). */
  readonly depthDone: number;
  /** Invariants whose own check threw, with the message. */
  readonly errors: ReadonlyMap<string, string>;
  /** The trace each of those threw on. */
  readonly errorTraces: ReadonlyMap<string, readonly RawEvent[]>;
  readonly ms: number;
}

export { judgeOn, traceFingerprint } from './judging.ts';

/** Explores every trace up to `o.depth` events; stops at the first violation. */
export function explore(o: ExploreOptions): ExploreResult {
  const J = new Judging(o);
  const { seen } = J;
  // Each trace to extend, with where its judgement goes on from (replaying only the new event).
  // `extra`: the letters past the alphabet a trace is also extended by (programIrqs).
  let level: Array<{ raw: RawEvent[]; cont: Continuation | null; extra?: readonly RawEvent[] }> = [{ raw: [], cont: null }];
  // With extendNewlyEnabled: each kept trace's enabling mask, and the traces at `depth` to extend.
  const masks = new Map<readonly RawEvent[], number>();
  const EMPTY = (level[0] as { raw: RawEvent[] }).raw;
  const opened: Opened[] = [];
  const root = J.judgeRoot();
  (level[0] as { cont: Continuation | null }).cont = root.next;
  seen.add(traceFingerprint(root, 0));
  if (o.extendNewlyEnabled) masks.set(EMPTY, maskOf(root));
  const progress = (depth: number, queue: number): void =>
    o.onProgress?.({ depth, states: seen.size, traces: J.traces, queue, ms: J.ms });
  // With `loops`: the traces whose last event delivered a signal, with their continuations.
  const loops: Array<{ raw: RawEvent[]; cont: Continuation | null }> = [];
  // With `shadowPairs`: the short traces whose drain reaches a shadowed boundary, each that held
  // every invariant (taken before the fingerprint test: the last depth fingerprints few traces).
  const short: Shadowed[] = [];
  const pairDepth = o.shadowPairs ?? 0;
  // With `irqPairs`: the traces `programIrqs` extends, with the boundaries where an IRQ is taken.
  const storms: Shadowed[] = [];
  const irqDepth = Math.min(o.programIrqs ?? 0, o.depth - 1);
  for (let d = 1; d <= o.depth; d++) {
    const next: typeof level = [];
    // Only a trace that may be extended needs a continuation.
    const continuable = d < o.depth || o.extendNewlyEnabled === true;
    for (let n = 0; n < level.length; n++) {
      const { raw: prefix, cont, extra } = level[n] as (typeof level)[number];
      const letters = extra === undefined ? o.alphabet : [...o.alphabet, ...extra];
      for (let i = 0; i < letters.length; i++) {
        if (d === 1 && o.shard && i % o.shard.count !== o.shard.index) continue;
        const a = letters[i] as RawEvent;
        const raw = [...prefix, a];
        const { j, hits, refused } = J.judgeOne(raw, cont, continuable, d <= pairDepth, d <= irqDepth && !('frame' in a));
        if (hits.length > 0 && !o.all) return J.result(J.foundAll.get((hits[0] as Invariant).id) ?? null, d - 1);
        if (hits.length > 0 && J.invs.length === 0) return J.result(J.first(), d - 1);
        if (hits.length > 0 || refused) continue;
        if (o.loops && signalled(j)) loops.push({ raw, cont: j.next });
        if (d <= pairDepth) {
          const afters = drainShadows(j, raw.length);
          if (afters.length > 0) short.push({ raw, cont: j.next, afters });
        }
        // At the last depth of an extending exploration only a trace that enabled new actions goes
        // on: the others need no fingerprint (the state count is not reported there).
        const mask = o.extendNewlyEnabled ? maskOf(j) : -1;
        const before = masks.get(prefix) ?? -1;
        if (o.extendNewlyEnabled && d === o.depth && !o.alphabet.some((a) => newlyEnabled(a, mask, before))) continue;
        const fp = traceFingerprint(j, raw.length, continuable);
        if (seen.has(fp)) continue;
        seen.add(fp);
        if (d < o.depth) next.push({ raw, cont: j.next, ...(j.run.boundaries === null ? {} : { extra: programInterrupts(j, d, o.alphabet) }) });
        if (o.irqPairs === true && j.run.boundaries !== null) storms.push({ raw, cont: j.next, afters: irqBoundaries(j, raw.length) });
        if (o.extendNewlyEnabled) {
          if (d < o.depth) masks.set(raw, mask);
          else opened.push({ raw, cont: j.next, mask, before, prev: before, ...(i >= o.alphabet.length ? { preemptedOnly: true } : {}) });
        }
        if (o.maxStates !== undefined && seen.size >= o.maxStates) return J.result(null, d - 1);
        if ((J.traces & 255) === 0) progress(d, level.length - n + next.length);
      }
    }
    progress(d, next.length);
    level = next;
  }
  if (followWindows(o, J, opened, masks.get(EMPTY) ?? -1)) return J.result(J.first(), o.depth);
  if (loopRounds(J, loops)) return J.result(J.first(), o.depth);
  if (shadowPairs(J, short)) return J.result(J.first(), o.depth);
  judgePairs(J, storms, stormPair);
  return J.result(J.first(), o.depth);
}
