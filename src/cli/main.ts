/**
 * Command-line entry point: argument parsing only (commander 14); the work is in check/ and
 * report/. Each command is one file exporting a CliCommand; add a command by adding it to
 * COMMANDS. Exit status: 0 success, 1 a finding (a cell that does not match, a violation that
 * reproduces), 2 bad input (one line on stderr, never a stack trace). Every error, commander's
 * included, is printed as one line starting "entrycheck: ".
 */
import { Command, CommanderError } from 'commander';
import { TOOL_VERSION } from '../check/counterexample.ts';
import { loadDesigns } from '../check/designs.ts';
import { InputError, inputErrors } from '../check/errors.ts';
import { oneLine } from '../check/shown.ts';
import type { CliCommand } from './command.ts';
import { cosim } from './cosim.ts';
import { exploreCli } from './explore.ts';
import { list } from './list.ts';
import { merge } from './merge.ts';
import { mutateCli } from './mutate.ts';
import { replay } from './replay.ts';
import { run } from './run.ts';
import { view } from './view.ts';

/** The commands, in the order `--help` lists them. */
export const COMMANDS: readonly CliCommand[] = [run, exploreCli, mutateCli, replay, view, merge, list, cosim];

const EXIT_STATUS = `
Exit status (every command):
  0  success
  1  a finding: a cell that does not match its expected verdict, a violation that reproduces
  2  bad input: a bad flag, an unknown name, a malformed file (one line on stderr)

Run "entrycheck help <command>" for a command's flags and defaults.`;

/** A reader that stops early (`entrycheck --help | head`) is not an error worth a stack trace. */
let pipeGuard = false;
function guardPipes(): void {
  if (pipeGuard) return;
  pipeGuard = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw e;
    });
  }
}

/** Runs the CLI with `argv` (as process.argv) and resolves to the exit status. */
export async function main(argv: readonly string[]): Promise<number> {
  guardPipes();
  let status = 0;
  const program = new Command('entrycheck')
    .description('Property-based invariant checker for the x86-64 kernel entry and exit path')
    .version(TOOL_VERSION.replace(/^entrycheck /, ''), '-V, --version', 'print the version')
    .exitOverride()
    .showHelpAfterError(false)
    .showSuggestionAfterError(true)
    .addHelpText('after', EXIT_STATUS)
    // commander puts its "(Did you mean ...?)" on a second line and echoes options raw.
    .configureOutput({ outputError: (str, write) => write(`entrycheck: ${oneLine(inputErrors.usage(str))}\n`) });
  for (const c of COMMANDS) c.register(program, (s) => { status = s; });
  try {
    // A broken design file blocks only itself (commands warn about it, --help works).
    await loadDesigns(undefined, { tolerant: true });
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
