/**
 * A co-simulation run: N traces generated against the model (deterministic for a seed), each
 * executed by the native harness on this machine and compared with the model's run, and every
 * disagreement saved. Generation and comparison here overlap with the harness's work on the
 * traces already sent (two processes).
 */
import { findDesign, type Design } from '../kernel/index.ts';
import type { Event } from '../model/index.ts';
import { compareRuns, type Comparison } from './compare.ts';
import type { Platform } from './detect.ts';
import type { GeneratedTrace } from './gen/generate.ts';
import { generateAll, generateOne, GUIDE_DESIGN, type GenSetup } from './gen/pool.ts';
import { runOnHarness, type HarnessFeed } from './harness.ts';
import { traceLine } from './line.ts';
import { ModelCursor, runModel, type HostFeatures } from './model-run.ts';
import type { VdsoPair } from './rules.ts';
import { addTrace, emptyStats, type CosimStats } from './stats.ts';
import { saveDisagreement } from './store.ts';
import type { SideRun } from './types.ts';

export { GUIDE_DESIGN } from './gen/pool.ts';
const BATCH = 64;
/** Traces generated but not yet answered by the harness, at most (memory bound). */
const AHEAD = 1024;

/** Options of a run. */
export interface CosimOptions {
  readonly traces: number;
  readonly seed: number;
  readonly design: Design;
  /** Where disagreement files go (null: do not save). */
  readonly out: string | null;
  /** Time limit per trace in the harness, seconds. */
  readonly timeoutS?: number;
  /** Also generate what the model is known not to handle yet (docs/cosim.md). */
  readonly includePending?: boolean;
  /** Called after each trace. */
  readonly onProgress?: (done: number, agreed: number) => void;
}

/** One disagreement class: how many traces, and one saved example. */
export interface ClassSummary {
  readonly cls: string;
  count: number;
  example: string | null;
  firstIndex: number;
}

/** The outcome of a run. */
export interface CosimSummary {
  readonly traces: number;
  agreed: number;
  readonly classes: Map<string, ClassSummary>;
  readonly files: string[];
  readonly stats: CosimStats;
  /** Differences each pending gap's mask hid (pending.ts), and how many traces had any. */
  readonly masked: Record<string, number>;
  tracesMasked: number;
  elapsedMs: number;
}

/** Result of one trace (for callers that want every verdict, e.g. tests). */
export interface TraceVerdict {
  readonly index: number;
  readonly events: readonly Event[];
  readonly model: SideRun;
  readonly real: SideRun;
  readonly comparison: Comparison;
}

type OkPlatform = Extract<Platform, { ok: true }>;

const pairs = new WeakMap<Design, VdsoPair>();

/** Both sides' vDSO addresses (rule "vDSO"), where the host has the 32-bit vDSO. */
export function vdsoPair(platform: OkPlatform, design: Design): VdsoPair | undefined {
  if (platform.vdso === null) return undefined;
  let p = pairs.get(design);
  if (p === undefined) {
    p = { model: new ModelCursor(design, platform.vendor, platform.paging).vdso, real: platform.vdso };
    pairs.set(design, p);
  }
  return p;
}

/** What of the host the model takes: UMIP's instruction read, the signal frame's size. */
export const hostOf = (p: OkPlatform): HostFeatures => ({ umip: p.umip, xstate: p.xstate });

/** The model's run of a trace on `design`, and the verdict (`strict`: no pending gap masked). */
function verdict(platform: OkPlatform, design: Design, index: number, events: readonly Event[], real: SideRun, model?: SideRun, strict = false): TraceVerdict {
  const m = model ?? runModel(design, platform.vendor, platform.paging, events, hostOf(platform));
  return { index, events, model: m, real, comparison: compareRuns(events, m, real, { vdso: vdsoPair(platform, design), strict }) };
}

/** Runs fixed traces on both sides; `onVerdict` gets each result in order (`strict`: no pending gap masked). */
export async function cosimTraces(platform: OkPlatform, design: Design, traces: readonly (readonly Event[])[],
  onVerdict: (v: TraceVerdict) => void, timeoutS = 2, strict = false): Promise<void> {
  const items = traces.map((events, id) => ({ id, line: traceLine(id, events) }));
  await runOnHarness(platform.harness, items, { timeoutS }, (id, real) => {
    onVerdict(verdict(platform, design, id, traces[id] ?? [], real, undefined, strict));
  });
}

/** What generation needs from the platform and the run. */
function setupOf(platform: OkPlatform, seed: number, includePending: boolean): GenSetup {
  return { seed, vendor: platform.vendor, paging: platform.paging, int80: platform.int80, vdso: platform.vdso !== null, umip: platform.umip, xstate: platform.xstate, includePending };
}

/** Trace `index` of a run with `seed` on this platform (deterministic), with the guide design's model run. */
export function generatedTrace(platform: OkPlatform, seed: number, index: number, includePending = false): GeneratedTrace {
  return generateOne(setupOf(platform, seed, includePending), index);
}

/**
 * Generates traces and runs them on the machine as they come; `onReal` gets each trace with the
 * guide design's model run and the machine's run, in order.
 */
export async function runGenerated(platform: OkPlatform, n: number, seed: number, o: { timeoutS?: number; includePending?: boolean },
  onReal: (index: number, g: GeneratedTrace, real: SideRun) => void): Promise<void> {
  const feed: HarnessFeed = { items: [], closed: false };
  const pending = new Map<number, GeneratedTrace>();
  let wake: (() => void) | null = null;
  const done = runOnHarness(platform.harness, feed, { timeoutS: o.timeoutS ?? 2 }, (id, real) => {
    const g = pending.get(id);
    pending.delete(id);
    if (g) onReal(id, g, real);
    if (wake && pending.size <= AHEAD / 2) { wake(); wake = null; }
  });
  await generateAll(setupOf(platform, seed, o.includePending === true), n, BATCH, async (batch) => {
    for (const g of batch) {
      pending.set(g.index, g);
      feed.items.push({ id: g.index, line: traceLine(g.index, g.events) });
    }
    feed.notify?.();
    // Let the harness's answers in while it works on this batch; do not run too far ahead.
    await new Promise((r) => setImmediate(r));
    if (pending.size > AHEAD) await new Promise<void>((r) => { wake = r; });
  });
  feed.closed = true;
  feed.notify?.();
  await done;
}

/** Generates `o.traces` traces and co-simulates them on `o.design`. */
export async function runCosim(platform: OkPlatform, o: CosimOptions): Promise<CosimSummary> {
  const start = Date.now();
  const summary: CosimSummary = {
    traces: o.traces, agreed: 0, classes: new Map(), files: [], stats: emptyStats(), masked: {}, tracesMasked: 0, elapsedMs: 0,
  };
  const reuse = o.design === findDesign(GUIDE_DESIGN);
  let done = 0;
  await runGenerated(platform, o.traces, o.seed, o, (index, g, real) => {
    const v = verdict(platform, o.design, index, g.events, real, reuse ? g.model : undefined, o.includePending === true);
    done++;
    const masks = Object.entries(v.comparison.masked);
    for (const [id, n] of masks) summary.masked[id] = (summary.masked[id] ?? 0) + n;
    if (masks.length > 0) summary.tracesMasked++;
    addTrace(summary.stats, g.events, v.model, real);
    if (v.comparison.agree) summary.agreed++;
    else {
      const cls = v.comparison.cls ?? 'unknown';
      const c = summary.classes.get(cls) ?? { cls, count: 0, example: null, firstIndex: v.index };
      c.count++;
      if (o.out !== null) {
        const file = saveDisagreement(o.out, {
          design: o.design.name, vendor: platform.vendor, paging: platform.paging, seed: o.seed, index: v.index,
          events: v.events, model: v.model, real: v.real, comparison: v.comparison,
        });
        summary.files.push(file);
        c.example ??= file;
      }
      summary.classes.set(cls, c);
    }
    o.onProgress?.(done, summary.agreed);
  });
  summary.elapsedMs = Date.now() - start;
  return summary;
}
