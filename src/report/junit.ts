/**
 * `entrycheck run --reporter junit`: the cells as JUnit XML, which CI systems show as tests.
 * One testsuite per invariant, one testcase per cell (design, vendor, paging); a mismatch is a
 * <failure>, an error cell an <error>; the counterexample file and the expected verdict's reason
 * go into the body. Deterministic: no timestamps or durations.
 */
import type { CellResult } from '../check/suite.ts';
import { matches } from '../check/suite.ts';

/** Escapes text for XML attributes and bodies (and drops characters XML 1.0 cannot hold). */
export function xml(s: string): string {
  return s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function testcase(c: CellResult): string {
  const name = `${c.cell.design} ${c.cell.vendor}-${c.cell.paging}`;
  const cls = `entrycheck.${c.sanity ? 'sanity.' : ''}${c.cell.invariant}`;
  const open = `    <testcase classname="${xml(cls)}" name="${xml(name)}"`;
  const ce = c.counterexample ? `counterexample: ${c.counterexample.file} (${c.counterexample.length} events)\n` : '';
  if (c.verdict === 'error') return `${open}>\n      <error message="${xml(c.error ?? 'error')}">${xml(`${ce}${c.error ?? ''}`)}</error>\n    </testcase>`;
  if (!matches(c)) {
    const msg = `expected ${c.expected.verdict}, got ${c.verdict}`;
    return `${open}>\n      <failure message="${xml(msg)}" type="${xml(c.verdict)}">${xml(`${ce}${c.runs} runs`)}</failure>\n    </testcase>`;
  }
  return `${open}/>`;
}

/** The JUnit XML document of a run. */
export function junitXml(cells: readonly CellResult[]): string {
  const invariants = [...new Set(cells.map((c) => c.cell.invariant))];
  const fails = (list: readonly CellResult[]): number => list.filter((c) => !matches(c) && c.verdict !== 'error').length;
  const errs = (list: readonly CellResult[]): number => list.filter((c) => c.verdict === 'error').length;
  const suites = invariants.map((i) => {
    const list = cells.filter((c) => c.cell.invariant === i);
    return `  <testsuite name="${xml(i)}" tests="${list.length}" failures="${fails(list)}" errors="${errs(list)}" skipped="0">\n${list.map(testcase).join('\n')}\n  </testsuite>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="entrycheck" tests="${cells.length}" failures="${fails(cells)}" errors="${errs(cells)}">\n${suites.join('\n')}\n</testsuites>\n`;
}
