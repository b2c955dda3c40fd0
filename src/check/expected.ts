/**
 * The expected verdict of every cell (invariant x design x vendor x paging), from the checked-in
 * expected-verdicts.json. Cells hold unless listed; sanity claims are violated unless listed.
 * Each listed violation names the bug or design flaw it is, in one line.
 */
import { existsSync } from 'node:fs';
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
  constructor(readonly entries: readonly ExpectedEntry[]) {}

  /** Parses the file (one-line InputError on a malformed file, or one that is not a regular file); none: no expectations. */
  static load(file = EXPECTED_FILE): Expected {
    if (!existsSync(file)) return new Expected([]);
    return new Expected(parseValidated(expectedSchema, readText(file), file).cells);
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
