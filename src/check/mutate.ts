/**
 * Mutation testing of the invariant suite: each single-condition mutant of a design (mutants.ts)
 * is searched as `run` searches a cell, after the regression corpus is replayed on it. A mutant
 * is killed when an invariant is violated on it by a trace the base design holds it on, also
 * with the trace's interrupts moved (newOnMutant: the mutant's own flaw, not one of the base's,
 * known or missed by the base's search); the killer and its minimal trace are kept, marked when
 * the base's search found the invariant failing elsewhere. A mutant nothing
 * kills is compared with the base on every trace of up to two alphabet events and on the traces
 * the search generated: if user mode sees the same on every one it is suspected equivalent (the
 * change shows nowhere the search went); if it differs on a trace with no hardware event it
 * survived, and the shortest such trace shows what the suite does not judge; if it differs only
 * on traces with an interrupt, NMI or machine check, it survived as `timing` (below). A mutant
 * whose every difference is on a trace where the base fails an invariant it holds is a `repair`,
 * and one whose differences all go away with interrupts moved a few boundaries is `shifted`.
 */
import type { Paging, Vendor } from '../isa/index.ts';
import { initialState, type Design, type InitialOverrides } from '../kernel/index.ts';
import { replay, type Event, type TraceEvent } from '../model/index.ts';
import { corpusTraces } from './corpus-replay.ts';
import { evaluate, type CellRun } from './evaluate.ts';
import type { Invariant } from './invariant.ts';
import { runAlphabet } from './explore/alphabet.ts';
import { mutantsOf, pairOf, type Mutant } from './mutants.ts';
import { toTraceEvents } from './operands.ts';
import { sampleTraces, searchGroup, type Accept, type SearchOptions } from './search.ts';
import { SHIFT, shifted } from './shifted.ts';
import { kernelOf } from './session.ts';
import type { RawEvent } from './trace-file.ts';
import { visibleSequence } from './visible.ts';
import { fromStart } from './worlds.ts';

/** What happened to one mutant on one cell. */
export interface MutantResult {
  readonly mutant: string;
  readonly change: string;
  readonly vendor: Vendor;
  readonly paging: Paging;
  /**
   * `timing`: user mode sees a difference only on traces with hardware events, which the model
   * arms by a count of boundaries, so on a mutant whose path is a micro-step longer or shorter
   * they land elsewhere; `shifted`: every such trace, with its hardware events moved up to
   * REALIGN (2 x SHIFT) boundaries (shifted.ts), gives on each design what it gave on the
   * other, so the two are equivalent up to where interrupts land. `timing` is what moving them
   * does not explain: an interrupt-dependent flaw no invariant caught, or a plain difference the
   * sample's traces reach only through an interrupt (one that brings the other task to run). It
   * counts as a survivor in the score.
   */
  readonly status: 'killed' | 'survived' | 'timing' | 'shifted' | 'repair' | 'equivalent';
  /**
   * Killed: the invariant, its message and minimal trace. `baseFails`: the invariant fails on the
   * base design too (on other traces), so the trace may show the base's own flaw reached by a
   * path only the mutant opens: a weaker kill, worth a look.
   */
  readonly killer?: {
    readonly invariant: string; readonly message: string; readonly events: readonly Event[]; readonly baseFails: boolean;
    /** The initial-state overrides the trace starts from (worlds.ts), when not the model's own. */
    readonly initial?: InitialOverrides;
  };
  /** Survived, timing, shifted or repair: a shortest trace (of those tried) whose observations differ from the base design's. */
  readonly differs?: readonly RawEvent[];
  /**
   * Repair: every difference seen is on a trace where the base design fails an invariant the
   * mutant holds (the mutant undoes a known flaw of the base: the suite judges the difference, in
   * the base's disfavour); `differs` is a shortest such trace, and this the invariant on it.
   */
  readonly repairs?: string;
  /** A pair of mutants each suspected equivalent alone on this cell, changed together (MutateOptions.pairs). */
  readonly pair?: boolean;
}

/** What to score. */
export interface MutateOptions {
  readonly base: Design;
  readonly invariants: readonly Invariant[];
  readonly cells: ReadonlyArray<{ readonly vendor: Vendor; readonly paging: Paging }>;
  readonly runs: number;
  readonly seed: number;
  readonly search?: SearchOptions;
  /** Folders of the regression corpus: recorded traces tried on each mutant before its search (none when absent). */
  readonly corpusDirs?: readonly string[];
  /** Only the mutants whose name contains one of these (all when absent). */
  readonly only?: readonly string[];
  /**
   * Also score, on each cell, every pair of the mutants suspected equivalent there, changed
   * together (mutants.ts pairOf): a flaw that needs two changes, each harmless or unseen alone.
   */
  readonly pairs?: boolean;
  readonly onProgress?: (done: number, total: number, r: MutantResult) => void;
}

/** What user mode sees of `raw` on a cell (visible.ts: which exit instruction ran is not seen), as text. */
function observationsOf(cell: CellRun, raw: readonly RawEvent[]): string {
  const r = replay(initialState(cell.kernel, cell.vendor, cell.paging), toTraceEvents(raw, 'mutate'), cell.kernel, { forks: false });
  return visibleSequence(r.observations.map((t) => t.o)).map((v) => v.text).join('\n');
}

/** Every trace up to `depth` events over `alphabet`. */
function allTraces(alphabet: readonly RawEvent[], depth: number): RawEvent[][] {
  const out: RawEvent[][] = [];
  let level: RawEvent[][] = [[]];
  for (let d = 1; d <= depth; d++) {
    level = level.flatMap((p) => alphabet.map((a) => [...p, a]));
    out.push(...level);
  }
  return out;
}

/** Scores every mutant of `o.base` on every cell. */
export function mutate(o: MutateOptions): MutantResult[] {
  const mutants = mutantsOf(o.base).filter((m) => o.only === undefined || o.only.some((s) => m.name.includes(s)));
  const out: MutantResult[] = [];
  let total = mutants.length * o.cells.length;
  for (const { vendor, paging } of o.cells) {
    const baseCell: CellRun = { kernel: kernelOf(o.base), vendor, paging };
    // Every invariant kills only by a trace the base holds it on (newOnMutant); those the base's
    // search finds failing mark their kills, and tell a repair from a survivor.
    const onBase = searchGroup(o.invariants, baseCell, o.seed, o.runs, o.search);
    const judges = o.invariants.filter((inv) => !onBase.errors.has(inv.id));
    const failing = judges.filter((inv) => onBase.found.has(inv.id));
    // What the base shows on a trace is the same for every mutant: computed once per cell.
    const seen = new Map<string, string>();
    const onBaseOf = (t: readonly RawEvent[]): string => {
      const key = JSON.stringify(t);
      let v = seen.get(key);
      if (v === undefined) {
        v = observationsOf(baseCell, t);
        seen.set(key, v);
      }
      return v;
    };
    const scoreOn = (m: Mutant): MutantResult => score(m, judges, failing, { cell: baseCell, shows: onBaseOf }, { vendor, paging }, o);
    const equivalent: Mutant[] = [];
    for (const m of mutants) {
      const r = scoreOn(m);
      out.push(r);
      if (r.status === 'equivalent') equivalent.push(m);
      o.onProgress?.(out.length, total, r);
    }
    if (!o.pairs) continue;
    const pairs = equivalent.flatMap((a, i) => equivalent.slice(i + 1).map((b) => pairOf(a, b))).filter((p): p is Mutant => p !== null);
    total += pairs.length;
    for (const p of pairs) {
      const r: MutantResult = { ...scoreOn(p), pair: true };
      out.push(r);
      o.onProgress?.(out.length, total, r);
    }
  }
  return out;
}

/**
 * Whether `events`, violating `inv` on a mutant, show a flaw of the mutant's own: the base holds
 * `inv` on them, and also with their interrupts, NMIs and machine checks moved (shifted.ts): the
 * same trace can meet the base's known flaw a step later on a mutant's longer path. The moves
 * only ever withhold a kill. `quick` (a shrink candidate): the trace itself only, since the moves
 * cost up to 2 x SHIFT replays per hardware event and a shrink tries thousands of candidates.
 */
export function newOnMutant(inv: Invariant, baseCell: CellRun, events: readonly TraceEvent[], quick = false): boolean {
  if (evaluate(inv, baseCell, events).violation) return false;
  if (quick) return true;
  for (const moved of shifted(events)) if (evaluate(inv, baseCell, moved).violation) return false;
  return true;
}

/**
 * How far a difference's interrupts are moved to line the two designs up: twice SHIFT, since a
 * change of where IRQs are enabled moves the first boundary that takes one by the length of the
 * code between the two places (the C entry work: about 20 micro-steps on linux-6.7's SYSCALL
 * entry). Killing stays at SHIFT (newOnMutant): a wider move there would refuse more kills.
 */
const REALIGN = 2 * SHIFT;

function score(m: Mutant, judges: readonly Invariant[], failing: readonly Invariant[], base: { readonly cell: CellRun; readonly shows: (t: readonly RawEvent[]) => string },
  at: { vendor: Vendor; paging: Paging }, o: MutateOptions): MutantResult {
  const baseCell = base.cell;
  const cell: CellRun = { kernel: kernelOf(m.design), ...at };
  const head = { mutant: m.name, change: m.change, ...at };
  const killed = (inv: Invariant, message: string, events: readonly Event[], initial?: InitialOverrides): MutantResult =>
    ({ ...head, status: 'killed', killer: { invariant: inv.id, message, events, baseFails: failing.includes(inv), ...(initial ? { initial } : {}) } });
  // A killer the base's search found holding is the stronger evidence: tried and named first.
  const ordered = [...judges.filter((inv) => !failing.includes(inv)), ...failing];
  // The regression corpus first: a recorded trace of another design that violates an invariant on
  // the mutant and not on the base shows the mutant brings back a known bug.
  for (const inv of ordered) {
    for (const { events, initial } of corpusTraces(o.corpusDirs ?? [], inv.id, { design: m.design.name, ...at })) {
      const v = evaluate(inv, fromStart(cell, initial), events).violation;
      if (v && newOnMutant(inv, fromStart(baseCell, initial), events)) return killed(inv, v.message, events, initial);
    }
  }
  // A violation counts only where the base holds the invariant, and the search goes on past the
  // others (so the base's own flaw does not hide the mutant's). The base's search decides which
  // invariants it fails, but a finite search can miss a flaw the mutant's search then meets.
  const accept: Accept = (inv, events, a) => newOnMutant(inv, fromStart(baseCell, a?.initial), events, a?.quick);
  const r = searchGroup(ordered, cell, o.seed, o.runs, { ...o.search, accept });
  const killer = ordered.find((inv) => r.found.has(inv.id));
  const f = killer ? r.found.get(killer.id) : undefined;
  if (killer && f) return killed(killer, f.failure.message, f.events, f.initial);
  // The same traces on both: every trace of up to two alphabet events, and the search's own sample.
  const sample = [...allTraces(runAlphabet(), 2), ...sampleTraces(cell, o.seed, Math.min(o.runs, 300))];
  // Each differing trace with what the mutant shows on it, and the invariant it repairs if any
  // (the base fails it there and the mutant holds it): a difference the suite judges.
  const differing = sample.map((t) => ({ t, shows: observationsOf(cell, t) })).filter((d) => d.shows !== base.shows(d.t))
    .sort((a, b) => a.t.length - b.t.length)
    .map((d) => {
      const events = toTraceEvents(d.t, 'mutate');
      return { ...d, repairs: failing.find((inv) => evaluate(inv, baseCell, events).violation !== null && evaluate(inv, cell, events).violation === null) };
    });
  const unexplained = differing.filter((d) => d.repairs === undefined);
  const plain = unexplained.find((d) => !d.t.some((e) => e.type.startsWith('hw.')));
  if (plain) return { ...head, status: 'survived', differs: plain.t };
  // A difference only in where an interrupt lands: with its hardware events moved, the trace
  // gives on each design what it gave on the other (both ways: neither shows a behaviour the
  // other cannot). A flaw an interrupt reveals shows something the other design never does.
  const realigned = (d: { readonly t: readonly RawEvent[]; readonly shows: string }): boolean => {
    const onBase = base.shows(d.t);
    let there = false;
    let back = false;
    for (const moved of shifted(d.t, REALIGN)) {
      there ||= base.shows(moved) === d.shows;
      back ||= observationsOf(cell, moved) === onBase;
      if (there && back) return true;
    }
    return false;
  };
  const timed = unexplained.find((d) => !realigned(d));
  if (timed) return { ...head, status: 'timing', differs: timed.t };
  const fixed = differing.find((d) => d.repairs !== undefined);
  if (fixed?.repairs) return { ...head, status: 'repair', differs: fixed.t, repairs: fixed.repairs.id };
  return unexplained[0] ? { ...head, status: 'shifted', differs: unexplained[0].t } : { ...head, status: 'equivalent' };
}

/**
 * Killed / (killed + survived + timing): the share of mutants with visible behaviour the suite
 * catches; repairs (a known flaw of the base undone) and shifted ones (equivalent up to where
 * interrupts land) count like equivalent ones, in neither.
 * `withoutTiming` leaves the timing-only ones out (an upper bound: some are flaws).
 */
export function mutationScore(rs: readonly MutantResult[]): { killed: number; survived: number; timing: number; shifted: number; repair: number; equivalent: number; score: number; withoutTiming: number } {
  const killed = rs.filter((r) => r.status === 'killed').length;
  const survived = rs.filter((r) => r.status === 'survived').length;
  const timing = rs.filter((r) => r.status === 'timing').length;
  const shifted = rs.filter((r) => r.status === 'shifted').length;
  const repair = rs.filter((r) => r.status === 'repair').length;
  const ratio = (a: number, b: number): number => (b === 0 ? 1 : a / b);
  return {
    killed, survived, timing, shifted, repair, equivalent: rs.length - killed - survived - timing - shifted - repair,
    score: ratio(killed, killed + survived + timing), withoutTiming: ratio(killed, killed + survived),
  };
}
