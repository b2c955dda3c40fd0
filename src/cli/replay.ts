/**
 * `entrycheck replay FILE... | --seed S --path P`: replays trace or counterexample files (or the
 * trace a recorded fast-check run generated) and judges every invariant (or those --property
 * names) on each: the step table with the violations at their steps and micro-steps, the
 * verdicts apart (reachability claims on their own), a summary line. Exit status: 1 when a
 * counterexample's recorded violation reproduces, or a plain trace violates an invariant that is
 * not a reachability claim (or a check throws); 0 otherwise; 2 on bad input. Nothing is printed
 * until every file has been checked.
 */
import { Option, type Command } from 'commander';
import { stringify } from '../check/json.ts';
import { reviewJson } from '../report/review-json.ts';
import { reviewText } from '../report/review-text.ts';
import type { CliCommand } from './command.ts';
import { exitHelp, loadInvariants, warnBrokenFiles } from './common.ts';
import { loadTraces, prepare, SEED_DEFAULTS, type TraceOptions } from './traces.ts';

/** Options of the replay command. */
export interface ReplayOptions extends TraceOptions {
  readonly json?: boolean;
  readonly verbose?: boolean;
}

/** Replays each file. */
export async function replayCommand(files: readonly string[], o: ReplayOptions): Promise<number> {
  warnBrokenFiles();
  const loaded = loadTraces(files, o);
  const prepared = prepare(loaded, await loadInvariants(), { ...o, micro: o.verbose === true });
  const reviews = prepared.map((p) => ({ file: p.l.file, r: p.run() }));
  if (o.json) {
    const out = reviews.map(({ file, r }) => reviewJson(file, r, o.verbose === true));
    process.stdout.write(stringify(out.length === 1 ? out[0] : out));
  } else {
    for (const { file, r } of reviews) process.stdout.write(`${reviews.length > 1 ? `== ${file}\n` : ''}${reviewText(r)}${reviews.length > 1 ? '\n' : ''}`);
  }
  return reviews.some(({ r }) => r.status === 1) ? 1 : 0;
}

/** The replay command. */
export const replay: CliCommand = {
  register(program: Command, done) {
    program
      .command('replay')
      .description('replay trace or counterexample files, judge every invariant on each, and print the step table')
      .argument('[file...]', 'trace (entrycheck/trace@1) or counterexample (entrycheck/counterexample@1) files')
      .option('--property <id...>', 'judge only these invariants (default: all; a counterexample\'s own is always judged)')
      .option('--design <name>', 'replay on this design instead of the one the file names')
      .addOption(new Option('--vendor <vendor>', 'CPU vendor instead of the file\'s').choices(['intel', 'amd']))
      .addOption(new Option('--paging <levels>', 'paging mode instead of the file\'s').choices(['4', '5']))
      .option('--seed <n>', `with --path: replay the trace a search generated (a counterexample's "seed"; design ${SEED_DEFAULTS.design}, intel, 4-level unless given)`)
      .option('--path <n>', 'with --seed: the run index (a counterexample\'s "path")')
      .option('--json', 'machine-readable output (schemas/replay-output.schema.json)')
      .option('--verbose', 'show every kernel micro-step')
      .addHelpText('after', exitHelp('a counterexample\'s recorded violation reproduces, or a trace violates an invariant (reachability claims aside) or a check threw'))
      .action(async (files: string[], opts: ReplayOptions) => { done(await replayCommand(files, opts)); });
  },
};
