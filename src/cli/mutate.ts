/**
 * `entrycheck mutate --design NAME`: mutation testing of the invariant suite (check/mutate.ts).
 * Every single-condition mutant of the design is searched at the run budget; each is killed (by
 * which invariant, with the minimal trace), survived (with a trace whose user-visible outcome
 * differs from the base design's: what no invariant judges; marked when it shows only on traces with
 * hardware events) or suspected equivalent. Progress on
 * stderr; the table (or --json) on stdout. Exit 1 when a mutant survived.
 */
import { Option, type Command } from 'commander';
import { CORPUS_DIR } from '../check/corpus-replay.ts';
import { DEFAULT_EXPLORE_DEPTH } from '../check/explore-depth.ts';
import { stringify } from '../check/json.ts';
import { mutate, mutationScore, type MutantResult } from '../check/mutate.ts';
import { startWords } from '../check/worlds.ts';
import type { CliCommand } from './command.ts';
import { designNamed, exitHelp, intFlag, loadInvariants, selectInvariants } from './common.ts';
import { DEFAULT_SEED } from './run.ts';

/**
 * Guided traces per mutant and cell by default: fewer than run's 1,000, since mutate searches
 * every mutant (60 of linux-6.7) and a suspected-equivalent one spends the whole budget.
 */
export const MUTATE_RUNS = 300;
import { parseSeed } from './seed.ts';

/** Options of the mutate command (as commander parses them). */
export interface MutateCliOptions {
  readonly design: string;
  readonly property?: string[];
  readonly vendor: string;
  readonly paging: string;
  readonly runs?: string;
  readonly exploreDepth?: string;
  readonly seed?: string;
  readonly only?: string[];
  readonly pairs?: boolean;
  readonly json?: boolean;
  /** false with --no-corpus. */
  readonly corpus?: boolean;
}

const line = (r: MutantResult): string => {
  const at = `${r.vendor}-${r.paging}`;
  if (r.status === 'killed' && r.killer) return `  killed      ${r.change} (${at}) by ${r.killer.invariant}${r.killer.baseFails ? ' (which the base fails elsewhere)' : ''}, ${r.killer.events.length} event${r.killer.events.length === 1 ? '' : 's'}${startWords(r.killer.initial)}`;
  if (r.status === 'survived') return `  SURVIVED    ${r.change} (${at}): user mode sees a difference no invariant judges, e.g. ${JSON.stringify(r.differs)}`;
  if (r.status === 'timing') return `  SURVIVED    ${r.change} (${at}): user mode sees a difference only on traces with hardware events, and moving them does not make it go away (a flaw an interrupt reveals, or a difference an interrupt only brings to light), e.g. ${JSON.stringify(r.differs)}`;
  if (r.status === 'shifted') return `  shifted?    ${r.change} (${at}): user mode sees a difference only in where an interrupt lands (moved a few boundaries, each trace gives what the other design gave), e.g. ${JSON.stringify(r.differs)}`;
  if (r.status === 'repair') return `  repairs     ${r.change} (${at}): user mode sees a difference only where the base fails ${r.repairs} and the mutant holds it, e.g. ${JSON.stringify(r.differs)}`;
  return `  equivalent? ${r.change} (${at}): no difference user mode can see on the traces tried`;
};

/** The rows (survivors first, then what needs a look, then the rest; a stable sort keeps their order within each) and the summary line. */
function table(results: readonly MutantResult[]): string {
  const rank: Readonly<Record<MutantResult['status'], number>> = { survived: 0, timing: 0, repair: 1, shifted: 2, equivalent: 3, killed: 4 };
  const rows = [...results].sort((a, b) => rank[a.status] - rank[b.status]).map(line);
  const score = mutationScore(results);
  return `${rows.join('\n')}\n` +
    `${score.killed} killed, ${score.survived + score.timing} survived (${score.timing} of them only with hardware events), ${score.repair > 0 ? `${score.repair} repair a flaw of the base, ` : ''}${score.shifted} equivalent up to where interrupts land, ${score.equivalent} suspected equivalent: ` +
    `${(score.score * 100).toFixed(1)}% of the mutants with a visible difference killed (${(score.withoutTiming * 100).toFixed(1)}% leaving out those ${score.timing})\n`;
}

/** Runs mutation testing of one design. */
export async function mutateCommand(o: MutateCliOptions): Promise<number> {
  const base = designNamed(o.design);
  const runs = intFlag('runs', o.runs, MUTATE_RUNS, 1, 10_000_000);
  const exploreDepth = intFlag('explore-depth', o.exploreDepth, DEFAULT_EXPLORE_DEPTH, 0, 6);
  const seed = parseSeed(o.seed, DEFAULT_SEED);
  const all = await loadInvariants();
  const invariants = (o.property ? selectInvariants(all, o.property) : all.filter((d) => d.invariant.sanity !== true)).map((d) => d.invariant);
  const vendors = o.vendor === 'both' ? (['intel', 'amd'] as const) : [o.vendor as 'intel' | 'amd'];
  const pagings = o.paging === 'both' ? ([4, 5] as const) : [Number(o.paging) as 4 | 5];
  const cells = vendors.flatMap((vendor) => pagings.map((paging) => ({ vendor, paging })));
  const results = mutate({
    base, invariants, cells, runs, seed, search: { exploreDepth }, ...(o.only ? { only: o.only } : {}), ...(o.pairs ? { pairs: true } : {}),
    corpusDirs: o.corpus === false ? [] : [CORPUS_DIR],
    onProgress: (done, total, r) => { if (!o.json) process.stderr.write(`[mutate] ${done}/${total} ${r.status} ${r.change}\n`); },
  });
  const singles = results.filter((r) => r.pair !== true);
  const pairs = results.filter((r) => r.pair === true);
  const score = mutationScore(singles);
  const pairScore = mutationScore(pairs);
  if (o.json) {
    process.stdout.write(stringify({
      format: 'entrycheck/mutate@1', design: base.name, runs, seed, exploreDepth, ...score, mutants: singles, ...(o.pairs ? { pairs, pairScore } : {}),
    }));
  } else {
    process.stdout.write(`Mutants of ${base.name} (${runs} runs, exploration to depth ${exploreDepth}, seed ${seed}):\n${table(singles)}`);
    if (o.pairs) process.stdout.write(`Pairs of mutants suspected equivalent alone, changed together:\n${pairs.length > 0 ? table(pairs) : '  none (fewer than two suspected equivalent)\n'}`);
  }
  return score.survived + score.timing + pairScore.survived + pairScore.timing > 0 ? 1 : 0;
}

/** The mutate command. */
export const mutateCli: CliCommand = {
  register(program: Command, done) {
    program
      .command('mutate')
      .description('mutation testing of the invariants: every single-condition mutant of a design, killed / survived / suspected equivalent')
      .requiredOption('--design <name>', 'the design whose mutants to score')
      .option('--property <id...>', 'invariants that may kill a mutant (default: all but the sanity claims)')
      .addOption(new Option('--vendor <vendor>', 'CPU vendor').choices(['intel', 'amd', 'both']).default('intel'))
      .addOption(new Option('--paging <levels>', 'paging mode').choices(['4', '5', 'both']).default('4'))
      .option('--runs <n>', `guided traces per mutant and cell (default: ${MUTATE_RUNS})`)
      .option('--explore-depth <k>', `exhaustive phase per mutant and cell (default: ${DEFAULT_EXPLORE_DEPTH})`)
      .option('--seed <n>', `seed (default: ${DEFAULT_SEED})`)
      .option('--only <text...>', 'only the mutants whose name contains one of these')
      .option('--pairs', 'also every pair of mutants suspected equivalent alone, changed together (a flaw that needs both changes)')
      .option('--no-corpus', 'do not first try the recorded counterexamples of counterexamples/ on each mutant: score the search alone')
      .option('--json', 'one JSON object on stdout (schemas/mutate-output.schema.json)')
      .addHelpText('after', exitHelp('a mutant survived (a visible change no invariant judged)'))
      .action(async (opts: MutateCliOptions) => { done(await mutateCommand(opts)); });
  },
};
