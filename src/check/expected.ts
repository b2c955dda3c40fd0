/**
 * The expected verdict of every cell (invariant x design x vendor x paging), from the checked-in
 * expected-verdicts.json. Cells hold unless listed; sanity claims are violated unless listed.
 * Each listed violation names the bug or design flaw it is, in one line.
 */
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { MAX_TEXT } from './limits.ts';
import { designNameSchema, invariantIdSchema, schemaRefSchema } from './names.ts';
import { parseValidated, readText } from './validate.ts';

/** Where the file lives in a checkout. */
export const EXPECTED_FILE = new URL('../../expected-verdicts.json', import.meta.url).pathname;

/** The format tag. */
export const EXPECTED_FORMAT = 'entrycheck/expected@1';

const entry = z.strictObject({
  invariant: z.union([z.literal('*'), invariantIdSchema]),
  design: z.union([z.literal('*'), designNameSchema]),
  vendor: z.enum(['intel', 'amd', '*']).default('*'),
  paging: z.union([z.literal(4), z.literal(5), z.literal('*')]).default('*'),
  expect: z.enum(['violated', 'holds']).default('violated'),
  why: z.string().min(1, 'expected a one-line reason').max(MAX_TEXT),
});

/** Zod schema of expected-verdicts.json (a file may name its JSON Schema in "$schema"). */
export const expectedSchema = z.strictObject({ $schema: schemaRefSchema, format: z.literal(EXPECTED_FORMAT), cells: z.array(entry) });

/** One rule of the file. */
export type ExpectedEntry = z.infer<typeof entry>;

/** A cell's coordinates. */
export interface CellId {
  readonly invariant: string;
  readonly design: string;
  readonly vendor: 'intel' | 'amd';
  readonly paging: 4 | 5;
}

/** What a cell is expected to give, and why (for violated cells). */
export interface Expectation {
  readonly verdict: 'holds' | 'violated';
  readonly why: string | null;
}

/** The loaded expectations. */
export class Expected {
  /** `schemaRef`: the file's "$schema", kept when the file is rewritten. */
  constructor(readonly entries: readonly ExpectedEntry[], readonly schemaRef?: string) {}

  /** Parses the file (one-line InputError on a malformed file, or one that is not a regular file); none: no expectations. */
  static load(file = EXPECTED_FILE): Expected {
    if (!existsSync(file)) return new Expected([]);
    const parsed = parseValidated(expectedSchema, readText(file), file);
    return new Expected(parsed.cells, parsed.$schema);
  }

  /** The expectation of a cell: the last matching entry, else holds (violated for sanity claims). */
  of(c: CellId, sanity: boolean): Expectation {
    let found: Expectation = sanity ? { verdict: 'violated', why: 'reachability claim: the search must reach this state' } : { verdict: 'holds', why: null };
    for (const e of this.entries) {
      const match = (e.invariant === c.invariant || e.invariant === '*') && (e.design === c.design || e.design === '*') &&
        (e.vendor === '*' || e.vendor === c.vendor) && (e.paging === '*' || e.paging === c.paging);
      if (match) found = { verdict: e.expect, why: e.why };
    }
    return found;
  }
}

/** A cell's outcome, as `updateExpected` needs it. */
export interface CellVerdict {
  readonly cell: CellId;
  readonly sanity: boolean;
  readonly verdict: 'holds' | 'violated' | 'error';
  /** The counterexample that shows a violation, for the reason of a new entry. */
  readonly file?: string;
}

/** What `updateExpected` changed. */
export interface ExpectedUpdate {
  readonly entries: ExpectedEntry[];
  readonly removed: number;
  readonly added: number;
}

const COMBOS: ReadonlyArray<readonly ['intel' | 'amd', 4 | 5]> = [['intel', 4], ['intel', 5], ['amd', 4], ['amd', 5]];

/**
 * The entries after a run, so that every cell that ran (but those in error) is expected to give
 * the verdict it gave. An entry that names one invariant and one design, whose every cell ran
 * and now disagrees with it, is removed; then each cell still expected otherwise gets an entry
 * of its own, merged into one `"*"` entry when all four vendor/paging cells of an invariant and
 * design moved the same way. `why` gives each new entry's reason (a person should rewrite it).
 */
export function updateExpected(current: Expected, verdicts: readonly CellVerdict[], why: (v: CellVerdict) => string): ExpectedUpdate {
  const ran = new Map(verdicts.map((v) => [`${v.cell.invariant}|${v.cell.design}|${v.cell.vendor}|${v.cell.paging}`, v]));
  const matching = (e: ExpectedEntry): CellVerdict[] => verdicts.filter((v) => e.invariant === v.cell.invariant && e.design === v.cell.design &&
    (e.vendor === '*' || e.vendor === v.cell.vendor) && (e.paging === '*' || e.paging === v.cell.paging));
  const stale = (e: ExpectedEntry): boolean => {
    if (e.invariant === '*' || e.design === '*') return false;
    const combos = COMBOS.filter(([vd, p]) => (e.vendor === '*' || e.vendor === vd) && (e.paging === '*' || e.paging === p));
    const cells = matching(e);
    return combos.every(([vd, p]) => ran.has(`${e.invariant}|${e.design}|${vd}|${p}`)) && cells.every((v) => v.verdict !== 'error' && v.verdict !== e.expect);
  };
  const kept = current.entries.filter((e) => !stale(e));
  const base = new Expected(kept);
  const wrong = verdicts.filter((v) => v.verdict !== 'error' && base.of(v.cell, v.sanity).verdict !== v.verdict);
  const added: ExpectedEntry[] = [];
  const groups = new Map<string, CellVerdict[]>();
  for (const v of wrong) {
    const k = `${v.cell.invariant}|${v.cell.design}|${v.verdict}`;
    groups.set(k, [...(groups.get(k) ?? []), v]);
  }
  for (const list of groups.values()) {
    const first = list[0] as CellVerdict;
    const expect = first.verdict as 'holds' | 'violated';
    if (list.length === COMBOS.length) {
      added.push({ invariant: first.cell.invariant, design: first.cell.design, vendor: '*', paging: '*', expect, why: why(first) });
      continue;
    }
    for (const v of list) added.push({ invariant: v.cell.invariant, design: v.cell.design, vendor: v.cell.vendor, paging: v.cell.paging, expect, why: why(v) });
  }
  return { entries: [...kept, ...added], removed: current.entries.length - kept.length, added: added.length };
}

/** Writes expected-verdicts.json (atomically: a temp file, then a rename). */
export function writeExpected(entries: readonly ExpectedEntry[], file = EXPECTED_FILE, schemaRef?: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify({ ...(schemaRef !== undefined ? { $schema: schemaRef } : {}), format: EXPECTED_FORMAT, cells: entries }, null, 2)}\n`);
  renameSync(tmp, file);
}
