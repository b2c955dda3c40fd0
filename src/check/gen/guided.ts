/**
 * The coverage-guided search: a corpus of traces that each reached something no earlier trace
 * had (features.ts), and a loop that either draws a fresh trace or mutates a corpus trace (insert,
 * append, replace or re-draw an event, an interrupt or NMI at a chosen micro-step of an event
 * (often one where the interrupt-relevant state just changed),
 * delete, splice, repeat). Depth comes from this feedback, not from sequences written for known
 * bugs: a trace that reaches a ptrace stop is kept, and its mutants go on from there. Every draw
 * comes from fast-check's arbitraries on one seeded random source, so a seed gives the same
 * traces, byte for byte, on the same cell.
 */
import fc from 'fast-check';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { drain, type DecisionLog, type KernelImpl, type MachineState, type Run } from '../../model/index.ts';
import { toTraceEvent } from '../operands.ts';
import type { RawEvent } from '../trace-file.ts';
import { contextOf, enabledArbitrary, enabledMask, enabledTypes } from './enabled.ts';
import { after as afterArb, eventArbitrary, EVENT_GENERATORS, generatorsFor } from './events.ts';
import { FeatureMap } from './features.ts';
import { interruptSpots, type InterruptSpots } from './hot-spots.ts';

/** A corpus trace, the instruction boundaries each of its events spanned, and its run's states. */
interface Entry {
  readonly trace: readonly RawEvent[];
  readonly spans: readonly number[];
  /** states[i]: before event i (the kernel not yet run to the next boundary); the last is settled. */
  readonly states: readonly MachineState[];
  /** How much of the search's attention it gets: more for new outcomes than for new edges; less each time it is picked. */
  energy: number;
}

type Mutation = (t: RawEvent[], e: Entry) => void;

/** The corpus and the random source of one search. */
export class GuidedSearch {
  private readonly rng: fc.Random;
  private readonly corpus: Entry[] = [];
  private totalEnergy = 0;
  private readonly features = new FeatureMap();
  /** The edge map the next replay fills (pass it as RunOptions.edges). */
  readonly edges = FeatureMap.edgeMap();
  /** The decision log every replay adds to (pass it as RunOptions.decisions): a new condition vector is a new feature. */
  readonly decisions: DecisionLog = new Map();
  private vectors = 0;
  private readonly fresh: fc.Arbitrary<RawEvent[]>;
  private readonly hot = new WeakMap<Entry, Map<number, InterruptSpots>>();

  /**
   * `kernel`, when given, lets mutations draw only events enabled where they are put (the state of
   * the parent's run there, settled by running the kernel to the next boundary).
   */
  constructor(seed: number, private readonly maxLength = 16, private readonly kernel?: KernelImpl) {
    this.rng = new fc.Random(xoroshiro128plus(seed));
    this.fresh = fc.array(eventArbitrary, { minLength: 1, maxLength: Math.min(8, maxLength) });
  }

  /** Traces kept so far, and features covered. */
  get stats(): { corpus: number; features: number } {
    return { corpus: this.corpus.length, features: this.features.size };
  }

  private int(min: number, max: number): number {
    return this.rng.nextInt(min, max);
  }

  private draw<T>(a: fc.Arbitrary<T>): T {
    return a.generate(this.rng, undefined).value;
  }

  /** The next trace to judge: fresh while the corpus is small, then mostly a mutant. */
  next(): RawEvent[] {
    const n = this.corpus.length;
    if (n === 0 || this.int(0, 99) < 100 / (4 + n / 8)) return this.draw(this.fresh);
    const e = this.pick();
    const t = e.trace.slice();
    const rounds = 1 + (this.int(0, 3) === 0 ? this.int(1, 3) : 0);
    for (let r = 0; r < rounds; r++) this.mutate(t, e);
    if (t.length === 0) t.push(this.draw(eventArbitrary));
    return t.slice(0, this.maxLength);
  }

  /** Records what the replay of `trace` covered; keeps the trace when it reached something new. */
  feed(trace: readonly RawEvent[], run: Run): boolean {
    const fresh = this.features.absorb(this.edges, run);
    let vectors = 0;
    for (const d of this.decisions.values()) vectors += d.vectors.size;
    // A condition vector no run had: the decision was seen deciding differently (what MC/DC asks for).
    const decided = vectors - this.vectors;
    this.vectors = vectors;
    if (fresh.edges + fresh.semantic + decided === 0) return false;
    const clock = (s: MachineState | undefined): number => s?.clock ?? 0;
    const spans = trace.map((_, i) => Math.max(0, clock(run.states[i + 1]) - clock(run.states[i])));
    const energy = 1 + 8 * Math.min(fresh.semantic + decided, 4) + Math.min(fresh.edges, 16) / 4;
    const entry: Entry = { trace, spans, states: run.states, energy };
    this.corpus.push(entry);
    this.totalEnergy += energy;
    return true;
  }

  /** An entry, in proportion to its energy, which then decays (so every entry gets its turn). */
  private pick(): Entry {
    let x = this.rng.nextInt(0, 0x3fffffff) / 0x40000000 * this.totalEnergy;
    let e = this.corpus[this.corpus.length - 1] as Entry;
    for (const c of this.corpus) {
      x -= c.energy;
      if (x < 0) { e = c; break; }
    }
    const decayed = Math.max(0.25, e.energy * 0.9);
    this.totalEnergy += decayed - e.energy;
    e.energy = decayed;
    return e;
  }

  /** An event to put before event `i` of `e` (i = length: at the end), enabled there when the kernel is known. */
  private eventAt(e: Entry, i: number): RawEvent {
    const K = this.kernel;
    const last = i >= e.trace.length;
    const s = e.states[last ? e.states.length - 1 : i];
    if (K === undefined || s === undefined) return this.draw(eventArbitrary);
    const settled = last ? s : drain(s, K, { forks: false }).state;
    const mask = enabledMask(settled);
    const ctx = contextOf(settled);
    // Half the draws pick the event type uniformly among the enabled ones: an action that is
    // rarely enabled (a tracer's, once attached) gets its turn when it is.
    if (this.int(0, 1) === 0) {
      const types = enabledTypes(mask);
      if (types.length > 0) return this.draw(generatorsFor(ctx)[types[this.int(0, types.length - 1)] as RawEvent['type']][1] as fc.Arbitrary<RawEvent>);
    }
    return this.draw(enabledArbitrary(mask, ctx) ?? eventArbitrary);
  }

  private mutate(t: RawEvent[], e: Entry): void {
    const ops: ReadonlyArray<readonly [number, Mutation]> = [
      [8, (t, e) => t.push(this.eventAt(e, e.trace.length))],
      [3, (t, e) => { const i = this.int(0, t.length); t.splice(i, 0, this.eventAt(e, i)); }],
      [2, (t, e) => { if (t.length > 0) { const i = this.int(0, t.length - 1); t[i] = this.eventAt(e, i); } }],
      [3, (t) => this.redraw(t)],
      [4, (t, e) => this.interrupt(t, e)],
      [2, (t) => { if (t.length > 1) t.splice(this.int(0, t.length - 1), this.int(1, 2)); }],
      [1, (t) => this.splice(t)],
      [1, (t) => this.repeat(t)],
    ];
    let pick = this.int(0, ops.reduce((s, [w]) => s + w, 0) - 1);
    for (const [w, op] of ops) {
      if (pick < w) { op(t, e); return; }
      pick -= w;
    }
  }

  /** Draws one event again with the same type: other values, same shape of trace. */
  private redraw(t: RawEvent[]): void {
    if (t.length === 0) return;
    const i = this.int(0, t.length - 1);
    const [, arb] = EVENT_GENERATORS[(t[i] as RawEvent).type];
    t[i] = this.draw(arb as fc.Arbitrary<RawEvent>);
  }

  /**
   * An interrupt or NMI at a boundary of one event (user instruction or kernel micro-step): half
   * the time uniformly over the boundaries where the CPU takes that kind at once (an IRQ where IF
   * is set and no shadow holds it, an NMI where NMIs are not blocked: the model's record), half at
   * a boundary where the interrupt-relevant state just changed (hot-spots.ts), so a one-step
   * window is hit as often as a long stretch. One time in four,
   * when an event of the parent has a boundary in an STI or MOV SS shadow whose instruction
   * changes the interrupt's reception (IF, CPL, GS base, stack, nesting), both at once at one
   * of those boundaries instead: the CPU takes the NMI first (SDM Vol. 3 6.9), and the NMI's
   * handling ends the shadow that held the IRQ back (6.8.3), so the IRQ lands where the shadow
   * was meant to keep it out.
   */
  private interrupt(t: RawEvent[], e: Entry): void {
    if (this.int(0, 3) === 0) {
      const inShadow: Array<readonly [number, number]> = [];
      for (let k = 0; k < e.trace.length; k++) for (const b of this.spotsOf(e, k)?.shadowed ?? []) inShadow.push([k, b]);
      if (inShadow.length > 0) {
        const [k, after] = inShadow[this.int(0, inShadow.length - 1)] as readonly [number, number];
        t.splice(k, 0, { type: 'hw.irq', after }, { type: 'hw.nmi', after });
        return;
      }
    }
    const i = this.int(0, Math.max(0, t.length - 1));
    const span = e.spans[i] ?? 0;
    const irq = this.int(0, 1) === 0;
    const spots = this.spotsOf(e, i);
    // Uniformly over the boundaries where the CPU takes this kind at once: one placed where it
    // would be held lands at the next of those anyway.
    const open = (irq ? spots?.irq : spots?.nmi) ?? [];
    const pool = this.int(0, 1) === 0 ? spots?.hot ?? [] : open;
    const after = pool.length > 0 ? pool[this.int(0, pool.length - 1)] as number : span > 0 ? this.int(0, span - 1) : this.draw(afterArb);
    t.splice(i, 0, irq ? { type: 'hw.irq', after } : { type: 'hw.nmi', after });
  }

  /** The hot spots and shadowed boundaries of event `i` of `e` (its parent's run there), computed once per entry and event. */
  private spotsOf(e: Entry, i: number): InterruptSpots | undefined {
    const K = this.kernel;
    const start = e.states[i];
    const raw = e.trace[i];
    if (K === undefined || start === undefined || raw === undefined) return undefined;
    let byEvent = this.hot.get(e);
    if (byEvent === undefined) this.hot.set(e, byEvent = new Map());
    let spots = byEvent.get(i);
    if (spots === undefined) byEvent.set(i, spots = interruptSpots(start, toTraceEvent(raw, i, 'search'), K));
    return spots;
  }

  /** This trace's head, another corpus trace's tail. */
  private splice(t: RawEvent[]): void {
    const other = this.corpus[this.int(0, this.corpus.length - 1)] as Entry;
    const cut = this.int(0, t.length);
    t.splice(cut, t.length - cut, ...other.trace.slice(this.int(0, other.trace.length)));
  }

  /** A run of events once more (loops: stepping, retrying, faulting again). */
  private repeat(t: RawEvent[]): void {
    if (t.length === 0) return;
    const from = this.int(0, t.length - 1);
    const to = Math.min(t.length, from + this.int(1, 4));
    t.splice(to, 0, ...t.slice(from, to));
  }
}
