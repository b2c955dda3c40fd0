/**
 * User memory as the page walk sees it: unmapped, mapped (code, data, read-only) or demand
 * paged (present once the #PF handler has filled it). Content is abstract: loads read back
 * the bytes user code stored, 0 elsewhere. Error code bits: reference/x86-semantics.md 5.2
 * (trap_pf.h: P 1, W 2, U 4, I/D 16).
 *
 * The page table is persistent and grouped by 1 MiB region (256 pages): filling one demand page
 * copies that region's 256 kinds and the short list of regions, not every mapping.
 */
import { isCanonical, type Fault, type Paging } from '../isa/index.ts';
import type { KernelState, PageKind } from './state.ts';

/** Page-fault error code bits. */
export const PF_ERR = { P: 1, W: 2, U: 4, I: 16 } as const;

/** Kinds by code (0: unmapped). */
const KINDS: ReadonlyArray<PageKind | undefined> = [undefined, 'code', 'data', 'demand', 'readonly'];
const CODE: Readonly<Record<PageKind, number>> = { code: 1, data: 2, demand: 3, readonly: 4 };
const REGION_PAGES = 256;

/** The user page table: region (page number / 256) -> the kind code of each of its 256 pages. */
export type PageTable = ReadonlyMap<number, readonly number[]>;

/** The page number of an address (exact as a number: below 2^52). */
export const pageNumber = (addr: bigint): number => Number(BigInt.asUintN(64, addr) >> 12n);

/** Page number key of an address (hex), for tables keyed by page. */
export const pageKey = (addr: bigint): string => (addr >> 12n).toString(16);

/** The mapping of page number `page`, if any. */
export function kindOfPage(t: PageTable, page: number): PageKind | undefined {
  return KINDS[t.get(Math.floor(page / REGION_PAGES))?.[page % REGION_PAGES] ?? 0];
}

/** The mapping of the page holding `addr`, if any. */
export function pageKind(t: PageTable, addr: bigint): PageKind | undefined {
  return kindOfPage(t, pageNumber(addr));
}

/** The mapping of the page holding `addr` in a kernel state, if any. */
export function pageOf(k: KernelState, addr: bigint): PageKind | undefined {
  return pageKind(k.pages, addr);
}

/**
 * Sets the kind of pages [first, last] in a mutable table; `copy` gives a region array that may
 * be written (a fresh copy, or one the caller owns).
 */
export function setPages(regions: Map<number, number[] | readonly number[]>, first: number, last: number, kind: PageKind | 'unmapped',
  copy: (r: readonly number[] | undefined) => number[]): void {
  const code = kind === 'unmapped' ? 0 : CODE[kind];
  for (let p = first; p <= last; p++) {
    const r = Math.floor(p / REGION_PAGES);
    const arr = copy(regions.get(r));
    arr[p % REGION_PAGES] = code;
    regions.set(r, arr);
  }
}

/** A new table with pages [start, end) (byte addresses, end exclusive) mapped as `kind`. */
export function mapRange(t: PageTable, start: bigint, end: bigint, kind: PageKind | 'unmapped'): PageTable {
  const next = new Map(t);
  const fresh = new Set<readonly number[]>();
  const copy = (r: readonly number[] | undefined): number[] => {
    if (r !== undefined && fresh.has(r)) return r as number[];
    const c = r === undefined ? new Array<number>(REGION_PAGES).fill(0) : r.slice();
    fresh.add(c);
    return c;
  };
  if (end > start) setPages(next, pageNumber(start), pageNumber(end - 1n), kind, copy);
  return next;
}

/** The empty page table. */
export const NO_PAGES: PageTable = new Map();

/** Addresses from here up have bit 63 set. */
const KERNEL_HALF = 1n << 63n;

/** The fault-around window of `addr` (64 KiB, the default fault_around_bytes). */
export const touchWindow = (addr: bigint): number => Number(BigInt.asUintN(64, addr) >> 16n);

/** True when the read-only file page at `addr` has been faulted in (KernelState.touched). */
export function isTouched(k: KernelState, addr: bigint): boolean {
  return k.touched?.includes(touchWindow(addr)) ?? false;
}

/**
 * The fault a user-half access raises, or null. `user` is the CPL of the access (kernel
 * copy_from_user is a supervisor access). Non-canonical addresses raise #GP(0), not #PF.
 */
export function accessFault(k: KernelState, paging: Paging, addr: bigint,
  kind: 'read' | 'write' | 'fetch', user: boolean): Fault | null {
  if (!isCanonical(addr, paging)) return { vector: 13, error: 0 };
  const u = user ? PF_ERR.U : 0;
  const w = kind === 'write' ? PF_ERR.W : 0;
  const i = kind === 'fetch' ? PF_ERR.I : 0;
  // Kernel half (bit 63 set; a comparison, not a BigInt shift: the address is canonical u64 here).
  if (addr >= KERNEL_HALF) return { vector: 14, error: PF_ERR.P | u | w | i, cr2: addr };
  const page = pageOf(k, addr);
  if (page === undefined || page === 'demand') return { vector: 14, error: u | w | i, cr2: addr };
  // A read-only file page is mapped by its first read or fetch, with the pages around it
  // (do_read_fault -> do_fault_around, fault_around_bytes = 64 KiB, mm/memory.c); before that a
  // write finds no PTE: the #PF has no P bit (access_error still refuses it: SEGV_ACCERR).
  if (kind === 'write' && (page === 'code' || page === 'readonly')) {
    return { vector: 14, error: (isTouched(k, addr) ? PF_ERR.P : 0) | u | w, cr2: addr };
  }
  if (kind === 'fetch' && page !== 'code') return { vector: 14, error: PF_ERR.P | u | i, cr2: addr };
  return null;
}

/**
 * `size` bytes of user memory at `addr` as user code stored them (little-endian; bytes never
 * stored read as 0: content is abstract). No fault checks: the caller has made them.
 */
export function readUser(k: KernelState, addr: bigint, size: number): bigint {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) {
    const a = BigInt.asUintN(64, addr + BigInt(i));
    v = (v << 8n) | BigInt(k.bytes[pageKey(a)]?.[Number(a & 0xfffn)] ?? 0);
  }
  return v;
}

/** The byte table after storing `size` bytes of `value` at `addr` (little-endian). */
export function storeUser(bytes: KernelState['bytes'], addr: bigint, value: bigint, size: number): KernelState['bytes'] {
  const out: Record<string, Record<number, number>> = { ...bytes };
  for (let i = 0; i < size; i++) {
    const a = BigInt.asUintN(64, addr + BigInt(i));
    const key = pageKey(a);
    // A page is copied once per store, then written in place (its keys are offsets: numeric order).
    let page = out[key];
    if (page === undefined || page === bytes[key]) out[key] = page = { ...page };
    page[Number(a & 0xfffn)] = Number((value >> BigInt(8 * i)) & 0xffn);
  }
  return out;
}

/**
 * The fault a user access of `size` bytes at `addr` raises on the page walk (its first and last
 * byte may lie on different pages), or null.
 */
export function rangeFault(k: KernelState, paging: Paging, addr: bigint, size: number,
  kind: 'read' | 'write', user: boolean): Fault | null {
  const last = BigInt.asUintN(64, addr + BigInt(size - 1));
  return accessFault(k, paging, BigInt.asUintN(64, addr), kind, user) ?? (pageNumber(last) === pageNumber(addr) ? null : accessFault(k, paging, last, kind, user));
}
