/**
 * `npm run bench`: the checker's speed on this machine, as one table (or `-- --json`).
 * - the model: micro-steps per CPU second replaying random traces, alone and with every
 *   invariant judged in the same replay; traces per second; bytes allocated per micro-step; a
 *   1,000- and a 10,000-event trace (cost linear in length);
 * - explore: distinct states per CPU second at depth 3 on linux-6.7 (one thread, warmed up);
 * - start-up: a worker thread ready to run units;
 * - search: per corpus bug and per expected violation, median over 5 seeds of the time to find
 *   and to shrink (not found counts as not found) and the minimal length;
 * - the suite: `npm run check` at the default budget and at --runs 3000, wall and CPU time.
 * CPU times are process.cpuUsage medians over at least 5 repeats after a warm-up pass.
 * Flags: --quick (2 seeds, smaller budgets), --no-check (skip the suite), --json.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { Worker } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { discoverInvariants, PROPERTIES_DIR } from '../src/check/discover.ts';
import { Expected } from '../src/check/expected.ts';
import { designByName } from '../src/check/session.ts';
import { BUGS } from '../test/history/bugs.ts';
import { measureExplore } from './explore.ts';
import { measureFind, type FindRow } from './find.ts';
import { fmtInt, fmtMs, median } from './measure.ts';
import { measureModel } from './model.ts';

const quick = process.argv.includes('--quick');
const json = process.argv.includes('--json');
const SEEDS = quick ? [1, 2] : [1, 2, 3, 4, 5];
const REPEATS = 5;
const FIND_RUNS = quick ? 500 : 2000;
const root = new URL('..', import.meta.url).pathname;
const log = (s: string): void => { if (!json) process.stderr.write(`[bench] ${s}\n`); };

const invariants = (await discoverInvariants()).map((d) => d.invariant);
log('model speed');
const model = measureModel(invariants, REPEATS);

log('explore speed (linux-6.7, depth 3, one thread)');
const exploreSpeed = measureExplore(invariants, REPEATS);

log('bytes per micro-step (child process, no GC during the measure)');
const alloc = spawnSync(process.execPath, ['--expose-gc', '--max-semi-space-size=1024', '--min-semi-space-size=1024', `${root}bin/run-ts.js`, `${root}bench/alloc.ts`], { encoding: 'utf8' });
const bytesPerStep = Number(alloc.stdout.trim());

log('worker start-up (from the precompiled runtime the CLI uses, and through tsx)');
const { runtimePath } = (await import(new URL('../bin/runtime.js', import.meta.url).href)) as { runtimePath: () => Promise<string | null> };
const runtime = await runtimePath();
const startOnce = (url: URL): Promise<number> => new Promise<number>((resolve, reject) => {
  const t0 = performance.now();
  const w = new Worker(url, { workerData: { propertiesDir: PROPERTIES_DIR, outDir: '/nonexistent', maxLength: 16, tracker: new SharedArrayBuffer(8), entrycheckWorker: 'check' } });
  w.on('message', (m) => { if (m === 'ready') { const ms = performance.now() - t0; void w.terminate().then(() => resolve(ms)); } });
  w.on('error', reject);
});
const startup: number[] = [];
const startupTsx: number[] = [];
for (let i = 0; i < 3; i++) {
  if (runtime) startup.push(await startOnce(pathToFileURL(runtime)));
  startupTsx.push(await startOnce(new URL('../src/check/worker-entry.js', import.meta.url)));
}

log('time to find and shrink');
const byId = new Map(invariants.map((i) => [i.id, i]));
const rows: FindRow[] = [];
for (const b of BUGS) {
  const inv = byId.get(b.invariant);
  if (inv) rows.push(measureFind(`corpus ${b.id}: ${b.invariant} on ${b.buggy.name} (${b.vendor})`, inv, b.buggy, b.vendor, b.paging ?? 4, SEEDS, FIND_RUNS));
}
const seen = new Set<string>();
for (const e of Expected.load().entries) {
  if (e.expect !== 'violated' || e.invariant === '*' || e.design === '*' || seen.has(`${e.invariant}/${e.design}`)) continue;
  seen.add(`${e.invariant}/${e.design}`);
  const inv = byId.get(e.invariant);
  const vendor = e.vendor === '*' ? 'intel' : e.vendor;
  const paging = e.paging === '*' ? 4 : e.paging;
  if (inv) rows.push(measureFind(`cell ${e.invariant} on ${e.design} (${vendor}-${paging})`, inv, designByName(e.design), vendor, paging, SEEDS, FIND_RUNS));
}

/**
 * Runs the suite in a child process: wall time, and the CPU time it reports (all its threads).
 * It runs on a copy of counterexamples/ so that what a bigger budget finds is not written into
 * the repository's reviewed corpus.
 */
function suite(extra: string[]): { wallMs: number; cpuMs: number; ok: boolean } {
  const out = mkdtempSync(join(tmpdir(), 'entrycheck-bench-'));
  cpSync(`${root}counterexamples`, out, { recursive: true });
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [`${root}bin/entrycheck.js`, 'run', '--all', '--json', '--out', out, ...extra], { encoding: 'utf8', maxBuffer: 1 << 28 });
  rmSync(out, { recursive: true, force: true });
  const wallMs = performance.now() - t0;
  let cpu = NaN;
  let ok = false;
  try {
    const res = JSON.parse(r.stdout) as { ok: boolean; stats?: { cpuMs: number } };
    cpu = res.stats?.cpuMs ?? NaN;
    ok = res.ok;
  } catch { /* reported as NaN */ }
  return { wallMs, cpuMs: cpu, ok };
}
const skipCheck = process.argv.includes('--no-check');
if (!skipCheck) log('npm run check (default budget, then --runs 3000)');
const check = skipCheck ? null : suite([]);
const check3000 = skipCheck || quick ? null : suite(['--runs', '3000']);

const machine = { cpu: cpus()[0]?.model ?? 'unknown', cores: availableParallelism(), node: process.version };
const figures = {
  machine, model: { ...model, bytesPerStep }, explore: exploreSpeed, startupMs: { runtime: startup, tsx: startupTsx }, find: rows,
  check: check ?? null, check3000: check3000 ?? null,
};
if (json) {
  process.stdout.write(`${JSON.stringify(figures, (_k, v) => (v === Infinity ? null : v), 2)}\n`);
} else {
  const t: string[][] = [];
  const row = (...c: string[]): void => { t.push(c); };
  row(`micro-steps per CPU second (replay, linux-6.7)`, fmtInt(model.stepsPerSec), `${fmtInt(model.microSteps)} steps in ${model.traces} random traces, median of ${REPEATS}`);
  row(`micro-steps per CPU second (every invariant judged)`, fmtInt(model.stepsPerSecAllInvariants), `${invariants.length} invariants in one replay per trace`);
  row(`traces judged per CPU second`, fmtInt(model.tracesPerSecAllInvariants), `every invariant`);
  row(`bytes allocated per micro-step`, fmtInt(bytesPerStep), `replay, no GC during the measure`);
  row(`1,000 / 10,000 getpid events, judged`, `${fmtMs(model.long1k)} / ${fmtMs(model.long10k)}`, `CPU time; linear in length`);
  row(`explore: distinct states per CPU second`, fmtInt(exploreSpeed.statesPerSec),
    `linux-6.7 depth ${exploreSpeed.depth}, one thread: ${fmtInt(exploreSpeed.states)} states, ${fmtInt(exploreSpeed.traces)} traces in ${fmtMs(exploreSpeed.cpuMs)} CPU (${fmtInt(exploreSpeed.tracesPerSec)} traces/s), median of ${REPEATS} after warm-up`);
  row(`worker start-up (precompiled runtime)`, `${fmtMs(median(startup))}`, `wall, median of 3; through tsx: ${fmtMs(median(startupTsx))}`);
  for (const r of rows) row(r.label, `find ${fmtMs(r.find)}, shrink ${fmtMs(r.shrink)}`, `length ${Number.isFinite(r.length) ? r.length : '-'}; found ${r.found}/${r.seeds}`);
  if (check) row(`npm run check (${machine.cores} cores)`, `${fmtMs(check.wallMs)} wall`, `${fmtMs(check.cpuMs)} CPU; ${check.ok ? 'all cells match' : 'MISMATCH'}`);
  if (check3000) row(`npm run check -- --runs 3000`, `${fmtMs(check3000.wallMs)} wall`, `${fmtMs(check3000.cpuMs)} CPU; ${check3000.ok ? 'all cells match' : 'MISMATCH'}`);
  const widths = [0, 1, 2].map((i) => Math.max(...t.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string => `| ${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  process.stdout.write(`${machine.cpu}, ${machine.cores} cores, Node ${machine.node}\n`);
  process.stdout.write(`${line(['measure', 'value', 'detail'])}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|\n${t.map(line).join('\n')}\n`);
}
