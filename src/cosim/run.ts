/**
 * A co-simulation run: N generated traces (deterministic for a seed), each executed by the
 * native harness on this machine and replayed on the model, compared, and every disagreement
 * saved. Model replays happen while the harness works on the next traces (two processes).
 */
import type { Design } from '../kernel/index.ts';
import type { Event } from '../model/index.ts';
import { sampleTraces } from './arbitrary.ts';
import { compareRuns, type Comparison } from './compare.ts';
import type { Platform } from './detect.ts';
import { runOnHarness } from './harness.ts';
import { traceLine } from './line.ts';
import { runModel } from './model-run.ts';
import { saveDisagreement } from './store.ts';
import type { SideRun } from './types.ts';

/** Options of a run. */
export interface CosimOptions {
  readonly traces: number;
  readonly seed: number;
  readonly design: Design;
  /** Where disagreement files go (null: do not save). */
  readonly out: string | null;
  /** Time limit per trace in the harness, seconds. */
  readonly timeoutS?: number;
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

/** Runs fixed traces on both sides; `onVerdict` gets each result in order. */
export async function cosimTraces(platform: Extract<Platform, { ok: true }>, design: Design, traces: readonly (readonly Event[])[],
  onVerdict: (v: TraceVerdict) => void, timeoutS = 2): Promise<void> {
  const items = traces.map((events, id) => ({ id, line: traceLine(id, events) }));
  await runOnHarness(platform.harness, items, { timeoutS }, (id, real) => {
    const events = traces[id] ?? [];
    const model = runModel(design, platform.vendor, platform.paging, events, { umip: platform.umip });
    onVerdict({ index: id, events, model, real, comparison: compareRuns(events, model, real) });
  });
}

/** Generates `o.traces` traces and co-simulates them. */
export async function runCosim(platform: Extract<Platform, { ok: true }>, o: CosimOptions): Promise<CosimSummary> {
  const start = Date.now();
  const traces = sampleTraces(o.traces, o.seed, { int80: platform.int80 });
  const summary: CosimSummary = { traces: traces.length, agreed: 0, classes: new Map(), files: [], elapsedMs: 0 };
  let done = 0;
  await cosimTraces(platform, o.design, traces, (v) => {
    done++;
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
  }, o.timeoutS);
  summary.elapsedMs = Date.now() - start;
  return summary;
}
