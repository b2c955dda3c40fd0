/**
 * `npm run soak`: ten thousand malformed files (every class of scripts/fuzz/malformed.ts) given
 * to `entrycheck replay`, and fifty bad command lines, each run in-process on worker threads.
 * Every one must exit 2 with exactly one line on stderr (naming the file), nothing on stdout and
 * nothing written. A job that runs longer than --timeout-ms is a hang (its worker is terminated
 * and replaced); a worker that dies is a crash. Prints a table per class (docs/reliability.md
 * holds the latest) and exits 1 on any problem.
 *
 *   npm run soak -- [--files 10000] [--args 50] [--seed 1] [--workers 4] [--timeout-ms 10000]
 */
import { availableParallelism } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Batch, Outcome, WorkerMessage } from './soak/jobs.ts';

const flag = (name: string, def: number): number => {
  const k = process.argv.indexOf(`--${name}`);
  const v = k === -1 ? undefined : Number(process.argv[k + 1]);
  return v !== undefined && Number.isInteger(v) && v >= 0 ? v : def;
};
const FILES = flag('files', 10_000);
const ARGS = flag('args', 50);
const SEED = flag('seed', 1);
const WORKERS = Math.max(1, flag('workers', Math.min(4, availableParallelism())));
const TIMEOUT = flag('timeout-ms', 10_000);
const BATCH = 25;

const root = mkdtempSync(join(tmpdir(), 'ec-soak-'));
const trace = new URL('../test/scenarios/getpid-sysret.json', import.meta.url).pathname;
const entry = new URL('./soak/worker-entry.js', import.meta.url);

/** Per class: jobs, exit statuses, stderr line counts, problems, time. */
interface Tally { jobs: number; status: Map<number, number>; lines: Map<number, number>; problems: number; hangs: number; crashes: number; maxMs: number; totalMs: number; maxLine: number }
const tallies = new Map<string, Tally>();
const tally = (cls: string): Tally => {
  let t = tallies.get(cls);
  if (!t) { t = { jobs: 0, status: new Map(), lines: new Map(), problems: 0, hangs: 0, crashes: 0, maxMs: 0, totalMs: 0, maxLine: 0 }; tallies.set(cls, t); }
  return t;
};
const bump = (m: Map<number, number>, k: number): void => { m.set(k, (m.get(k) ?? 0) + 1); };
const examples: string[] = [];

function record(o: Outcome): void {
  const t = tally(o.cls);
  t.jobs++;
  bump(t.status, o.status);
  bump(t.lines, o.lines);
  t.maxMs = Math.max(t.maxMs, o.ms);
  t.totalMs += o.ms;
  t.maxLine = Math.max(t.maxLine, o.lineLength);
  if (o.problem) { t.problems++; if (examples.length < 20) examples.push(`${o.kind} #${o.i} (${o.cls}): ${o.problem}`); }
}

/** The batches still to run, then a pool of workers that takes them; a hung or dead worker is replaced. */
const queue: Batch[] = [];
for (let s = 0; s < FILES; s += BATCH) queue.push({ kind: 'file', start: s, end: Math.min(FILES, s + BATCH) });
for (let s = 0; s < ARGS; s += BATCH) queue.push({ kind: 'args', start: s, end: Math.min(ARGS, s + BATCH) });

/**
 * One worker at a time runs batches from the queue. The watchdog runs from a job's start to its
 * end (not while a new worker boots): past TIMEOUT the job is a hang, its worker is terminated,
 * and the rest of its batch goes to a new worker; a worker that dies is a crash, likewise.
 */
function lane(): Promise<void> {
  return new Promise((resolve) => {
    let current: { kind: 'file' | 'args'; i: number; cls: string } | null = null;
    let batch: Batch | undefined;
    let resumeAt = 0;
    let timer: NodeJS.Timeout | undefined;
    let w: Worker;
    const lost = (why: 'hang' | 'crash'): void => {
      clearTimeout(timer);
      w.removeAllListeners();
      void w.terminate();
      if (current) {
        const t = tally(current.cls);
        t.jobs++;
        t.problems++;
        if (why === 'hang') t.hangs++; else t.crashes++;
        examples.push(`${current.kind} #${current.i} (${current.cls}): ${why}`);
        resumeAt = current.i + 1;
        done++;
      }
      if (batch && resumeAt < batch.end) queue.unshift({ ...batch, start: resumeAt });
      current = null;
      batch = undefined;
      start();
    };
    const next = (): void => {
      batch = queue.shift();
      if (batch === undefined) { w.postMessage('stop'); w.once('exit', () => resolve()); return; }
      resumeAt = batch.start;
      w.postMessage(batch);
    };
    const start = (): void => {
      w = new Worker(entry, { workerData: { seed: SEED, trace, root } });
      w.on('message', (m: WorkerMessage) => {
        if (m.type === 'start') {
          current = m;
          timer = setTimeout(() => lost('hang'), TIMEOUT);
        } else if (m.type === 'done') {
          clearTimeout(timer);
          current = null;
          resumeAt = m.outcome.i + 1;
          record(m.outcome);
          done++;
          progress();
        } else {
          next();
        }
      });
      w.on('error', () => lost('crash'));
      w.on('online', next);
    };
    start();
  });
}

let done = 0;
let lastTenth = -1;
const progress = (): void => {
  const tenth = Math.floor((done * 10) / (FILES + ARGS));
  if (tenth !== lastTenth) { lastTenth = tenth; process.stderr.write(`[soak] ${done}/${FILES + ARGS}\n`); }
};

const t0 = performance.now();
await Promise.all(Array.from({ length: WORKERS }, lane));
const seconds = (performance.now() - t0) / 1000;
rmSync(root, { recursive: true, force: true });

const hist = (m: Map<number, number>): string => [...m.entries()].sort((a, b) => a[0] - b[0]).map(([k, n]) => `${k}: ${n}`).join(', ');
const rows = [...tallies.entries()].sort((a, b) => a[0].localeCompare(b[0]));
const total = rows.reduce((n, [, t]) => n + t.jobs, 0);
const problems = rows.reduce((n, [, t]) => n + t.problems, 0);
const out: string[] = [
  `entrycheck soak: ${FILES} malformed files and ${ARGS} bad argument lists, seed ${SEED}, ${WORKERS} workers, ${seconds.toFixed(1)} s`,
  '',
  '| class | runs | exit status | stderr lines | problems | mean ms | max ms | longest stderr |',
  '| --- | ---: | --- | --- | ---: | ---: | ---: | ---: |',
  ...rows.map(([cls, t]) => `| ${cls} | ${t.jobs} | ${hist(t.status)} | ${hist(t.lines)} | ${t.problems} | ${(t.totalMs / Math.max(1, t.jobs - t.hangs - t.crashes)).toFixed(1)} | ${t.maxMs.toFixed(0)} | ${t.maxLine} |`),
  '',
  `total: ${total} runs, ${problems} problems (hangs ${rows.reduce((n, [, t]) => n + t.hangs, 0)}, crashes ${rows.reduce((n, [, t]) => n + t.crashes, 0)})`,
  ...examples.map((e) => `  ${e}`),
];
process.stdout.write(`${out.join('\n')}\n`);
process.exitCode = problems === 0 && total === FILES + ARGS ? 0 : 1;
