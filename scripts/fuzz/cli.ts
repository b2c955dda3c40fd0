/**
 * Running the CLI in this process (main() of src/cli/main.ts) with stdout and stderr captured,
 * and the verdict on a run that was given bad input: exit status 2, nothing on stdout, exactly
 * one line on stderr that is not an internal error and stays short. Used by the fuzz tests and
 * by `npm run soak`.
 */
import { main } from '../../src/cli/main.ts';
import { MAX_LINE } from '../../src/check/limits.ts';

/** What one run printed and returned. */
export interface CliRun {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** Runs `entrycheck ARGS...` in this process. Not re-entrant: stdout and stderr are swapped for the call. */
export async function runCli(args: readonly string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string | Uint8Array) => { stdout += String(chunk); return true; }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => { stderr += String(chunk); return true; }) as typeof process.stderr.write;
  const t0 = performance.now();
  let status: number;
  try {
    status = await main(['node', 'entrycheck', ...args]);
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
  return { status, stdout, stderr, ms: performance.now() - t0 };
}

/** Why a run on bad input is not what it must be, or null when it is. `mustName` must appear in the line. */
export function badInputProblem(r: CliRun, mustName?: string): string | null {
  if (r.status !== 2) return `exit status ${r.status}, expected 2`;
  if (r.stdout !== '') return `${r.stdout.length} characters on stdout, expected none`;
  const lines = r.stderr.split('\n');
  if (lines.length !== 2 || lines[1] !== '') return `${lines.length - 1} lines on stderr, expected 1`;
  const line = lines[0] ?? '';
  if (!line.startsWith('entrycheck: ')) return 'the line does not start with "entrycheck: "';
  if (line.includes('internal error')) return 'an internal error';
  // The message plus "entrycheck: " and, for commander's texts, their own prefix.
  if (line.length > MAX_LINE + 100) return `a line of ${line.length} characters`;
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e]/.test(line)) return 'an unescaped control character';
  if (mustName !== undefined && !line.includes(mustName)) return `the line does not name ${mustName}`;
  return null;
}
