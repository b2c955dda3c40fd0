/**
 * What the HTML viewer shows of one reviewed trace, as plain data: one row per event and one
 * per kernel micro-step (with the fields each changed, the running task's stack of kernel
 * contexts as lanes, the observations, the violations marked where they happened), the state
 * after each row for the inspector (CPU fields, every task with its pt_regs), the findings, and
 * for a differential violation both branches from its fork point.
 */
import type { Review } from '../../check/review.ts';
import { isInternal, PT_FIELDS, type MachineState, type Observation } from '../../model/index.ts';
import { briefMessage } from '../brief.ts';
import { eventText, observationText } from '../event-text.ts';
import { changed, contextName, fields, tifNames } from '../fields.ts';
import { DRAIN_TEXT, startText } from '../replay-report.ts';
import { display } from '../snapshot.ts';
import { forkRows, type SideRow } from './fork-rows.ts';

/** A violation as a row shows it. */
export interface Mark {
  readonly invariant: string;
  readonly sanity: boolean;
  readonly recorded: boolean;
}

/** One row: an event, or a kernel micro-step within it. */
export interface Row {
  readonly id: string;
  readonly kind: 'step' | 'micro';
  readonly step: number;
  readonly label: string;
  readonly skipped: boolean;
  readonly task: number;
  /** The running task's kernel contexts, outermost first. */
  readonly lanes: readonly string[];
  readonly changes: ReadonlyArray<readonly [string, string, string]>;
  readonly obs: ReadonlyArray<{ readonly kind: string; readonly text: string }>;
  readonly marks: readonly Mark[];
}

/** A task in the inspector. */
export interface TaskView {
  readonly id: number;
  readonly running: boolean;
  readonly mode: string;
  readonly compat: boolean;
  readonly tsCompat: boolean;
  readonly flags: readonly string[];
  readonly contexts: readonly string[];
  /** pt_regs: field, value, written since the last entry from user mode, changed by this row. */
  readonly pt: ReadonlyArray<readonly [string, string, boolean, boolean]>;
}

/** The state after a row. */
export interface StateView {
  readonly cpu: ReadonlyArray<readonly [string, string, boolean]>;
  readonly tasks: readonly TaskView[];
}

/** A violated invariant. */
export interface FindingView {
  readonly invariant: string;
  readonly sanity: boolean;
  readonly recorded: boolean;
  readonly step: number;
  readonly row: string;
  readonly where: string | null;
  readonly message: string;
  readonly brief: string;
  readonly fork: { readonly via: string; readonly rows: readonly SideRow[] } | null;
}

/** Everything the page shows of one trace. */
export interface TraceView {
  readonly title: string;
  readonly design: string;
  readonly vendor: string;
  readonly paging: number;
  /** What the start changes from the model's initial state ("; task 2 a 64-bit process"), or empty. */
  readonly start: string;
  readonly summary: string;
  readonly status: number;
  readonly rows: readonly Row[];
  readonly states: Readonly<Record<string, StateView>>;
  readonly findings: readonly FindingView[];
  readonly errors: readonly string[];
  readonly holds: readonly string[];
}

const hex = (v: bigint): string => `0x${v.toString(16)}`;

function stateView(before: MachineState | undefined, after: MachineState, K: Review['run']['kernel']): StateView {
  const fa = fields(after);
  const fb = before ? fields(before) : undefined;
  const diff = new Set(fb ? changed(fb, fa).map(([k]) => k) : []);
  const cpu = Object.entries(fa).filter(([k]) => !k.startsWith('task') || k === 'task').map(([k, v]) => [k, display(k, v, fa, K), diff.has(k)] as const);
  const tasks = after.k.tasks.filter((t) => t.id !== 0).map((t): TaskView => {
    const old = before?.k.tasks.find((x) => x.id === t.id);
    return {
      id: t.id, running: after.k.current === t.id, mode: t.mode, compat: t.compat, tsCompat: t.tsCompat, flags: tifNames(t.tif),
      contexts: t.acts.map(contextName),
      pt: PT_FIELDS.map((f, i) => [f, hex(t.regs[f]), (t.written & (1 << i)) !== 0, old !== undefined && old.regs[f] !== t.regs[f]] as const),
    };
  });
  return { cpu, tasks };
}

const lanesOf = (m: MachineState): string[] => (m.k.tasks.find((t) => t.id === m.k.current)?.acts ?? []).map(contextName);

/** The view of one reviewed trace. */
export function traceView(title: string, r: Review, summary: string): TraceView {
  const run = r.run;
  const K = run.kernel;
  const states = run.result.states;
  const rows: Row[] = [];
  const views: Record<string, StateView> = {};
  const obsAt = (i: number): Array<{ kind: string; text: string }> =>
    run.result.observations.filter((t) => t.at === i && !isInternal(t.o)).map((t) => ({ kind: t.o.kind, text: observationText(t.o as Observation) }));
  const marks = (pred: (f: Review['findings'][number]) => boolean): Mark[] =>
    r.findings.filter(pred).map((f) => ({ invariant: f.invariant, sanity: f.sanity, recorded: f.recorded }));
  const n = run.events.length;
  for (let i = 0; i <= n; i++) {
    const before = states[i];
    const after = states[i + 1];
    if (before === undefined || after === undefined) continue;
    const fb = fields(before);
    const fa = fields(after);
    const e = run.events[i];
    const id = `s${i}`;
    rows.push({
      id, kind: 'step', step: i, label: e === undefined ? DRAIN_TEXT : eventText(e), skipped: run.result.skipped.includes(i), task: after.k.current, lanes: lanesOf(after),
      changes: changed(fb, fa).map(([k, a, b]) => [k, display(k, a, fb, K), display(k, b, fa, K)] as const),
      obs: obsAt(i), marks: marks((f) => f.step === i),
    });
    views[id] = stateView(before, after, K);
    run.micro.forEach((mr, index) => {
      if (mr.event !== i) return;
      const mb = fields(mr.before);
      const ma = fields(mr.after);
      const mid = `m${index}`;
      rows.push({
        id: mid, kind: 'micro', step: i, label: K.describe(mr.rip), skipped: false, task: mr.after.k.current, lanes: lanesOf(mr.after),
        changes: changed(mb, ma).filter(([k]) => k !== 'rip').map(([k, a, b]) => [k, display(k, a, mb, K), display(k, b, ma, K)] as const),
        obs: [], marks: marks((f) => f.micro === index),
      });
      views[mid] = stateView(mr.before, mr.after, K);
    });
  }
  const findings = r.findings.map((f): FindingView => ({
    invariant: f.invariant, sanity: f.sanity, recorded: f.recorded, step: f.step, row: f.micro !== undefined ? `m${f.micro}` : `s${f.step}`,
    where: f.where ?? null, message: f.message, brief: briefMessage(f.message),
    fork: f.fork ? { via: f.fork.via, rows: forkRows(f.fork.actual, f.fork.alternative) } : null,
  }));
  return {
    title, design: run.design.name, vendor: run.vendor, paging: run.paging, start: startText(run), summary, status: r.status, rows, states: views, findings,
    errors: r.errors.map((e) => e.message), holds: r.holds.filter((h) => !h.sanity).map((h) => h.invariant),
  };
}
