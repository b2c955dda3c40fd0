/**
 * A soak worker: makes each job's file (or argument list) from its index, runs the CLI on it
 * in this thread, and reports the verdict. The main thread watches the time of every job and
 * terminates a worker that hangs.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { shownPath } from '../../src/check/shown.ts';
import { badInputProblem, runCli } from '../fuzz/cli.ts';
import { removeMalformed, writeMalformed } from '../fuzz/write.ts';
import { argsJob, fileJob, type Batch, type Outcome, type WorkerMessage } from './jobs.ts';

const { seed, trace, root } = workerData as { seed: number; trace: string; root: string };
// Under the main thread's folder, which it removes even if this worker is terminated.
const dir = mkdtempSync(join(root, 'files-'));
const out = mkdtempSync(join(root, 'out-'));
const post = (m: WorkerMessage): void => parentPort?.postMessage(m);

async function one(kind: 'file' | 'args', i: number): Promise<Outcome> {
  let args: string[];
  let cls: string;
  let file: string | undefined;
  if (kind === 'file') {
    const m = fileJob(seed, i);
    cls = m.cls;
    file = writeMalformed(dir, `f${i}`, m);
    args = ['replay', file];
  } else {
    ({ args, cls } = argsJob(seed, i, out, trace));
  }
  post({ type: 'start', kind, i, cls });
  const r = await runCli(args);
  if (file !== undefined) removeMalformed(file);
  // Nothing may be left behind: not in the files' folder, not in --out.
  const left = readdirSync(dir).length + readdirSync(out).length;
  const problem = badInputProblem(r, file === undefined ? undefined : shownPath(file)) ?? (left > 0 ? `${left} files written` : null);
  const lines = r.stderr.split('\n').length - 1;
  return { kind, i, cls, status: r.status, lines, lineLength: r.stderr.length, problem, ms: r.ms };
}

parentPort?.on('message', (b: Batch | 'stop') => {
  if (b === 'stop') {
    rmSync(dir, { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
    process.exit(0);
  }
  void (async () => {
    for (let i = b.start; i < b.end; i++) post({ type: 'done', outcome: await one(b.kind, i) });
    post({ type: 'batch' });
  })();
});
