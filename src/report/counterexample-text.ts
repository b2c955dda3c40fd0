/**
 * The .txt beside a counterexample file, for people: what failed (and at which kernel micro-step,
 * for micro-step checks and fork points), the replay and view commands, then one numbered line
 * per step with only the fields that changed, the failure marked at its step and micro-step.
 * For a check that threw, what it threw and where.
 */
import type { Counterexample } from '../check/counterexample.ts';
import { runEvents } from '../check/session.ts';
import { replayText } from './replay-report.ts';
import { briefMessage } from './brief.ts';

/** Renders a counterexample. */
export function counterexampleText(file: string, c: Counterexample): string {
  const run = runEvents(c.design, c.vendor, c.paging, c.events, c.initial ?? {});
  const f = c.failure;
  const what = f.threw ? 'threw while judging a trace' : 'violated';
  const at = f.threw ? '' : ` (at step ${f.step}${f.where !== undefined ? `, ${f.where}` : ''})`;
  const head = [
    `${c.invariant} ${what} on ${c.design.name}, ${c.vendor}, ${c.paging}-level paging`,
    `  ${briefMessage(f.message)}${at}`,
    '',
    `Replay: npx entrycheck replay ${file}`,
    `View:   npx entrycheck view ${file}`,
    '',
  ];
  const marks = f.threw ? [] : [{ invariant: c.invariant, step: f.step, message: f.message, ...(f.where !== undefined ? { where: f.where } : {}) }];
  return `${head.join('\n')}${replayText(run, marks)}`;
}
