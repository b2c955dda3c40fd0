/**
 * The replay report: one entry per event (skipped ones marked) with the fields it changed and the
 * observations it produced; with `verbose`, every kernel micro-step too; the violations found
 * on the way, each at its step and, for micro-step checks and fork points, at its micro-step.
 * JSON for tools carries values (src/report/fields.ts: 64-bit values as hex strings, segments
 * and tasks as objects); text for people shows them through `display`.
 */
import { initialField } from '../check/counterexample.ts';
import type { TraceRun } from '../check/session.ts';
import { ABI_FLAGS, abiFlagsOf } from '../check/worlds.ts';
import { isInternal, type Event, type MicroRecord, type Observation } from '../model/index.ts';
import { briefMessage } from './brief.ts';
import { eventText, observationText } from './event-text.ts';
import { changed, fields, type FieldValue } from './fields.ts';
import { display } from './snapshot.ts';

/** A violation found while replaying. */
export interface ReportedViolation {
  readonly invariant: string;
  readonly step: number;
  readonly message: string;
  /** The kernel micro-step, for micro-step checks and fork points. */
  readonly where?: string;
  /** Index into the run's micro-steps (recorded runs only). */
  readonly micro?: number;
  readonly sanity?: boolean;
  /** The violation a counterexample file recorded. */
  readonly recorded?: boolean;
}

/** A field's value before and after (null: the field did not exist, e.g. a task not yet forked). */
export interface Change {
  readonly before: FieldValue | null;
  readonly after: FieldValue | null;
}

/** One kernel micro-step in the JSON report. */
export interface MicroReport {
  /** Index among all micro-steps of the run. */
  readonly index: number;
  readonly at: string;
  readonly rip: bigint;
  readonly path: string;
  readonly name: string;
  readonly changes: Readonly<Record<string, Change>>;
}

/** One step in the JSON report. */
export interface StepReport {
  readonly index: number;
  /** The event as it ran (symbols resolved); null for the final drain. */
  readonly event: Event | null;
  readonly text: string;
  readonly skipped: boolean;
  readonly changes: Readonly<Record<string, Change>>;
  readonly micro?: readonly MicroReport[];
}

/** Structured report (what --json prints for one file). */
export interface ReplayReport {
  readonly design: string;
  readonly vendor: string;
  readonly paging: number;
  readonly steps: readonly StepReport[];
  readonly observations: ReadonlyArray<{ at: number } & Observation>;
  readonly violations: readonly ReportedViolation[];
}

/** The text of the final drain step. */
export const DRAIN_TEXT = '(end of trace: the kernel runs to user mode)';

const changesOf = (a: Parameters<typeof changed>[0], b: Parameters<typeof changed>[1]): Record<string, Change> => {
  const out: Record<string, Change> = {};
  for (const [k, x, y] of changed(a, b)) out[k] = { before: x ?? null, after: y ?? null };
  return out;
};

/** Each micro-step of the run with its global index, grouped by event. */
export function microByEvent(run: TraceRun): Map<number, Array<{ index: number; r: MicroRecord }>> {
  const by = new Map<number, Array<{ index: number; r: MicroRecord }>>();
  run.micro.forEach((r, index) => {
    const list = by.get(r.event) ?? [];
    list.push({ index, r });
    by.set(r.event, list);
  });
  return by;
}

/**
 * What the run's start changes from the model's initial state, for the header: task 2's ABI (a
 * start of `run`'s exploration, check/worlds.ts), and the names of any other overrides.
 */
export function startText(run: TraceRun): string {
  const set = Object.keys(initialField(run.initial).initial ?? {}).filter((k) => !ABI_FLAGS.some((f) => f.key === k));
  return `${abiFlagsOf(run.initial).map((f) => `; ${f.header}`).join('')}${set.length > 0 ? `; initial ${set.join(', ')} set by the trace` : ''}`;
}

/** Builds the structured report; micro-steps are included when the run recorded them and `verbose`. */
export function replayReport(run: TraceRun, violations: readonly ReportedViolation[] = [], o: { verbose?: boolean } = {}): ReplayReport {
  const states = run.result.states;
  const skipped = new Set(run.result.skipped);
  const micro = o.verbose ? microByEvent(run) : new Map<number, Array<{ index: number; r: MicroRecord }>>();
  const steps = [...run.events.map((e, i) => ({ e: e as Event | null, i })), { e: null, i: run.events.length }].map(({ e, i }): StepReport => {
    const before = states[i];
    const after = states[i + 1];
    const changes = before && after ? changesOf(fields(before), fields(after)) : {};
    const ms = micro.get(i);
    return {
      index: i, event: e, text: e === null ? DRAIN_TEXT : eventText(e), skipped: skipped.has(i), changes,
      ...(o.verbose ? {
        micro: (ms ?? []).map(({ index, r }) => ({
          index, at: run.kernel.describe(r.rip), rip: r.rip, path: r.step.path, name: r.step.name, changes: changesOf(fields(r.before), fields(r.after)),
        })),
      } : {}),
    };
  });
  return {
    design: run.design.name, vendor: run.vendor, paging: run.paging, steps,
    observations: run.result.observations.filter((t) => !isInternal(t.o)).map((t) => ({ at: t.at, ...t.o })),
    violations,
  };
}

/** "!! id: message", with where it failed and what it is. */
export function violationLine(v: ReportedViolation): string {
  const tag = v.recorded ? ' (recorded)' : '';
  const where = v.where !== undefined ? ` at ${v.where}` : '';
  return `${v.sanity ? '~~' : '!!'} ${v.invariant}${tag}${where}: ${briefMessage(v.message)}`;
}

/**
 * The report as text. With micro-steps (a run recorded with them), each is a `.` line and the
 * one an invariant failed at is marked `<- !! id`. Reachability claims (`sanity`) are left out
 * of the table: they are listed apart.
 */
export function replayText(run: TraceRun, violations: readonly ReportedViolation[] = []): string {
  const K = run.kernel;
  const r = replayReport(run);
  const shown = violations.filter((v) => !v.sanity);
  const out: string[] = [`design ${r.design}, ${r.vendor}, ${r.paging}-level paging${startText(run)}`];
  const micro = microByEvent(run);
  const states = run.result.states;
  for (const s of r.steps) {
    out.push(`${String(s.index).padStart(3)}  ${s.text}${s.skipped ? '   [skipped: not enabled here]' : ''}`);
    for (const { index, r: mr } of micro.get(s.index) ?? []) {
      const fb = fields(mr.before);
      const fa = fields(mr.after);
      const ch = changed(fb, fa).filter(([k]) => k !== 'rip');
      const hits = shown.filter((v) => v.micro === index).map((v) => `   <- !! ${v.invariant}`).join('');
      out.push(`       . ${K.describe(mr.rip)}${ch.length ? `   ${ch.map(([k, , b]) => `${k}=${display(k, b, fa, K)}`).join(' ')}` : ''}${hits}`);
    }
    const sb = states[s.index];
    const sa = states[s.index + 1];
    const fb = sb ? fields(sb) : {};
    const fa = sa ? fields(sa) : {};
    for (const [k, c] of Object.entries(s.changes)) {
      out.push(`       ${k}: ${display(k, c.before ?? undefined, fb, K)} -> ${display(k, c.after ?? undefined, fa, K)}`);
    }
    for (const o of r.observations.filter((x) => x.at === s.index)) out.push(`       > ${observationText(o)}`);
    for (const v of shown.filter((x) => x.step === s.index)) out.push(`       ${violationLine(v)}`);
  }
  return `${out.join('\n')}\n`;
}
