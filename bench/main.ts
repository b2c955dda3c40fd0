/**
 * `npm run bench`: one table of the checker's speed on this machine.
 * - model micro-steps per second and property runs per second, one core;
 * - for each bug of the corpus and each expected-violated (invariant, design) row: the median
 *   over 5 seeds of the time to the first violation and the time to shrink it, and the median
 *   minimal length;
 * - the wall time of the whole `npm run check` (worker threads on every core).
 * Flags: --quick (2 seeds, fewer runs), --no-check (skip timing npm run check).
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import fc from 'fast-check';
import { traceArbitrary } from '../src/check/arbitrary.ts';
import { discoverInvariants } from '../src/check/discover.ts';
import { evaluate } from '../src/check/evaluate.ts';
import { Expected } from '../src/check/expected.ts';
import { search } from '../src/check/search.ts';
import { designByName, kernelOf } from '../src/check/session.ts';
import { initialState, type Design } from '../src/kernel/index.ts';
import { replay } from '../src/model/index.ts';
import { BUGS } from '../test/history/bugs.ts';
import type { RawEvent } from '../src/check/trace-file.ts';
import { toTraceEvents } from '../src/check/operands.ts';

const quick = process.argv.includes('--quick');
const SEEDS = quick ? [1, 2] : [1, 2, 3, 4, 5];
const MAX_RUNS = quick ? 500 : 2000;
const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s.length ? (s[Math.floor((s.length - 1) / 2)] as number) : NaN; };
const fmt = (ms: number): string => (Number.isNaN(ms) ? '-' : ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(2)} s`);
const rows: string[][] = [];
const row = (...c: string[]): void => { rows.push(c); };

// 1. Raw model speed: replay generated traces on linux-6.7, counting kernel micro-steps.
const traces = fc.sample(traceArbitrary(), { seed: 1, numRuns: 400 }) as RawEvent[][];
const k67 = kernelOf(designByName('linux-6.7'));
let steps = 0;
const replayAll = (): void => {
  for (const t of traces) {
    steps += replay(initialState(k67, 'intel', 4), toTraceEvents(t, 'bench'), k67).microSteps;
  }
};
replayAll(); // warm-up: the JIT's first pass is not the model's speed
steps = 0;
const t0 = performance.now();
replayAll();
const modelMs = performance.now() - t0;
row('model micro-steps per second (1 core, linux-6.7)', `${Math.round((steps / modelMs) * 1000).toLocaleString('en')}`, `${steps} steps in ${traces.length} traces`);

// 2. Property runs per second: every invariant on the same traces.
const invariants = await discoverInvariants();
for (const d of invariants.slice(0, 3)) for (const t of traces.slice(0, 50)) evaluate(d.invariant, { kernel: k67, vendor: 'intel', paging: 4 }, toTraceEvents(t, 'bench')); // warm-up
const t1 = performance.now();
let runs = 0;
for (const d of invariants) for (const t of traces.slice(0, 100)) { evaluate(d.invariant, { kernel: k67, vendor: 'intel', paging: 4 }, toTraceEvents(t, 'bench')); runs++; }
const propMs = performance.now() - t1;
row('property runs per second (1 core, linux-6.7)', `${Math.round((runs / propMs) * 1000).toLocaleString('en')}`, `${runs} runs, ${invariants.length} invariants`);

// 3. Time to first violation and to shrink, median over seeds.
const byId = new Map(invariants.map((d) => [d.invariant.id, d.invariant]));
function measure(label: string, invId: string, design: Design, vendor: 'intel' | 'amd', paging: 4 | 5): void {
  const inv = byId.get(invId);
  if (!inv) return;
  const find: number[] = [];
  const shrinkT: number[] = [];
  const len: number[] = [];
  for (const seed of SEEDS) {
    const r = search(inv, { kernel: kernelOf(design), vendor, paging }, seed, MAX_RUNS);
    if (r.found) { find.push(r.found.timeToFind); shrinkT.push(r.found.timeToShrink); len.push(r.found.events.length); }
  }
  row(label, `find ${fmt(median(find))}, shrink ${fmt(median(shrinkT))}`, `length ${Number.isNaN(median(len)) ? '-' : median(len)}; found ${find.length}/${SEEDS.length}`);
}
for (const b of BUGS) measure(`corpus ${b.id}: ${b.invariant} on ${b.buggy.name} (${b.vendor})`, b.invariant, b.buggy, b.vendor, b.paging ?? 4);
const expected = Expected.load();
const seen = new Set<string>();
for (const e of expected.entries) {
  if (e.expect !== 'violated' || e.invariant === '*' || e.design === '*' || seen.has(`${e.invariant}/${e.design}`)) continue;
  seen.add(`${e.invariant}/${e.design}`);
  const vendor = e.vendor === '*' ? 'intel' : e.vendor;
  const paging = e.paging === '*' ? 4 : e.paging;
  measure(`cell ${e.invariant} on ${e.design} (${vendor}-${paging})`, e.invariant, designByName(e.design), vendor, paging);
}

// 4. The whole suite, as `npm run check` runs it.
if (!process.argv.includes('--no-check')) {
  const t2 = performance.now();
  const r = spawnSync(process.execPath, [new URL('../bin/entrycheck.js', import.meta.url).pathname, 'run', '--all'], { encoding: 'utf8' });
  row(`npm run check, wall time (${availableParallelism()} cores)`, fmt(performance.now() - t2), `exit ${r.status}`);
}

const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
const line = (r: string[]): string => `| ${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
process.stdout.write(`${line(['measure', 'value', 'detail'])}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|\n${rows.map(line).join('\n')}\n`);
