/**
 * The replay report: one line per event (skipped ones marked) with the fields it changed and the
 * observations it produced; with `verbose`, every kernel micro-step too. Text for people, JSON
 * for tools.
 */
import type { TraceRun } from '../check/session.ts';
import { isInternal, type Observation } from '../model/index.ts';
import { eventText, observationText } from './event-text.ts';
import { diff, snapshot } from './snapshot.ts';

/** A violation found while replaying (filled in by the invariant checker). */
export interface ReportedViolation {
  readonly invariant: string;
  readonly step: number;
  readonly message: string;
}

/** Structured report (what --json prints). */
export interface ReplayReport {
  readonly design: string;
  readonly vendor: string;
  readonly paging: number;
  readonly steps: ReadonlyArray<{ index: number; event: string; skipped: boolean; changes: Record<string, [string, string]> }>;
  readonly observations: ReadonlyArray<{ at: number } & Observation>;
  readonly violations?: readonly ReportedViolation[];
}

const shown = (o: Observation): boolean => !isInternal(o);

/** Builds the structured report. */
export function replayReport(run: TraceRun, violations?: readonly ReportedViolation[]): ReplayReport {
  const K = run.kernel;
  const states = run.result.states;
  const skipped = new Set(run.result.skipped);
  const steps = [...run.events.map((e, i) => ({ e: eventText(e), i })), { e: '(end of trace: the kernel runs to user mode)', i: run.events.length }]
    .map(({ e, i }) => {
      const before = states[i];
      const after = states[i + 1];
      const changes: Record<string, [string, string]> = {};
      if (before && after) for (const [k, a, b] of diff(snapshot(before, K), snapshot(after, K))) changes[k] = [a, b];
      return { index: i, event: e, skipped: skipped.has(i), changes };
    });
  return {
    design: run.design.name, vendor: run.vendor, paging: run.paging, steps,
    observations: run.result.observations.filter((t) => shown(t.o)).map((t) => ({ at: t.at, ...t.o })),
    ...(violations ? { violations } : {}),
  };
}

/** The report as text. */
export function replayText(run: TraceRun, violations: readonly ReportedViolation[] = []): string {
  const r = replayReport(run);
  const out: string[] = [`design ${r.design}, ${r.vendor}, ${r.paging}-level paging`];
  const K = run.kernel;
  for (const s of r.steps) {
    out.push(`${String(s.index).padStart(3)}  ${s.event}${s.skipped ? '   [skipped: not enabled here]' : ''}`);
    if (run.micro.length > 0) {
      for (const mr of run.micro.filter((x) => x.event === s.index)) {
        const ch = diff(snapshot(mr.before, K), snapshot(mr.after, K)).filter(([k]) => k !== 'rip');
        out.push(`       . ${K.describe(mr.rip)}${ch.length ? `   ${ch.map(([k, , b]) => `${k}=${b}`).join(' ')}` : ''}`);
      }
    }
    for (const [k, [a, b]] of Object.entries(s.changes)) out.push(`       ${k}: ${a} -> ${b}`);
    for (const o of r.observations.filter((x) => x.at === s.index)) out.push(`       > ${observationText(o)}`);
    for (const v of violations.filter((x) => x.step === s.index)) out.push(`       !! ${v.invariant}: ${v.message}`);
  }
  return `${out.join('\n')}\n`;
}
