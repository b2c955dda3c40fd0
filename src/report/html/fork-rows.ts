/**
 * The two branches of a differential check side by side: what user mode saw after the fast exit
 * (SYSRET, SYSRETL or SYSEXIT) and after the IRET alternative from the same pt_regs, one row per
 * visible observation, the rows that differ marked, and for two returns to user mode that differ
 * the fields that do, with both values.
 */
import { formatSegment } from '../../isa/index.ts';
import { viewDiff, visibleSequence } from '../../check/visible.ts';
import type { Observation, UserView } from '../../model/index.ts';

/** One row of the side-by-side table. */
export interface SideRow {
  readonly fast: string | null;
  readonly iret: string | null;
  readonly differ: boolean;
  /** For two returns to user mode that differ: field, fast value, IRET value. */
  readonly fields: ReadonlyArray<readonly [string, string, string]>;
}

const hex = (v: bigint): string => `0x${v.toString(16)}`;

function fieldValue(v: UserView, f: string): string {
  if (f === 'rflags') return hex(v.rflags);
  if (f === 'cs') return formatSegment(v.cs);
  if (f === 'ss') return formatSegment(v.ss);
  if (f === 'gs') return hex(v.gsBase);
  const r = v.regs[f];
  return r === undefined ? '-' : hex(r);
}

/** Short text of a visible observation (a return to user mode without its full register dump). */
function short(o: Observation, text: string): string {
  if (o.kind === 'return-to-user') return `task ${o.task} resumes at ${hex(o.rip)} (rsp ${hex(o.rsp)}, rflags ${hex(o.rflags)})`;
  return text;
}

/** The rows of both branches, aligned by position. */
export function forkRows(actual: readonly Observation[], alternative: readonly Observation[]): SideRow[] {
  const a = visibleSequence(actual);
  const b = visibleSequence(alternative);
  const rows: SideRow[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    const differ = x?.text !== y?.text;
    let fields: Array<readonly [string, string, string]> = [];
    const xo = x?.o;
    const yo = y?.o;
    if (differ && xo?.kind === 'return-to-user' && yo?.kind === 'return-to-user') {
      fields = viewDiff(xo.view, yo.view).map((f) => [f, fieldValue(xo.view, f), fieldValue(yo.view, f)] as const);
    }
    rows.push({ fast: x ? short(x.o, x.text) : null, iret: y ? short(y.o, y.text) : null, differ, fields });
  }
  return rows;
}
