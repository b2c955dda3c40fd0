/**
 * `entrycheck replay FILE...`: trace files and counterexample files. For a counterexample, every
 * invariant is evaluated on the trace and the violations are reported with their steps; the exit
 * status is 1 if the recorded violation reproduces, 0 if it no longer does, 2 if a file is invalid.
 */
import { asTrace, designOf, parseCounterexample } from '../check/counterexample.ts';
import { discoverInvariants } from '../check/discover.ts';
import { evaluate } from '../check/evaluate.ts';
import { parseJson, stringify } from '../check/json.ts';
import { designByName, runTraceFile, type TraceRun } from '../check/session.ts';
import { parseTrace, type TraceFile } from '../check/trace-file.ts';
import { readText } from '../check/validate.ts';
import { replayReport, replayText, type ReportedViolation } from '../report/replay-report.ts';

/** Options of the replay command. */
export interface ReplayOptions {
  readonly design?: string;
  readonly vendor?: 'intel' | 'amd';
  readonly paging?: '4' | '5';
  readonly json?: boolean;
  readonly verbose?: boolean;
}

interface Loaded {
  readonly file: string;
  readonly trace: TraceFile;
  readonly counterexample?: ReturnType<typeof parseCounterexample>;
}

function load(file: string): Loaded {
  const text = readText(file);
  const j = parseJson(text);
  const format = j.ok && typeof j.value === 'object' && j.value !== null ? (j.value as { format?: unknown }).format : undefined;
  if (format === 'entrycheck/counterexample@1') {
    const ce = parseCounterexample(text, file);
    return { file, trace: asTrace(ce), counterexample: ce };
  }
  return { file, trace: parseTrace(text, file) };
}

/** Replays each file. */
export async function replayCommand(files: readonly string[], o: ReplayOptions): Promise<number> {
  const loaded = files.map(load);
  const forced = o.design ? designByName(o.design) : undefined;
  const invariants = loaded.some((l) => l.counterexample) ? await discoverInvariants() : [];
  let status = 0;
  const outputs = loaded.map((l): { l: Loaded; run: TraceRun; violations?: ReportedViolation[] } => {
    const design = forced ?? (l.counterexample ? designOf(l.counterexample) : undefined);
    const run = runTraceFile(l.trace, l.file, {
      ...(design ? { design } : {}), ...(o.vendor ? { vendor: o.vendor } : {}),
      ...(o.paging ? { paging: Number(o.paging) as 4 | 5 } : {}), verbose: o.verbose ?? false,
    });
    if (!l.counterexample) return { l, run };
    const cell = { kernel: run.kernel, vendor: run.vendor, paging: run.paging };
    const violations: ReportedViolation[] = [];
    for (const d of invariants) {
      const ev = evaluate(d.invariant, cell, run.events);
      if (ev.violation) violations.push({ invariant: d.invariant.id, step: ev.violation.step, message: ev.violation.message });
    }
    if (violations.some((v) => v.invariant === l.counterexample?.invariant)) status = 1;
    return { l, run, violations };
  });
  if (o.json) {
    const reports = outputs.map(({ l, run, violations }) => ({ file: l.file, ...replayReport(run, violations) }));
    process.stdout.write(stringify(reports.length === 1 ? reports[0] : reports));
  } else {
    for (const { l, run, violations } of outputs) {
      const head = files.length > 1 ? `== ${l.file}\n` : '';
      const tail = l.counterexample
        ? `${violations?.length ? violations.map((v) => `violated: ${v.invariant} at step ${v.step}: ${v.message}`).join('\n') : 'no invariant is violated by this trace any more'}\n`
        : '';
      process.stdout.write(`${head}${replayText(run, violations ?? [])}${tail}`);
    }
  }
  return status;
}
