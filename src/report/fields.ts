/**
 * The fields of a machine state people look at, as values: registers, CPL, segments, GS, CR2,
 * NMI blocking, the running task, each task's mode, flags and stack of kernel contexts, pending
 * and armed hardware events. `--json` prints these values; the text report and the viewer show
 * them through `display`. One table, so the two never disagree about what a step changed.
 */
import { cpl, type Segment } from '../isa/index.ts';
import type { Armed, KernelImpl, MachineState, Task } from '../model/index.ts';
import { TIF_NAMES } from '../model/index.ts';

/** General registers, in the order reports list them. */
export const REGS = ['rip', 'rsp', 'rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'] as const;

/** A task as reports show it. */
export interface TaskValue {
  readonly mode: Task['mode'];
  readonly compat: boolean;
  /** TIF_* names set. */
  readonly flags: readonly string[];
  readonly tsCompat: boolean;
}

/** Pending hardware events. */
export interface PendingValue {
  readonly nmi: boolean;
  readonly irq: readonly number[];
}

/** An armed countdown: what fires, and after how many more boundaries. */
export interface ArmedValue {
  readonly kind: Armed['kind'];
  readonly vector: number;
  readonly in: number;
}

/** One field's value. */
export type FieldValue = bigint | number | boolean | string | Segment | TaskValue | PendingValue | readonly string[] | readonly ArmedValue[];

/** The fields of a state, in report order. */
export type Fields = Readonly<Record<string, FieldValue>>;

/** One context of a task, e.g. "syscall64", "#PF", "NMI", "IRQ 0x20". */
export function contextName(a: Task['acts'][number]): string {
  if (a.cause !== 'idt') return a.cause;
  const names: Record<number, string> = { 1: '#DB', 2: 'NMI', 3: '#BP', 6: '#UD', 8: '#DF', 11: '#NP', 12: '#SS', 13: '#GP', 14: '#PF', 0x80: 'int80' };
  return names[a.vector] ?? `IRQ 0x${a.vector.toString(16)}`;
}

/** Names of the TIF bits set in `tif`. */
export function tifNames(tif: number): string[] {
  return TIF_NAMES.filter(([b]) => (tif & b) !== 0).map(([, n]) => n);
}

/** The fields of `m`. */
export function fields(m: MachineState): Fields {
  const c = m.cpu;
  const f: Record<string, FieldValue> = { cpl: cpl(c) };
  for (const r of REGS) f[r] = c.regs[r];
  f.rflags = c.rflags;
  f.cs = c.cs;
  f.ss = c.ss;
  f.gs = c.gsBase;
  f.cr2 = c.cr2;
  f.nmiBlocked = c.nmiBlocked;
  f.task = m.k.current;
  for (const t of m.k.tasks) {
    if (t.id === 0) continue;
    f[`task${t.id}`] = { mode: t.mode, compat: t.compat, flags: tifNames(t.tif), tsCompat: t.tsCompat };
    f[`task${t.id}.contexts`] = t.acts.map(contextName);
  }
  f.pending = { nmi: m.hw.nmi, irq: m.hw.irq };
  f.armed = m.hw.armed.map((a) => ({ kind: a.kind, vector: a.vector, in: Math.max(0, a.due - m.clock) }));
  if (m.k.halted) f.halted = m.k.halted.kind === 'kernel-failure' ? `${m.k.halted.what}: ${m.k.halted.detail}` : 'yes';
  return f;
}

/** Whether two values are the same (segments and tasks compared field by field). */
export function sameValue(a: FieldValue | undefined, b: FieldValue | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || typeof a !== 'object' || typeof b !== 'object') return false;
  return JSON.stringify(a, big) === JSON.stringify(b, big);
}

const big = (_k: string, v: unknown): unknown => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v);

/** The fields that differ, as [name, before, after] (undefined: the field did not exist). */
export function changed(a: Fields, b: Fields): Array<[string, FieldValue | undefined, FieldValue | undefined]> {
  const out: Array<[string, FieldValue | undefined, FieldValue | undefined]> = [];
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) if (!sameValue(a[k], b[k])) out.push([k, a[k], b[k]]);
  return out;
}

/** Kernel text addresses are named by the kernel's symbols when the CPU is in kernel mode. */
export type Describer = Pick<KernelImpl, 'describe' | 'percpuBase'>;
