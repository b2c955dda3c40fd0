/**
 * `run --update-expected`: expected-verdicts.json rewritten so that it says what the run found
 * (src/check/expected.ts decides the entries), and the cells re-judged against it. New entries
 * get the reason `--why` gives, or one that says they are unreviewed and names the
 * counterexample: a person must still say what bug or flaw each violation is.
 */
import { Expected, EXPECTED_FILE, updateExpected, writeExpected, type CellVerdict, type ExpectedUpdate } from '../check/expected.ts';
import type { CellResult } from '../check/suite.ts';

/** The reason of a new entry. */
function reason(v: CellVerdict, why: string | undefined): string {
  if (why !== undefined) return why;
  if (v.verdict === 'violated') return `unreviewed: found by entrycheck run --update-expected${v.file ? ` (e.g. ${v.file})` : ''}; say what bug or flaw it is`;
  return `unreviewed: ${v.sanity ? 'reachability claim not reached' : 'held'} in a run of entrycheck run --update-expected; say why`;
}

/** Writes the updated file and returns the cells judged against it. */
export function updateVerdicts(expected: Expected, cells: readonly CellResult[], why: string | undefined, file = EXPECTED_FILE): { update: ExpectedUpdate; cells: CellResult[] } {
  const verdicts: CellVerdict[] = cells.map((c) => ({ cell: c.cell, sanity: c.sanity, verdict: c.verdict, ...(c.counterexample ? { file: c.counterexample.file } : {}) }));
  const update = updateExpected(expected, verdicts, (v) => reason(v, why));
  if (update.added > 0 || update.removed > 0) writeExpected(update.entries, file, expected.schemaRef);
  const now = new Expected(update.entries);
  return { update, cells: cells.map((c) => ({ ...c, expected: now.of(c.cell, c.sanity) })) };
}

/** What the update did, for people. */
export function updateText(u: ExpectedUpdate, file: string): string {
  if (u.added === 0 && u.removed === 0) return `${file}: already up to date.\n`;
  return `${file}: ${u.removed} entr${u.removed === 1 ? 'y' : 'ies'} removed, ${u.added} added (review each new reason before committing).\n`;
}
