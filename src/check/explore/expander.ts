/**
 * One lane of a level-synchronous exploration (parallel.ts): it holds the continuations of the
 * traces it owns, judges each one's extensions by the alphabet, and reports every outcome (the
 * end state's fingerprint, violations, errors) for the main thread to merge in breadth-first
 * order. It keeps a continuation only for an end state it has not seen itself; the main thread,
 * which sees every lane's outcomes, says which of those become the next level's traces.
 */
import type { Event } from '../../model/index.ts';
import { judge, type CellRun, type Continuation, type Violation } from '../evaluate.ts';
import type { Invariant } from '../invariant.ts';
import type { RawEvent } from '../trace-file.ts';
import { boundaryInterrupts } from './boundaries.ts';
import { judgeOn, traceFingerprint } from './judging.ts';

/** What judging one trace gave (fp is null when it violated something: it is not extended). */
export interface Outcome {
  readonly fp: string | null;
  /** For a letter past the alphabet (an interrupt at a boundary of the trace's kernel run): the event, and its index (the alphabet's length and on). */
  readonly letter?: { readonly event: RawEvent; readonly index: number };
  readonly hits: ReadonlyArray<{ readonly id: string; readonly failure: Violation; readonly events: readonly Event[] }>;
  readonly errors: ReadonlyArray<readonly [string, string]>;
}

/** A request to extend some traces of the current level. */
export interface ExpandRequest {
  /** Positions of the traces in the current level (this lane holds each). */
  readonly positions: readonly number[];
  /** Alphabet indices to extend by (all, or a shard's at depth 1). */
  readonly letters: readonly number[];
  /** Ids of the invariants still judged. */
  readonly invariants: readonly string[];
  /** Keep continuations (false at the last level). */
  readonly keep: boolean;
  /** With interrupts at every boundary: judge only the extra letters whose index is `index` mod `count` (a shard's, at depth 1). */
  readonly extraShard?: { readonly index: number; readonly count: number };
}

/** A trace a lane holds: its continuation, and the letters past the alphabet it is extended by. */
interface Item {
  readonly raw: RawEvent[];
  readonly cont: Continuation | null;
  readonly extra: readonly RawEvent[];
}

/** The lane: continuations by position, and those of the outcomes not yet adopted. */
export class Expander {
  private items = new Map<number, Item>();
  private pending = new Map<string, Item>();
  private readonly seen = new Set<string>();

  constructor(private readonly all: readonly Invariant[], private readonly cell: CellRun, private readonly alphabet: readonly RawEvent[],
    private readonly onJudged: (n: number) => void = () => {}, private readonly every = false) {}

  /** Judges the empty trace (position 0 of level 0); its fingerprint. */
  root(ids: readonly string[]): string {
    const j = judge(this.pick(ids), this.cell, [], { continuable: true, boundaries: this.every });
    const fp = traceFingerprint(j, 0);
    this.seen.add(fp);
    this.items = new Map([[0, { raw: [], cont: j.next, extra: this.every ? boundaryInterrupts(j, 0, this.alphabet) : [] }]]);
    return fp;
  }

  /** Judges every extension of the requested traces, in order: outcomes[position index][letter index], the extra letters after the alphabet's. */
  expand(r: ExpandRequest): Outcome[][] {
    const invs = this.pick(r.invariants);
    let n = 0;
    const one = (pos: number, item: Item, a: RawEvent, i: number): Outcome => {
      const raw = [...item.raw, a];
      const j = judgeOn(invs, this.cell, raw, item.cont, { continuable: r.keep, boundaries: this.every && r.keep });
      if (++n % 64 === 0) this.onJudged(64);
      const letter = i >= this.alphabet.length ? { letter: { event: a, index: i } } : {};
      // judge leaves an invariant that threw out of the violations.
      const hits = invs.filter((inv) => j.violations.has(inv.id))
        .map((inv) => ({ id: inv.id, failure: j.violations.get(inv.id) as Violation, events: j.run.events }));
      const errors = [...j.errors];
      if (hits.length > 0) return { fp: null, hits, errors, ...letter };
      const fp = traceFingerprint(j, raw.length, r.keep);
      if (r.keep && !this.seen.has(fp)) this.pending.set(`${pos}:${i}`, { raw, cont: j.next, extra: this.every ? boundaryInterrupts(j, raw.length, this.alphabet) : [] });
      this.seen.add(fp);
      return { fp, hits, errors, ...letter };
    };
    return r.positions.map((pos) => {
      const item = this.items.get(pos);
      if (item === undefined) throw new Error(`explore lane: no trace at position ${pos}`);
      const row = r.letters.map((i) => one(pos, item, this.alphabet[i] as RawEvent, i));
      const s = r.extraShard;
      item.extra.forEach((a, x) => {
        const i = this.alphabet.length + x;
        if (s === undefined || i % s.count === s.index) row.push(one(pos, item, a, i));
      });
      return row;
    });
  }

  /** The next level: [parent position, letter index, new position] of each trace this lane now holds. */
  adopt(pairs: ReadonlyArray<readonly [number, number, number]>): void {
    const next = new Map<number, Item>();
    for (const [pos, i, to] of pairs) {
      const p = this.pending.get(`${pos}:${i}`);
      if (p === undefined) throw new Error(`explore lane: no outcome ${pos}:${i} to adopt`);
      next.set(to, p);
    }
    this.items = next;
    this.pending = new Map();
  }

  private pick(ids: readonly string[]): Invariant[] {
    return ids.map((id) => {
      const inv = this.all.find((x) => x.id === id);
      if (inv === undefined) throw new Error(`explore lane: no invariant ${id}`);
      return inv;
    });
  }
}
