/**
 * The bound on a trace's extra pages (`initial.pages`): the model keeps one entry per 4 KiB page
 * of user memory, so a range from 0x0 to 0xffff... would take longer than anyone waits (a
 * schema-valid trace that never finished). Each range must end at or above its start, and all
 * ranges together may cover at most MAX_PAGES pages. Checked in the trace schema, where the
 * paging mode (and so every symbol's value) is known.
 */
import { MAX_PAGES } from './limits.ts';

/** A value string's number, or undefined when it names a symbol the table lacks (reported elsewhere). */
function valueOf(s: string, table: Readonly<Record<string, bigint>>): bigint | undefined {
  if (s.startsWith('0x')) return BigInt(s);
  const m = /^\$([a-z_0-9]+)(?:([+-])(0x[0-9a-fA-F]+|[0-9]+))?$/.exec(s);
  const base = m ? table[m[1] ?? ''] : undefined;
  if (m === null || base === undefined) return undefined;
  const off = m[3] === undefined ? 0n : BigInt(m[3]);
  return (m[2] === '-' ? base - off : base + off) & ((1n << 64n) - 1n);
}

/** One problem with the ranges: its path under `initial.pages`, "expected ..." and what was there. */
export interface PageProblem {
  readonly path: Array<string | number>;
  readonly message: string;
  readonly got: unknown;
}

/** Checks the ranges against the bound; `table` holds the symbols of the trace's paging mode. */
export function pageProblems(pages: ReadonlyArray<{ start: string; end: string }>, table: Readonly<Record<string, bigint>>): PageProblem[] {
  let total = 0n;
  for (const [i, p] of pages.entries()) {
    const start = valueOf(p.start, table);
    const end = valueOf(p.end, table);
    if (start === undefined || end === undefined) continue;
    if (end < start) return [{ path: [i, 'end'], message: `expected an end at or above the start (0x${start.toString(16)})`, got: p.end }];
    // The model's own count: pages from start's to the one holding end - 1.
    total += ((end + 0xfffn) >> 12n) - (start >> 12n);
  }
  if (total > BigInt(MAX_PAGES)) return [{ path: [], message: `expected at most ${MAX_PAGES} pages (${MAX_PAGES / 256} MiB) in all ranges`, got: total }];
  return [];
}
