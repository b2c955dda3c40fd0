/**
 * What `entrycheck replay` prints for one reviewed trace: the step table with the violations at
 * their steps (and micro-steps), then the verdicts apart: violated invariants, reachability
 * claims reached (expected: they prove the search gets somewhere), checks that threw, the
 * invariants that hold, and for a counterexample whether its recorded violation reproduces;
 * and one summary line.
 */
import type { Finding, Review } from '../check/review.ts';
import { briefMessage } from './brief.ts';
import { replayText, type ReportedViolation } from './replay-report.ts';

/** A finding as the step table shows it. */
export function reported(f: Finding): ReportedViolation {
  return {
    invariant: f.invariant, step: f.step, message: f.message, sanity: f.sanity, recorded: f.recorded,
    ...(f.where !== undefined ? { where: f.where } : {}), ...(f.micro !== undefined ? { micro: f.micro } : {}),
  };
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;
const at = (f: Finding): string => `step ${f.step}${f.where !== undefined ? `, ${f.where}` : ''}`;

/** The one-line summary. */
export function summaryLine(r: Review): string {
  const real = r.findings.filter((f) => !f.sanity);
  const sanity = r.findings.filter((f) => f.sanity);
  const parts = [
    `${plural(real.length, 'invariant')} violated`,
    ...(sanity.length ? [`${plural(sanity.length, 'reachability claim')} reached`] : []),
    ...(r.errors.length ? [`${plural(r.errors.length, 'check')} threw`] : []),
    `${r.holds.filter((h) => !h.sanity).length} hold`,
  ];
  let tail = '';
  if (r.recorded) {
    tail = r.recorded.reproduced
      ? `; the recorded violation of ${r.recorded.invariant} reproduces`
      : `; the recorded violation of ${r.recorded.invariant} no longer reproduces`;
  }
  return `Summary: ${parts.join(', ')}${tail}.`;
}

/** The sections after the step table. */
export function verdictSections(r: Review): string[] {
  const out: string[] = [];
  const real = r.findings.filter((f) => !f.sanity);
  const sanity = r.findings.filter((f) => f.sanity);
  if (real.length) {
    out.push('', 'Violated:');
    for (const f of real) out.push(`  ${f.invariant}${f.recorded ? ' (recorded)' : ''} at ${at(f)}: ${briefMessage(f.message)}`);
  }
  if (r.errors.length) {
    out.push('', 'Checks that threw (a defect of the invariant, not a verdict):');
    for (const e of r.errors) out.push(`  ${e.message}`);
  }
  if (sanity.length) {
    out.push('', 'Reachability claims reached (expected: they show the search gets there):');
    for (const f of sanity) out.push(`  ${f.invariant}${f.recorded ? ' (recorded)' : ''} at ${at(f)}`);
  }
  const holds = r.holds.filter((h) => !h.sanity).map((h) => h.invariant);
  if (holds.length) out.push('', `Hold: ${holds.join(', ')}`);
  const unreached = r.holds.filter((h) => h.sanity).map((h) => h.invariant);
  if (unreached.length) out.push(`Reachability claims not reached by this trace: ${unreached.join(', ')}`);
  return out;
}

/** Everything replay prints for one reviewed trace. */
export function reviewText(r: Review): string {
  return `${replayText(r.run, r.findings.map(reported))}${verdictSections(r).join('\n')}\n\n${summaryLine(r)}\n`;
}
