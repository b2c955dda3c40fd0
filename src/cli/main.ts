/**
 * Command-line entry point: argument parsing only (commander 14); the work is in check/ and
 * report/. Exit status: 0 success, 1 a finding (a cell that does not match, a violation that
 * reproduces), 2 bad input (one line on stderr, never a stack trace).
 */
import { Command, CommanderError, Option } from 'commander';
import { loadDesigns } from '../check/designs.ts';
import { InputError, inputErrors } from '../check/errors.ts';
import { oneLine } from '../check/shown.ts';
import { cosimCommand } from './cosim.ts';
import { listCommand } from './list.ts';
import { replayCommand } from './replay.ts';
import { runCommand } from './run.ts';

/** Runs the CLI with `argv` (as process.argv) and resolves to the exit status. */
export async function main(argv: readonly string[]): Promise<number> {
  let status = 0;
  const program = new Command('entrycheck')
    .description('Property-based invariant checker for the x86-64 kernel entry and exit path')
    .exitOverride()
    .showHelpAfterError(false)
    // commander puts its "(Did you mean ...?)" on a second line and echoes options raw.
    .configureOutput({ outputError: (str, write) => write(`entrycheck: ${oneLine(inputErrors.usage(str))}\n`) });
  program
    .command('run')
    .description('run the property suite over designs x invariants x vendors x paging modes')
    .option('--design <name...>', 'designs to run (default: all)')
    .option('--all', 'every design (the default)')
    .option('--property <id...>', 'invariants to run (default: all)')
    .addOption(new Option('--vendor <vendor>', 'CPU vendor').choices(['intel', 'amd', 'both']).default('both'))
    .addOption(new Option('--paging <levels>', 'paging mode').choices(['4', '5', 'both']).default('both'))
    .option('--runs <n>', 'random traces per cell')
    .option('--seed <n>', 'fast-check seed')
    .option('--shard <i/n>', 'run shard i of n')
    .option('--out <dir>', 'counterexample directory', 'counterexamples')
    .option('--stall-timeout <seconds>', 'stop a unit whose work has not moved for this long: its cells become E (default 60)')
    .option('--json', 'machine-readable output')
    .action(async (opts) => { status = await runCommand(opts); });
  program
    .command('replay')
    .description('replay trace or counterexample files and print the step table')
    .argument('<file...>', 'trace (entrycheck/trace@1) or counterexample files')
    .option('--design <name>', 'replay on this design instead')
    .addOption(new Option('--vendor <vendor>', 'CPU vendor').choices(['intel', 'amd']))
    .addOption(new Option('--paging <levels>', 'paging mode').choices(['4', '5']))
    .option('--json', 'machine-readable output')
    .option('--verbose', 'show every kernel micro-step')
    .action(async (files: string[], opts) => { status = await replayCommand(files, opts); });
  program
    .command('list')
    .description('list the designs (with their knobs) and the invariants')
    .option('--json', 'machine-readable output')
    .action(async (opts) => { status = await listCommand(opts); });
  program
    .command('cosim')
    .description('co-simulate: run random user-level traces on this CPU and kernel and on the model, and compare')
    .option('--traces <n>', 'random traces to run (default 1000)')
    .option('--seed <n>', 'generator seed (default 1)')
    .option('--design <name>', 'design the model runs (default linux-6.7; mutant:NAME for a mutant of its exit checks)')
    .option('--out <dir>', 'directory for disagreement files', 'cosim')
    .option('--timeout <seconds>', 'time limit per trace on the machine (default 2)')
    .option('--min-agreement <percent>', 'exit 1 below this agreement (default 100)')
    .option('--include-pending', 'also generate and compare what the model is known not to handle yet')
    .option('--replay <file...>', 're-run saved disagreement (or trace) files instead')
    .option('--json', 'machine-readable output')
    .action(async (opts) => { status = await cosimCommand(opts); });
  try {
    await loadDesigns();
    await program.parseAsync([...argv]);
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof InputError) {
      process.stderr.write(`entrycheck: ${e.message}\n`);
      return 2;
    }
    const err = e as Error;
    process.stderr.write(`entrycheck: internal error: ${oneLine(err.message)}\n`);
    if (process.env.ENTRYCHECK_DEBUG) process.stderr.write(`${err.stack ?? ''}\n`);
    return 2;
  }
  return status;
}
