/**
 * The fields of a machine state as display strings (src/report/fields.ts has the values), and
 * the difference between two states (what a step changed): registers, CPL, segments, GS, CR2,
 * the task and its stack of kernel contexts.
 */
import { formatRflags, formatSegment, type Segment } from '../isa/index.ts';
import type { MachineState } from '../model/index.ts';
import { fields, type ArmedValue, type Describer, type FieldValue, type Fields, type PendingValue, type TaskValue } from './fields.ts';

export { contextName } from './fields.ts';

const hex = (v: bigint): string => `0x${v.toString(16)}`;

/** One field's value as text; `f` is the state it belongs to (kernel RIPs are named at CPL 0). */
export function display(key: string, v: FieldValue | undefined, f: Fields, K: Describer): string {
  if (v === undefined) return '-';
  if (key === 'rip' && typeof v === 'bigint') return f.cpl === 0 ? K.describe(v) : hex(v);
  if (key === 'rflags' && typeof v === 'bigint') return `${hex(v)} ${formatRflags(v)}`;
  if (key === 'gs' && typeof v === 'bigint') return v === K.percpuBase ? 'kernel' : `user ${hex(v)}`;
  if (key === 'cs' || key === 'ss') return formatSegment(v as Segment);
  if (key === 'pending') {
    const p = v as PendingValue;
    return `${p.nmi ? 'NMI ' : ''}${p.irq.map((x) => `IRQ 0x${x.toString(16)}`).join(' ')}`.trim() || '-';
  }
  if (key === 'armed') return (v as readonly ArmedValue[]).map((a) => `${a.kind}@${a.in}`).join(' ') || '-';
  if (/^task\d+$/.test(key)) {
    const t = v as TaskValue;
    return `${t.mode}${t.compat ? ' (32-bit)' : ''} flags=${t.flags.length ? t.flags.join('|') : '-'}${t.tsCompat ? ' TS_COMPAT' : ''}`;
  }
  if (key.endsWith('.contexts')) return (v as readonly string[]).join(' > ') || '-';
  if (typeof v === 'bigint') return hex(v);
  return String(v);
}

/** Display fields of a state. */
export function snapshot(m: MachineState, K: Describer): Record<string, string> {
  const f = fields(m);
  const s: Record<string, string> = {};
  for (const [k, v] of Object.entries(f)) s[k] = display(k, v, f, K);
  return s;
}

/** The fields that differ, as [name, before, after]. */
export function diff(a: Record<string, string>, b: Record<string, string>): Array<[string, string, string]> {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  const out: Array<[string, string, string]> = [];
  for (const k of keys) if (a[k] !== b[k]) out.push([k, a[k] ?? '-', b[k] ?? '-']);
  return out;
}
