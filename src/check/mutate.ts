/**
 * Mutation testing of the invariant suite: each single-condition mutant of a design (mutants.ts)
 * is searched as `run` searches a cell, after the regression corpus is replayed on it. A mutant
 * is killed when an invariant that holds on the base design is violated on it (the killer and its
 * minimal trace are kept). A mutant nothing
 * kills is compared with the base on every trace of up to two alphabet events and on the traces
 * the search generated: if user mode sees the same on every one it is suspected equivalent (the
 * change shows nowhere the search went), else it survived, and the shortest differing trace shows
 * what the suite does not judge.
 */
import type { Paging, Vendor } from '../isa/index.ts';
import { initialState, type Design } from '../kernel/index.ts';
import { replay, type Event } from '../model/index.ts';
import { corpusTraces } from './corpus-replay.ts';
import { evaluate, type CellRun } from './evaluate.ts';
import type { Invariant } from './invariant.ts';
import { defaultAlphabet } from './explore/alphabet.ts';
import { mutantsOf, type Mutant } from './mutants.ts';
import { toTraceEvents } from './operands.ts';
import { sampleTraces, searchGroup, type SearchOptions } from './search.ts';
import { kernelOf } from './session.ts';
import type { RawEvent } from './trace-file.ts';
import { visibleSequence } from './visible.ts';

/** What happened to one mutant on one cell. */
export interface MutantResult {
  readonly mutant: string;
  readonly change: string;
  readonly vendor: Vendor;
  readonly paging: Paging;
  readonly status: 'killed' | 'survived' | 'equivalent';
  /** Killed: the invariant, its message and minimal trace. */
  readonly killer?: { readonly invariant: string; readonly message: string; readonly events: readonly Event[] };
  /** Survived: a trace (of those generated) whose observations differ from the base design's. */
  readonly differs?: readonly RawEvent[];
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
  const total = mutants.length * o.cells.length;
  for (const { vendor, paging } of o.cells) {
    const baseCell: CellRun = { kernel: kernelOf(o.base), vendor, paging };
    // What already fails on the base design cannot kill a mutant.
    const onBase = searchGroup(o.invariants, baseCell, o.seed, o.runs, o.search);
    const judges = o.invariants.filter((inv) => !onBase.found.has(inv.id) && !onBase.errors.has(inv.id));
    for (const m of mutants) {
      const r = score(m, judges, baseCell, { vendor, paging }, o);
      out.push(r);
      o.onProgress?.(out.length, total, r);
    }
  }
  return out;
}

function score(m: Mutant, judges: readonly Invariant[], baseCell: CellRun, at: { vendor: Vendor; paging: Paging }, o: MutateOptions): MutantResult {
  const cell: CellRun = { kernel: kernelOf(m.design), ...at };
  const head = { mutant: m.name, change: m.change, ...at };
  // The regression corpus first: a recorded trace of another design that violates an invariant on
  // the mutant and not on the base shows the mutant brings back a known bug.
  for (const inv of judges) {
    for (const { events } of corpusTraces(o.corpusDirs ?? [], inv.id, { design: m.design.name, ...at })) {
      const v = evaluate(inv, cell, events).violation;
      if (v && !evaluate(inv, baseCell, events).violation) return { ...head, status: 'killed', killer: { invariant: inv.id, message: v.message, events } };
    }
  }
  const r = searchGroup(judges, cell, o.seed, o.runs, o.search);
  const killer = judges.find((inv) => r.found.has(inv.id));
  const f = killer ? r.found.get(killer.id) : undefined;
  if (killer && f) return { ...head, status: 'killed', killer: { invariant: killer.id, message: f.failure.message, events: f.events } };
  // The same traces on both: every trace of up to two alphabet events, and the search's own sample.
  const sample = [...allTraces(defaultAlphabet(), 2), ...sampleTraces(cell, o.seed, Math.min(o.runs, 300))];
  const differs = sample.filter((t) => observationsOf(cell, t) !== observationsOf(baseCell, t)).sort((a, b) => a.length - b.length)[0];
  return differs ? { ...head, status: 'survived', differs } : { ...head, status: 'equivalent' };
}

/** Killed / (killed + survived): the share of mutants with visible behaviour the suite catches. */
export function mutationScore(rs: readonly MutantResult[]): { killed: number; survived: number; equivalent: number; score: number } {
  const killed = rs.filter((r) => r.status === 'killed').length;
  const survived = rs.filter((r) => r.status === 'survived').length;
  return { killed, survived, equivalent: rs.length - killed - survived, score: killed + survived === 0 ? 1 : killed / (killed + survived) };
}
