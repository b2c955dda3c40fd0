/**
 * `entrycheck merge FILE...`: the `run --json` outputs of the shards of one run (`--shard I/N`)
 * made into one result: a cell is an error if any shard says so, else violated if any shard
 * found a violation, else it holds; runs add up; the shortest counterexample is kept; coverage
 * and stats add up. All files must come from the same seed, budget and shard count; a missing
 * shard makes the result incomplete (exit 1). Prints the matrix, or --json / --reporter junit.
 */
import { Option, type Command } from 'commander';
import { mergeCoverage, emptyCoverage, type Coverage } from '../check/coverage.ts';
import { InputError, inputErrors } from '../check/errors.ts';
import { stringify } from '../check/json.ts';
import { runOutputSchema } from '../check/output-schemas.ts';
import type { CellResult } from '../check/suite.ts';
import { parseJsonFile, readText } from '../check/validate.ts';
import { zodLine } from '../check/validate.ts';
import { junitXml } from '../report/junit.ts';
import { matrixText } from '../report/matrix.ts';
import { runJson } from '../report/run-json.ts';
import type { CliCommand } from './command.ts';
import { exitHelp } from './common.ts';
import type { z } from 'zod';

type RunOutput = z.infer<typeof runOutputSchema>;

/** Reads one shard's output. */
function readShard(file: string): RunOutput {
  const value = parseJsonFile(readText(file), file);
  const r = runOutputSchema.safeParse(value, { reportInput: true });
  if (!r.success) throw new InputError(inputErrors.notRunOutput(file, zodLine(file, r.error, runOutputSchema).slice(file.length + 2)));
  return r.data;
}

type Cell = RunOutput['cells'][number];
const key = (c: Cell): string => `${c.invariant}|${c.design}|${c.vendor}|${c.paging}`;

/** Two shards' results for one cell, as one. */
function combine(a: Cell, b: Cell): Cell {
  const verdict = a.verdict === 'error' || b.verdict === 'error' ? 'error' : a.verdict === 'violated' || b.verdict === 'violated' ? 'violated' : 'holds';
  const ces = [a.counterexample, b.counterexample].filter((x) => x !== null).sort((x, y) => x.length - y.length || (x.file < y.file ? -1 : 1));
  const error = a.error ?? b.error;
  return { ...a, verdict, runs: a.runs + b.runs, counterexample: ces[0] ?? null, ...(error !== undefined ? { error } : {}) };
}

const asResult = (c: Cell): CellResult => ({
  cell: { invariant: c.invariant, design: c.design, vendor: c.vendor, paging: c.paging }, sanity: c.sanity,
  expected: { verdict: c.expected, why: c.why }, verdict: c.verdict, runs: c.runs,
  counterexample: c.counterexample ? { ...c.counterexample, source: 'search' } : null, ...(c.error !== undefined ? { error: c.error } : {}),
});

/** Merges shard outputs and prints the result. */
export async function mergeCommand(files: readonly string[], o: { json?: boolean; reporter?: string }): Promise<number> {
  const shards = files.map((f) => ({ f, r: readShard(f) }));
  const first = shards[0]?.r;
  if (first === undefined) throw new InputError(inputErrors.nothingToReplay());
  const count = Number(first.params.shard.split('/')[1]);
  const seen = new Set<number>();
  for (const { f, r } of shards) {
    const [i, n] = r.params.shard.split('/');
    if (r.params.seed !== first.params.seed || r.params.runs !== first.params.runs || Number(n) !== count || i === 'all') {
      throw new InputError(inputErrors.notRunOutput(f, `expected a shard of the same run as ${files[0] ?? ''} (seed ${first.params.seed}, --runs ${first.params.runs}, shard ?/${count}), got seed ${r.params.seed}, --runs ${r.params.runs}, shard ${r.params.shard}`));
    }
    seen.add(Number(i));
  }
  const cells = new Map<string, Cell>();
  for (const { f, r } of shards) {
    for (const c of r.cells) {
      const prev = cells.get(key(c));
      if (prev !== undefined && prev.expected !== c.expected) throw new InputError(inputErrors.mergeConflict(f, key(c)));
      cells.set(key(c), prev === undefined ? c : combine(prev, c));
    }
  }
  const coverage: Coverage = emptyCoverage();
  for (const { r } of shards) mergeCoverage(coverage, r.coverage);
  const stats = { traces: 0, events: 0, microSteps: 0, exploredTraces: 0, exploredStates: 0, cpuMs: 0 };
  for (const { r } of shards) for (const k of ['traces', 'events', 'microSteps', 'exploredTraces', 'exploredStates', 'cpuMs'] as const) stats[k] += r.stats[k];
  const missing = Array.from({ length: count }, (_, k) => k + 1).filter((k) => !seen.has(k));
  const broken = shards.flatMap(({ r }) => r.broken).filter((b, k, all) => all.findIndex((x) => x.file === b.file) === k);
  const results = [...cells.values()].map(asResult);
  const ok = results.every((c) => c.verdict === c.expected.verdict) && missing.length === 0 && broken.length === 0;
  const reporter = o.json ? 'json' : o.reporter ?? 'text';
  if (reporter === 'json') {
    const j = runJson(ok, results, coverage, { seed: first.params.seed, runs: first.params.runs, shard: { index: 0, count } }, stats) as { params: object };
    process.stdout.write(stringify({ ...j, params: { ...j.params, shard: `all/${count}` }, broken }));
  } else if (reporter === 'junit') {
    process.stdout.write(junitXml(results));
  } else {
    const gaps = missing.length ? `\nIncomplete: shard${missing.length > 1 ? 's' : ''} ${missing.map((k) => `${k}/${count}`).join(', ')} missing.\n` : '';
    process.stdout.write(`${matrixText(results, process.stdout.isTTY === true)}${gaps}`);
  }
  return ok ? 0 : 1;
}

/** The merge command. */
export const merge: CliCommand = {
  register(program: Command, done) {
    program
      .command('merge')
      .description('merge the run --json outputs of the shards of one run (--shard I/N) into one matrix')
      .argument('<file...>', 'outputs of entrycheck run --shard I/N --json, one per shard')
      .addOption(new Option('--reporter <format>', 'output: the matrix, JSON, or JUnit XML for CI').choices(['text', 'json', 'junit']).default('text'))
      .option('--json', 'the same as --reporter json (schemas/run-output.schema.json, shard "all/N")')
      .addHelpText('after', exitHelp('a cell does not match its expected verdict, a shard is missing, or a shard left a file out'))
      .action(async (files: string[], opts: { json?: boolean; reporter?: string }) => { done(await mergeCommand(files, opts)); });
  },
};
