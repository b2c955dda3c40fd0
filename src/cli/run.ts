/**
 * `entrycheck run`: the property suite over cells, progress on stderr from the start, the
 * matrix at the end (stdout; or --json, or --reporter junit). `--update-expected` rewrites
 * expected-verdicts.json so that it says what this run found. Exit 0 exactly when every cell
 * matches its expected verdict (and no user file had to be left out of the run), 1 otherwise,
 * 2 on bad input.
 */
import { existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { CORPUS_DIR } from '../check/corpus-replay.ts';
import { coverageText } from '../check/coverage.ts';
import { allDesigns, brokenDesigns } from '../check/designs.ts';
import { brokenProperties } from '../check/discover.ts';
import { InputError, inputErrors } from '../check/errors.ts';
import { Expected, EXPECTED_FILE } from '../check/expected.ts';
import { stringify } from '../check/json.ts';
import { DEFAULT_EXPLORE_DEPTH } from '../check/explore-depth.ts';
import { plan } from '../check/plan.ts';
import { runSuite } from '../check/suite.ts';
import { counterexampleText } from '../report/counterexample-text.ts';
import { junitXml } from '../report/junit.ts';
import { matrixText } from '../report/matrix.ts';
import { runJson } from '../report/run-json.ts';
import type { CliCommand } from './command.ts';
import { designNamed, exitHelp, intFlag, loadInvariants, selectInvariants } from './common.ts';
import { startProgress } from './progress.ts';
import { parseSeed } from './seed.ts';
import { updateText, updateVerdicts } from './update-expected.ts';

/** Options of the run command (as commander parses them). */
export interface RunOptions {
  readonly design?: string[];
  readonly all?: boolean;
  readonly property?: string[];
  readonly vendor: string;
  readonly paging: string;
  readonly runs?: string;
  readonly exploreDepth?: string;
  /** false with --no-corpus. */
  readonly corpus?: boolean;
  readonly seed?: string;
  readonly shard?: string;
  readonly out: string;
  readonly json?: boolean;
  readonly reporter?: 'text' | 'json' | 'junit';
  readonly stallTimeout?: string;
  readonly updateExpected?: boolean;
  readonly why?: string;
  readonly expected?: string;
}

/**
 * Default guided traces per cell (per design, vendor and paging mode) and the fixed default seed.
 * 1,000 rather than 300: six more expected violations re-found from an empty --out by the search
 * alone, for about 20% more CPU (docs/search.md, "Measured").
 */
export const DEFAULT_RUNS = 1000;
export const DEFAULT_SEED = 20261121;
/** Seconds a unit may go without progress before the watchdog stops it. */
export const DEFAULT_STALL_S = 60;

/** --out must be a folder, or not exist yet (it is created): checked before anything runs. */
function outDir(dir: string): string {
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new InputError(inputErrors.badFlag('out', dir, 'a folder (or a path that does not exist yet)'));
  return dir;
}

/** `--shard I/N` (1-based) as a 0-based index and a count; a one-line InputError otherwise. */
export function shardOf(v: string | undefined): { index: number; count: number } {
  if (v === undefined) return { index: 0, count: 1 };
  const m = /^(\d+)\/(\d+)$/.exec(v);
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index < 1 || index > count) throw new InputError(inputErrors.badFlag('shard', v, 'I/N with 1 <= I <= N'));
  return { index: index - 1, count };
}

/** Runs the suite. */
export async function runCommand(o: RunOptions): Promise<number> {
  const reporter = o.json ? 'json' : (o.reporter ?? 'text');
  const designs = o.design ? o.design.map(designNamed) : [...allDesigns()];
  const runs = intFlag('runs', o.runs, DEFAULT_RUNS, 1, 10_000_000);
  const exploreDepth = intFlag('explore-depth', o.exploreDepth, DEFAULT_EXPLORE_DEPTH, 0, 6);
  const stallS = intFlag('stall-timeout', o.stallTimeout, DEFAULT_STALL_S, 1, 86_400);
  const out = outDir(o.out);
  const seed = parseSeed(o.seed, DEFAULT_SEED);
  const shard = shardOf(o.shard);
  if (o.why !== undefined && !o.updateExpected) throw new InputError(inputErrors.badFlag('why', o.why, 'to be given with --update-expected'));
  if (o.updateExpected && shard.count > 1) throw new InputError(inputErrors.badFlag('shard', o.shard ?? '', 'no --shard with --update-expected (merge the shards, then update from a whole run)'));
  const expectedFile = o.expected ?? EXPECTED_FILE;
  const expected = Expected.load(expectedFile);
  const invariants = selectInvariants(await loadInvariants(), o.property);
  const vendors = o.vendor === 'both' ? (['intel', 'amd'] as const) : [o.vendor as 'intel' | 'amd'];
  const pagings = o.paging === 'both' ? ([4, 5] as const) : [Number(o.paging) as 4 | 5];
  // The whole selection must have loaded: a broken user file left out of it makes the run incomplete.
  const left = [...(o.design ? [] : brokenDesigns()), ...(o.property ? [] : brokenProperties())];
  const units = plan({
    invariants: invariants.map((d) => ({ id: d.invariant.id, sanity: d.invariant.sanity })), designs: designs.map((d) => d.name),
    vendors, pagings, runs, chunkSize: Math.max(runs, 1), seed, shard,
  });
  const progress = startProgress(units, reporter === 'json');
  const { cells, coverage, stats } = await runSuite({
    invariants, designs, vendors, pagings, runs, exploreDepth, seed, shard, outDir: out, stallMs: stallS * 1000,
    // The regression corpus across designs: --out's files and the repository's reviewed ones.
    corpusDirs: o.corpus === false ? [] : [...new Set([resolve(out), resolve(CORPUS_DIR)])],
    onWarning: (line) => { process.stderr.write(`entrycheck: warning: ${line}\n`); },
    workers: Math.max(1, Math.min(availableParallelism(), 8)), expected, renderTxt: counterexampleText,
    onProgress: (done, _total, u) => progress.update(done, u),
  });
  progress.stop();
  let update = '';
  let final = cells;
  if (o.updateExpected) {
    const u = updateVerdicts(expected, cells, o.why, expectedFile);
    update = updateText(u.update, expectedFile);
    final = u.cells;
  }
  const allMatch = final.every((c) => c.verdict === c.expected.verdict);
  const complete = left.length === 0;
  if (reporter === 'json') {
    process.stdout.write(stringify({ ...(runJson(allMatch && complete, final, coverage, { seed, runs, shard }, stats) as object), broken: left.map((b) => ({ file: b.file, message: b.message })) }));
  } else if (reporter === 'junit') {
    process.stdout.write(junitXml(final));
  } else {
    const missing = left.length ? `\nLeft out of this run (could not be loaded): ${left.map((b) => b.file).join(', ')}\n` : '';
    process.stdout.write(`${matrixText(final, process.stdout.isTTY === true)}${missing}\n${coverageText(coverage, { traces: stats.exploredTraces, states: stats.exploredStates })}\n${update}`);
  }
  if (reporter !== 'text' && update) process.stderr.write(update);
  return allMatch && complete ? 0 : 1;
}

/** The run command. */
export const run: CliCommand = {
  register(program: Command, done) {
    program
      .command('run')
      .description('run the property suite over designs x invariants x vendors x paging modes')
      .option('--design <name...>', 'designs to run (default: all)')
      .option('--all', 'every design (the default)')
      .option('--property <id...>', 'invariants to run (default: all)')
      .addOption(new Option('--vendor <vendor>', 'CPU vendor').choices(['intel', 'amd', 'both']).default('both'))
      .addOption(new Option('--paging <levels>', 'paging mode').choices(['4', '5', 'both']).default('both'))
      .option('--runs <n>', `random traces per cell (default: ${DEFAULT_RUNS})`)
      .option('--explore-depth <k>', `first judge every trace up to k events over the exploration alphabet, per group (0: none; default: ${DEFAULT_EXPLORE_DEPTH})`)
      .option('--seed <n>', `fast-check seed (default: ${DEFAULT_SEED})`)
      .option('--shard <i/n>', 'run shard i of n (default: 1/1); combine the --json outputs with entrycheck merge')
      .option('--out <dir>', 'counterexample directory', 'counterexamples')
      .option('--no-corpus', 'do not first replay the counterexamples saved for other designs (in --out and counterexamples/) on each cell: measure the search alone')
      .option('--stall-timeout <seconds>', `stop a unit whose work has not moved for this long: its cells become E (default: ${DEFAULT_STALL_S})`)
      .addOption(new Option('--reporter <format>', 'output: the matrix, JSON, or JUnit XML for CI').choices(['text', 'json', 'junit']).default('text'))
      .option('--json', 'the same as --reporter json (schemas/run-output.schema.json)')
      .option('--expected <file>', 'expected verdicts (default: expected-verdicts.json of this checkout)')
      .option('--update-expected', 'rewrite expected-verdicts.json so that every cell that ran expects what it gave (then review the reasons)')
      .option('--why <text>', 'with --update-expected: the reason written into new entries (default: "unreviewed: ..." naming the counterexample)')
      .addHelpText('after', exitHelp('a cell does not match its expected verdict, or a design or property file could not be loaded'))
      .action(async (opts: RunOptions) => { done(await runCommand(opts)); });
  },
};
