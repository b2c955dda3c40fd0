/** placeholder */
import type { CliCommand } from './command.ts';
export const view: CliCommand = { register() {} };
