/**
 * `entrycheck replay FILE...`: trace files and counterexample files. For a counterexample, every
 * invariant is evaluated on the trace and the violations are reported with their steps; the exit
 * status is 1 if the recorded violation reproduces, 0 if it no longer does, 2 if a file is invalid.
 * Every file is read and checked (format, fields, the design a trace names, the invariant a
 * counterexample names) before anything runs, and nothing is printed until all have run, so bad
 * input gives its one line and nothing else.
 */
import { asTrace, COUNTEREXAMPLE_FORMAT, counterexampleSchema, designOf, type CounterexampleFile } from '../check/counterexample.ts';
import { designNamedIn } from '../check/designs.ts';
import { discoverInvariants, type Discovered } from '../check/discover.ts';
import { InputError, inputErrors, issueTexts } from '../check/errors.ts';
import { evaluate } from '../check/evaluate.ts';
import { stringify } from '../check/json.ts';
import { designByName, runTraceFile, type TraceRun } from '../check/session.ts';
import { described } from '../check/shown.ts';
import { TRACE_FORMAT, traceSchema, type TraceFile } from '../check/trace-file.ts';
import { parseJsonFile, readText, validate } from '../check/validate.ts';
import type { Design } from '../kernel/index.ts';
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
  readonly counterexample?: CounterexampleFile;
}

/** Reads and validates one file: a trace or a counterexample, by its format tag. */
function load(file: string): Loaded {
  const value = parseJsonFile(readText(file), file);
  const format = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as { format?: unknown }).format : undefined;
  if (format === COUNTEREXAMPLE_FORMAT) {
    const ce = validate(counterexampleSchema, value, file);
    return { file, trace: asTrace(ce), counterexample: ce };
  }
  if (format !== TRACE_FORMAT && format !== undefined) {
    throw new InputError(inputErrors.field(file, 'format', issueTexts.expectedGot(issueTexts.oneOf([TRACE_FORMAT, COUNTEREXAMPLE_FORMAT]), described(format))));
  }
  return { file, trace: validate(traceSchema, value, file) };
}

/** The design a file runs on: --design, a counterexample's recorded knobs, or the known design a trace names. */
function designFor(l: Loaded, forced: Design | undefined): Design {
  if (forced) return forced;
  if (l.counterexample) return designOf(l.counterexample);
  return designNamedIn(l.trace.design, l.file, 'design');
}

/** A counterexample must name an invariant that exists: otherwise there is nothing to reproduce. */
function checkInvariant(l: Loaded, invariants: readonly Discovered[]): void {
  const id = l.counterexample?.invariant;
  if (id === undefined || invariants.some((d) => d.invariant.id === id)) return;
  throw new InputError(inputErrors.unknownInvariantIn(l.file, 'invariant', id, invariants.map((d) => d.invariant.id)));
}

/** Replays each file. */
export async function replayCommand(files: readonly string[], o: ReplayOptions): Promise<number> {
  const forced = o.design ? designByName(o.design) : undefined;
  const loaded = files.map(load);
  const invariants = loaded.some((l) => l.counterexample) ? await discoverInvariants() : [];
  const designs = loaded.map((l) => designFor(l, forced));
  for (const l of loaded) checkInvariant(l, invariants);
  let status = 0;
  const outputs = loaded.map((l, n): { l: Loaded; run: TraceRun; violations?: ReportedViolation[] } => {
    const run = runTraceFile(l.trace, l.file, {
      design: designs[n], ...(o.vendor ? { vendor: o.vendor } : {}),
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
