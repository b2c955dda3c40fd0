/**
 * The matrix at the end of a run: one row per invariant, one column per design, and in each cell
 * one character per vendor/paging combination (intel-4, intel-5, amd-4, amd-5):
 *   .  holds, as expected       V  violated, as expected
 *   X  violated, expected to hold    !  holds, expected to be violated    E  error
 * Then every violated cell with the bug or flaw it is, and every mismatch.
 */
import pc from 'picocolors';
import type { CellResult } from '../check/suite.ts';
import { matches } from '../check/suite.ts';

const COMBOS: ReadonlyArray<readonly ['intel' | 'amd', 4 | 5]> = [['intel', 4], ['intel', 5], ['amd', 4], ['amd', 5]];

function mark(c: CellResult | undefined, colour: boolean): string {
  if (c === undefined) return ' ';
  const paint = (s: string, f: (x: string) => string): string => (colour ? f(s) : s);
  if (c.verdict === 'error') return paint('E', pc.red);
  if (!matches(c)) return paint(c.verdict === 'violated' ? 'X' : '!', pc.red);
  return c.verdict === 'violated' ? paint('V', pc.yellow) : paint('.', pc.green);
}

/** Renders the matrix and the lists. */
export function matrixText(cells: readonly CellResult[], colour: boolean): string {
  const invariants = [...new Set(cells.map((c) => c.cell.invariant))];
  const designs = [...new Set(cells.map((c) => c.cell.design))];
  const find = (i: string, d: string, v: string, p: number): CellResult | undefined =>
    cells.find((c) => c.cell.invariant === i && c.cell.design === d && c.cell.vendor === v && c.cell.paging === p);
  const width = Math.max(...invariants.map((i) => i.length), 9);
  const out: string[] = [];
  out.push('Columns: designs; each cell is intel-4 intel-5 amd-4 amd-5. . holds  V violated (expected)  X/! unexpected  E error');
  designs.forEach((d, n) => out.push(`  ${String.fromCharCode(65 + n)} = ${d}`));
  out.push(`${''.padEnd(width)}  ${designs.map((_, n) => String.fromCharCode(65 + n).padEnd(5)).join('')}`);
  for (const i of invariants) {
    const row = designs.map((d) => COMBOS.map(([v, p]) => mark(find(i, d, v, p), colour)).join('').padEnd(5)).join('');
    out.push(`${i.padEnd(width)}  ${row}`);
  }
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
      const got = c.verdict === 'error' ? `error: ${c.error ?? ''}` : c.verdict;
      out.push(`  ${where}: expected ${c.expected.verdict}, got ${got}${c.counterexample ? ` (${c.counterexample.file})` : ''}`);
    }
  }
  const total = cells.length;
  const okCount = cells.filter(matches).length;
  out.push('', `${okCount}/${total} cells match their expected verdicts.`);
  return `${out.join('\n')}\n`;
}
