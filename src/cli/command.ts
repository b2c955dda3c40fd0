/**
 * How a command plugs into the CLI: one file per command exports a `CliCommand`, and main.ts
 * lists them. A command adds itself (name, flags, help) to the program and reports its exit
 * status through `done`; it throws InputError for bad input (main prints the one line).
 */
import type { Command } from 'commander';

/** One command of the CLI. */
export interface CliCommand {
  /** Adds the command to `program`; its action calls `done` with the exit status. */
  readonly register: (program: Command, done: (status: number) => void) => void;
}
