/**
 * The .txt beside a counterexample file, for people: what failed, the replay command, then one
 * numbered line per step with only the fields that changed, then the failure.
 */
import type { Counterexample } from '../check/counterexample.ts';
import { runEvents } from '../check/session.ts';
import { replayText } from './replay-report.ts';

/** Renders a counterexample. */
export function counterexampleText(file: string, c: Counterexample): string {
  const run = runEvents(c.design, c.vendor, c.paging, c.events);
  const head = [
    `${c.invariant} violated on ${c.design.name}, ${c.vendor}, ${c.paging}-level paging`,
    `  ${c.failure.message} (at step ${c.failure.step})`,
    '',
    `Replay: npx entrycheck replay ${file}`,
    '',
  ];
  return `${head.join('\n')}${replayText(run, [{ invariant: c.invariant, step: c.failure.step, message: c.failure.message }])}`;
}
