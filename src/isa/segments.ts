/**
 * Segment selectors and their hidden descriptor caches. Source: reference/x86-semantics.md
 * sections 3.2 (Linux GDT) and 4 ("fixed CS/SS": SYSCALL/SYSRET load constants into the hidden
 * caches, never from the GDT).
 */
import { IsaInputError, isaErrors } from './errors.ts';

/**
 * A segment register: the visible selector plus the hidden attributes the CPU actually uses.
 * `usable: false` is what loading a NULL selector leaves behind.
 */
export interface Segment {
  readonly sel: number;
  readonly usable: boolean;
  readonly type: 'code' | 'data' | 'none';
  /** Code: 64-bit (L=1). */
  readonly l: boolean;
  /** Code: 32-bit default operand size; data: 32-bit stack (B=1). */
  readonly db: boolean;
  readonly dpl: number;
}

/** A descriptor as stored in the GDT or LDT (only the fields the model needs). */
export interface Descriptor {
  readonly type: 'code' | 'data';
  readonly l: boolean;
  readonly db: boolean;
  readonly dpl: number;
  readonly present: boolean;
  /**
   * Data: writable (type RW). Absent means writable. modify_ldt's read_exec_only makes a
   * read-only data segment, which is not a valid stack segment (SDM IRET: "SS must be a
   * writable data segment", #GP(selector)).
   */
  readonly writable?: boolean;
}

/** GDT and LDT, indexed by descriptor index (selector >> 3). */
export interface DescriptorTables {
  readonly gdt: Readonly<Record<number, Descriptor>>;
  readonly ldt: Readonly<Record<number, Descriptor>>;
}

/** Throws unless `sel` is a 16-bit selector. */
export function assertSelector(sel: unknown): number {
  if (typeof sel !== 'number' || !Number.isInteger(sel) || sel < 0 || sel > 0xffff) {
    throw new IsaInputError(isaErrors.badSelector(sel));
  }
  return sel;
}

/** Requested privilege level (bits 1:0). */
export const rpl = (sel: number): number => sel & 3;
/** Table indicator: 1 = LDT (bit 2). */
export const isLdt = (sel: number): boolean => (sel & 4) !== 0;
/** NULL selector: index 0 in the GDT, any RPL. */
export const isNullSel = (sel: number): boolean => (sel & 0xfffc) === 0;

/**
 * Segments are immutable values, so each distinct one is made once and shared: event delivery,
 * IRET and the fast system calls load one or two per instruction, an object each (keys pack
 * the selector with the attributes that vary).
 */
const SEGMENTS = new Map<number, Segment>();
function kept(key: number, s: Segment): Segment {
  SEGMENTS.set(key, s);
  return s;
}

/** The segment left by loading a NULL selector (usable = false). */
export function nullSegment(sel = 0): Segment {
  const key = sel * 256;
  return SEGMENTS.get(key) ?? kept(key, { sel, usable: false, type: 'none', l: false, db: false, dpl: 0 });
}

/** Flat code segment with fixed attributes, as SYSCALL/SYSRET/SYSENTER/SYSEXIT load it. */
export function flatCode(sel: number, dpl: number, long: boolean): Segment {
  const key = sel * 256 + 64 + (long ? 16 : 0) + dpl;
  return SEGMENTS.get(key) ?? kept(key, { sel, usable: true, type: 'code', l: long, db: !long, dpl });
}

/** Flat read/write data segment (B=1), as SYSCALL/SYSRET/SYSENTER/SYSEXIT load SS. */
export function flatData(sel: number, dpl: number): Segment {
  const key = sel * 256 + 128 + dpl;
  return SEGMENTS.get(key) ?? kept(key, { sel, usable: true, type: 'data', l: false, db: true, dpl });
}

/** A segment loaded from a descriptor (what IRET and MOV do). */
export function fromDescriptor(sel: number, d: Descriptor): Segment {
  const key = sel * 256 + 192 + (d.type === 'code' ? 32 : 0) + (d.l ? 16 : 0) + (d.db ? 8 : 0) + d.dpl;
  return SEGMENTS.get(key) ?? kept(key, { sel, usable: true, type: d.type, l: d.l, db: d.db, dpl: d.dpl });
}

/** Looks up the descriptor a selector names, or undefined if outside the tables. */
export function lookupDescriptor(tables: DescriptorTables, sel: number): Descriptor | undefined {
  const index = sel >> 3;
  return isLdt(sel) ? tables.ldt[index] : tables.gdt[index];
}

/** Field-by-field equality, including the hidden attributes. */
export function sameSegment(a: Segment, b: Segment): boolean {
  return a.sel === b.sel && a.usable === b.usable && a.type === b.type && a.l === b.l &&
    a.db === b.db && a.dpl === b.dpl;
}

/** "0x33 (code64 dpl3)" style rendering. */
export function formatSegment(s: Segment): string {
  const sel = `0x${s.sel.toString(16)}`;
  if (!s.usable) return `${sel} (unusable)`;
  const kind = s.type === 'code' ? (s.l ? 'code64' : s.db ? 'code32' : 'code16') : s.db ? 'data' : 'data16';
  return `${sel} (${kind} dpl${s.dpl})`;
}
