/**
 * Reviewing one trace: replay it once, judge every selected invariant on that replay, and say
 * what each found, where (the event, and for micro-step checks and fork points the kernel
 * micro-step), whether it is a reachability claim, and whether it is the violation a
 * counterexample file recorded. `entrycheck replay` and `entrycheck view` show this; the exit
 * status follows from it: a plain trace fails when a real (non-sanity) invariant is violated or
 * a check threw, a counterexample when its recorded failure reproduces.
 */
import type { Paging, Vendor } from '../isa/index.ts';
import type { Design, InitialOverrides } from '../kernel/index.ts';
import type { MachineState, Observation, ReturnVia, Run, TraceEvent } from '../model/index.ts';
import { forkSides } from './differential.ts';
import { contextOf, judge, type CellRun, type Violation } from './evaluate.ts';
import type { CheckContext, Invariant } from './invariant.ts';
import { kernelOf, type TraceRun } from './session.ts';

/** The fast exit and its IRET alternative at the fork point where a differential invariant failed. */
export interface ForkDetail {
  readonly event: number;
  readonly via: ReturnVia;
  readonly actual: readonly Observation[];
  readonly alternative: readonly Observation[];
}

/** One violated invariant. */
export interface Finding {
  readonly invariant: string;
  /** A reachability claim (properties/_sanity): its violation is expected, not a finding. */
  readonly sanity: boolean;
  /** The violation the counterexample file recorded. */
  readonly recorded: boolean;
  readonly step: number;
  readonly message: string;
  /** The kernel micro-step ("entry_SYSCALL_64+1 (...)") for micro-step checks and fork points. */
  readonly where?: string;
  /** Index into the run's micro-steps of the one it failed at (runs recorded with `micro`). */
  readonly micro?: number;
  readonly fork?: ForkDetail;
}

/** An invariant whose own check threw. */
export interface CheckFailure {
  readonly invariant: string;
  readonly message: string;
  readonly recorded: boolean;
}

/** What a review found. */
export interface Review {
  readonly run: TraceRun;
  /** Violations, by step then invariant id. */
  readonly findings: readonly Finding[];
  readonly errors: readonly CheckFailure[];
  /** Invariants judged that hold, by id. */
  readonly holds: ReadonlyArray<{ readonly invariant: string; readonly sanity: boolean }>;
  /** A counterexample's recorded failure and whether it reproduced. */
  readonly recorded: { readonly invariant: string; readonly step: number; readonly reproduced: boolean } | null;
  /** 1: a real invariant is violated or a check threw (plain trace), the recorded failure reproduced (counterexample). */
  readonly status: 0 | 1;
}

/** What to review. */
export interface ReviewInput {
  readonly design: Design;
  readonly vendor: Vendor;
  readonly paging: Paging;
  readonly trace: readonly TraceEvent[];
  readonly initial?: InitialOverrides;
  readonly invariants: readonly Invariant[];
  /** A counterexample's recorded failure (its invariant must be among `invariants`). */
  readonly recorded?: { readonly invariant: string; readonly step: number; readonly threw?: boolean };
  /** Record every micro-step (for --verbose and the viewer). */
  readonly micro: boolean;
}

const ok = (f: () => unknown): boolean => {
  try {
    return f() === true;
  } catch {
    return true;
  }
};

/** The micro-step a micro-granularity invariant failed at: the first record of its event it fails on. */
function microIndex(inv: Invariant, v: Violation, run: Run, ctx: CheckContext): number | undefined {
  const micro = run.micro;
  if (micro === null || v.where === undefined) return undefined;
  for (let i = 0; i < micro.length; i++) {
    const r = micro[i];
    if (r === undefined || r.event !== v.step) continue;
    if (inv.kind === 'state' && !ok(() => inv.check(r.after, ctx))) return i;
    const cm = inv.kind === 'step' ? inv.checkMicro : undefined;
    if (cm !== undefined && !ok(() => cm({ event: r.event, step: r.step, before: r.before, after: r.after }, ctx))) return i;
  }
  return undefined;
}

/** The fork point a differential invariant failed at (the first that fails, as judging found it), with both sides. */
function forkOf(inv: Invariant, cell: CellRun, run: Run, trace: readonly TraceEvent[], ctx: CheckContext): { detail: ForkDetail; state: MachineState } | undefined {
  if (inv.kind !== 'differential') return undefined;
  for (const f of run.forks) {
    const sides = forkSides(cell.kernel, run, f, trace);
    if (!ok(() => inv.check({ event: f.event, via: f.via, state: f.state, ...sides }, ctx))) {
      return { detail: { event: f.event, via: f.via, actual: sides.actual, alternative: sides.alternative }, state: f.state };
    }
  }
  return undefined;
}

/** The micro-step that starts at a fork point's state. */
function forkMicro(run: Run, event: number, state: MachineState): number | undefined {
  const i = run.micro?.findIndex((r) => r.event === event && r.before.clock === state.clock && r.rip === state.cpu.regs.rip) ?? -1;
  return i >= 0 ? i : undefined;
}

const byStep = (a: Finding, b: Finding): number => a.step - b.step || (a.invariant < b.invariant ? -1 : a.invariant > b.invariant ? 1 : 0);

/** Replays a trace once and judges every invariant on it. */
export function review(o: ReviewInput): Review {
  const kernel = kernelOf(o.design);
  const cell: CellRun = { kernel, vendor: o.vendor, paging: o.paging, ...(o.initial ? { initial: o.initial } : {}) };
  const ctx = contextOf(cell);
  const j = judge(o.invariants, cell, o.trace, { micro: o.micro });
  const run = j.run;
  const findings: Finding[] = [];
  const holds: Array<{ invariant: string; sanity: boolean }> = [];
  const errors: CheckFailure[] = [];
  for (const inv of o.invariants) {
    const recorded = o.recorded?.invariant === inv.id;
    const error = j.errors.get(inv.id);
    if (error !== undefined) { errors.push({ invariant: inv.id, message: error, recorded }); continue; }
    const v = j.violations.get(inv.id);
    if (v === undefined) { holds.push({ invariant: inv.id, sanity: inv.sanity }); continue; }
    const fork = forkOf(inv, cell, run, o.trace, ctx);
    const micro = fork ? forkMicro(run, fork.detail.event, fork.state) : microIndex(inv, v, run, ctx);
    findings.push({
      invariant: inv.id, sanity: inv.sanity, recorded, step: v.step, message: v.message,
      ...(v.where !== undefined ? { where: v.where } : {}), ...(micro !== undefined ? { micro } : {}), ...(fork ? { fork: fork.detail } : {}),
    });
  }
  findings.sort(byStep);
  const tr: TraceRun = {
    design: o.design, kernel, vendor: o.vendor, paging: o.paging, initial: o.initial ?? {}, events: run.events, trace: o.trace, result: run, micro: run.micro ?? [],
  };
  let recorded: Review['recorded'] = null;
  let status: 0 | 1;
  if (o.recorded !== undefined) {
    const id = o.recorded.invariant;
    const reproduced = o.recorded.threw === true ? errors.some((e) => e.invariant === id) : findings.some((f) => f.invariant === id);
    recorded = { invariant: id, step: o.recorded.step, reproduced };
    status = reproduced ? 1 : 0;
  } else {
    status = errors.length > 0 || findings.some((f) => !f.sanity) ? 1 : 0;
  }
  return { run: tr, findings, errors, holds, recorded, status };
}
