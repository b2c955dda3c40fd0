/**
 * The matrix at the end of a run: one row per invariant, one column per design, and in each cell
 * one character per vendor/paging combination that ran (intel-4, intel-5, amd-4, amd-5, or
 * those --vendor/--paging kept):
 *   .  holds, as expected       V  violated, as expected
 *   X  violated, expected to hold    !  holds, expected to be violated    E  error
 * Reachability claims (properties/_sanity, which must be violated) get a section of their own.
 * Then every violated cell with the bug or flaw it is, and every mismatch.
 */
import pc from 'picocolors';
import type { CellResult } from '../check/suite.ts';
import { matches } from '../check/suite.ts';

const ALL_COMBOS: ReadonlyArray<readonly ['intel' | 'amd', 4 | 5]> = [['intel', 4], ['intel', 5], ['amd', 4], ['amd', 5]];

function mark(c: CellResult | undefined, colour: boolean): string {
  if (c === undefined) return ' ';
  const paint = (s: string, f: (x: string) => string): string => (colour ? f(s) : s);
  if (c.verdict === 'error') return paint('E', pc.red);
  if (!matches(c)) return paint(c.verdict === 'violated' ? 'X' : '!', pc.red);
  return c.verdict === 'violated' ? paint('V', pc.yellow) : paint('.', pc.green);
}

/** The vendor/paging combinations present in `cells`, in the fixed order. */
export function combosOf(cells: readonly CellResult[]): ReadonlyArray<readonly ['intel' | 'amd', 4 | 5]> {
  return ALL_COMBOS.filter(([v, p]) => cells.some((c) => c.cell.vendor === v && c.cell.paging === p));
}

/** The matrix rows (header, legend of designs, one row per invariant, sanity claims apart). */
function grid(cells: readonly CellResult[], colour: boolean): string[] {
  const combos = combosOf(cells);
  const invariants = [...new Set(cells.map((c) => c.cell.invariant))];
  const designs = [...new Set(cells.map((c) => c.cell.design))];
  const index = new Map(cells.map((c) => [`${c.cell.invariant}|${c.cell.design}|${c.cell.vendor}|${c.cell.paging}`, c]));
  const width = Math.max(...invariants.map((i) => i.length), 9);
  const cw = Math.max(combos.length, 1) + 1;
  const letter = (n: number): string => (n < 26 ? String.fromCharCode(65 + n) : `${String.fromCharCode(65 + Math.floor(n / 26) - 1)}${String.fromCharCode(65 + (n % 26))}`);
  const out: string[] = [];
  const each = combos.length === 1 ? `each cell is ${combos.map(([v, p]) => `${v}-${p}`).join('')}` : `each cell is ${combos.map(([v, p]) => `${v}-${p}`).join(' ')}`;
  out.push(`Columns: designs; ${each}.  . holds  V violated (expected)  X violated, expected to hold  ! holds, expected violated  E error`);
  designs.forEach((d, n) => out.push(`  ${letter(n)} = ${d}`));
  const header = `${''.padEnd(width)}  ${designs.map((_, n) => letter(n).padEnd(cw)).join('')}`.trimEnd();
  const row = (i: string): string => `${i.padEnd(width)}  ${designs.map((d) => combos.map(([v, p]) => mark(index.get(`${i}|${d}|${v}|${p}`), colour)).join('').padEnd(cw)).join('')}`.trimEnd();
  const sanity = new Set(cells.filter((c) => c.sanity).map((c) => c.cell.invariant));
  const real = invariants.filter((i) => !sanity.has(i));
  const claims = invariants.filter((i) => sanity.has(i));
  if (real.length) out.push(header, ...real.map(row));
  if (claims.length) out.push('', 'Reachability claims (must be violated: V means the search got there):', header, ...claims.map(row));
  return out;
}

/** Renders the matrix and the lists. */
export function matrixText(cells: readonly CellResult[], colour: boolean): string {
  const out = grid(cells, colour);
  const violated = cells.filter((c) => c.verdict === 'violated' && matches(c) && !c.sanity);
  if (violated.length) {
    out.push('', 'Violations (expected):');
    const seen = new Set<string>();
    for (const c of violated) {
      const key = `${c.cell.invariant} ${c.cell.design}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const which = cells.filter((x) => x.cell.invariant === c.cell.invariant && x.cell.design === c.cell.design && x.verdict === 'violated');
      out.push(`  ${key} [${which.map((x) => `${x.cell.vendor}-${x.cell.paging}`).join(' ')}]: ${c.expected.why ?? ''}`);
      if (c.counterexample) out.push(`      e.g. ${c.counterexample.file} (${c.counterexample.length} events)`);
    }
  }
  const bad = cells.filter((c) => !matches(c));
  if (bad.length) {
    out.push('', colour ? pc.red('Mismatches:') : 'Mismatches:');
    for (const c of bad) {
      const where = `${c.cell.invariant} on ${c.cell.design} ${c.cell.vendor}-${c.cell.paging}`;
      if (c.verdict === 'error') out.push(`  ${where}: error: ${c.error ?? ''}`);
      else if (c.sanity && c.verdict === 'holds') out.push(`  ${where}: reachability claim not reached in ${c.runs} runs (try more --runs)`);
      else out.push(`  ${where}: expected ${c.expected.verdict}, got ${c.verdict}${c.counterexample ? ` (${c.counterexample.file})` : ''}`);
    }
  }
  out.push('', `${cells.filter(matches).length}/${cells.length} cells match their expected verdicts.`);
  return `${out.join('\n')}\n`;
}
