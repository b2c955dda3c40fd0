/**
 * `entrycheck replay FILE...`.
 */
import { readFileSync } from 'node:fs';
import { InputError, inputErrors } from '../check/errors.ts';
import { designByName, runTraceFile } from '../check/session.ts';
import { parseTrace } from '../check/trace-file.ts';
import { stringify } from '../check/json.ts';
import { replayReport, replayText } from '../report/replay-report.ts';

/** Options of the replay command. */
export interface ReplayOptions {
  readonly design?: string;
  readonly vendor?: 'intel' | 'amd';
  readonly paging?: '4' | '5';
  readonly json?: boolean;
  readonly verbose?: boolean;
}

/** Reads a file or throws a one-line InputError. */
export function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError(inputErrors.readFile(file, (e as NodeJS.ErrnoException).code ?? (e as Error).message));
  }
}

/** Replays each file; exit 0 (1 once counterexample files report a reproduced violation). */
export async function replayCommand(files: readonly string[], o: ReplayOptions): Promise<number> {
  const parsed = files.map((f) => ({ f, t: parseTrace(readText(f), f) }));
  const design = o.design ? designByName(o.design) : undefined;
  const outputs = parsed.map(({ f, t }) => {
    const run = runTraceFile(t, f, {
      ...(design ? { design } : {}), ...(o.vendor ? { vendor: o.vendor } : {}),
      ...(o.paging ? { paging: Number(o.paging) as 4 | 5 } : {}), verbose: o.verbose ?? false,
    });
    return { f, run };
  });
  if (o.json) {
    const reports = outputs.map(({ f, run }) => ({ file: f, ...replayReport(run) }));
    process.stdout.write(stringify(reports.length === 1 ? reports[0] : reports));
  } else {
    for (const { f, run } of outputs) process.stdout.write(`${files.length > 1 ? `== ${f}\n` : ''}${replayText(run)}`);
  }
  return 0;
}
