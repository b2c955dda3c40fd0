/**
 * Command-line entry point: argument parsing only (commander); the work is in check/ and report/.
 */
import { Command } from 'commander';

/** Runs the CLI with `argv` (as process.argv) and resolves to the exit status. */
export async function main(argv: readonly string[]): Promise<number> {
  let status = 0;
  const program = new Command('entrycheck')
    .description('Property-based invariant checker for the x86-64 kernel entry and exit path')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  program
    .command('run')
    .description('run the property suite')
    .option('--all', 'every design')
    .action(() => {
      process.stdout.write('entrycheck: the suite has no invariants yet\n');
      status = 0;
    });
  try {
    await program.parseAsync([...argv]);
  } catch (e) {
    const code = (e as { exitCode?: number }).exitCode;
    return code === 0 ? 0 : 2;
  }
  return status;
}
