/**
 * What `entrycheck replay --json` prints for one reviewed trace (schema:
 * schemas/replay-output.schema.json): the report of replay-report.ts with every violation
 * (reachability claims marked `sanity`), the checks that threw, the recorded failure of a
 * counterexample and whether it reproduced, counts, and the exit status this file gives.
 */
import { initialField } from '../check/counterexample.ts';
import type { Review } from '../check/review.ts';
import { briefMessage } from './brief.ts';
import { replayReport } from './replay-report.ts';

/** The JSON object for one file (stringify turns bigints into hex strings). */
export function reviewJson(file: string, r: Review, verbose: boolean): unknown {
  const violations = r.findings.map((f) => ({
    invariant: f.invariant, step: f.step, message: f.message, brief: briefMessage(f.message), sanity: f.sanity, recorded: f.recorded,
    where: f.where ?? null, micro: verbose && f.micro !== undefined ? f.micro : null,
  }));
  const report = replayReport(r.run, [], { verbose });
  return {
    file, design: report.design, vendor: report.vendor, paging: report.paging, ...initialField(r.run.initial), steps: report.steps, observations: report.observations,
    violations,
    errors: r.errors.map((e) => ({ invariant: e.invariant, message: e.message, recorded: e.recorded })),
    holds: r.holds.map((h) => h.invariant),
    recorded: r.recorded,
    summary: {
      violated: r.findings.filter((f) => !f.sanity).length, sanityReached: r.findings.filter((f) => f.sanity).length,
      threw: r.errors.length, hold: r.holds.filter((h) => !h.sanity).length,
    },
    status: r.status,
  };
}
