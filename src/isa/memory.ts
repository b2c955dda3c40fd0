/**
 * Memory as far as the CPU itself touches it: the qwords that event delivery pushes and IRETQ
 * pops. Persistent: page number -> page -> chunk of 32 qwords. A write copies the short page
 * list, one page's 16 chunk references and one chunk, never every qword ever written, so older
 * states stay valid (the model is immutable) and a write costs the same however long the run.
 * Every access the model makes is qword-aligned (delivery aligns RSP to 16, frames are qwords);
 * an unaligned one is kept exact in the page's slot for odd offsets.
 */
import { MASK64 } from './u64.ts';

/** 32 qwords (256 bytes); holes read as 0. */
export type MemChunk = ReadonlyArray<bigint | undefined>;
/** A 4 KiB page: chunks 0-15, and at index 16 a map for unaligned addresses (by byte offset). */
export type MemPage = ReadonlyArray<MemChunk | ReadonlyMap<number, bigint> | undefined>;
/** Qword-addressed memory by page number (below 2^52, exact as a number). Missing addresses read as 0. */
export type Memory = ReadonlyMap<number, MemPage>;

/** Empty memory. */
export const EMPTY_MEMORY: Memory = new Map();

/** Index of a page's map of unaligned qwords. */
export const ODD = 16;

let lastOffset = 0;
/** The page of the last address split, [base, end): the next access is usually on it too. */
let pageBase = -1n;
let pageEnd = -1n;
let pageNo = 0;

/**
 * The page number of an address taken modulo 2^64, as the CPU does; its offset in the page is
 * left in `offsetOfLast()`. No tuple: this runs for every stack access (a page number is below
 * 2^52, exact as a number). On the page of the previous call it costs one BigInt subtraction
 * (each BigInt result allocates), otherwise four.
 */
export function pageNumberOf(addr: bigint): number {
  if (addr >= pageBase && addr < pageEnd) {
    lastOffset = Number(addr - pageBase);
    return pageNo;
  }
  const a = addr >= 0n && addr <= MASK64 ? addr : addr & MASK64;
  lastOffset = Number(a & 0xfffn);
  pageNo = Number(a >> 12n);
  pageBase = a - BigInt(lastOffset);
  pageEnd = pageBase + 4096n;
  return pageNo;
}

/** The offset in its page of the address last given to {@link pageNumberOf}. */
export const offsetOfLast = (): number => lastOffset;

/** The qword at byte offset `off` of a page. */
export function readInPage(p: MemPage | undefined, off: number): bigint {
  if (p === undefined) return 0n;
  if ((off & 7) !== 0) return (p[ODD] as ReadonlyMap<number, bigint> | undefined)?.get(off) ?? 0n;
  return (p[off >> 8] as MemChunk | undefined)?.[(off >> 3) & 31] ?? 0n;
}

/** Makers of an empty page part, made once (a closure per write allocated 64 bytes). */
const freshOdd = (): Map<number, bigint> => new Map();
const freshChunk = (): Array<bigint | undefined> => new Array<bigint | undefined>(32);
/** An empty page: 16 chunk slots and the slot of the unaligned map. */
export const freshPage = (): Array<MemChunk | ReadonlyMap<number, bigint> | undefined> => new Array<undefined>(ODD + 1);

/**
 * Writes `v` at byte offset `off` of page `p`, in place; `own` makes a page part writable (a
 * copy, unless the caller owns it already) and returns it.
 */
export function writeInPage<T extends object>(p: Array<MemChunk | ReadonlyMap<number, bigint> | undefined>, off: number, v: bigint,
  own: (part: T | undefined, fresh: () => T) => T): void {
  if ((off & 7) !== 0) {
    const m = own(p[ODD] as T | undefined, freshOdd as unknown as () => T) as unknown as Map<number, bigint>;
    p[ODD] = m;
    m.set(off, v);
    return;
  }
  const c = own(p[off >> 8] as T | undefined, freshChunk as unknown as () => T) as unknown as Array<bigint | undefined>;
  p[off >> 8] = c;
  c[(off >> 3) & 31] = v;
}

/** Reads the qword at `addr`. */
export function readQ(mem: Memory, addr: bigint): bigint {
  // Addresses wrap modulo 2^64 as in writeQs, so `rsp + 8n` near the top of the address space
  // reads the qword writeQs stored there (IRETQ popping a frame that wrapped past 0).
  const page = pageNumberOf(addr);
  return readInPage(mem.get(page), lastOffset);
}

/**
 * Reads `n` consecutive qwords from `addr` upward, as `n` readQ calls would (wrapping at 2^64),
 * with one address split: page and offset then advance as numbers (a frame is read in one go).
 */
export function readQs(mem: Memory, addr: bigint, n: number): bigint[] {
  let page = pageNumberOf(addr);
  let off = lastOffset;
  let p = mem.get(page);
  const out = new Array<bigint>(n);
  for (let i = 0; i < n; i++, off += 8) {
    if (off >= 4096) { off -= 4096; page = page + 1 === 2 ** 52 ? 0 : page + 1; p = mem.get(page); }
    out[i] = readInPage(p, off);
  }
  return out;
}

const copyPart = <T extends object>(part: T | undefined, fresh: () => T): T =>
  (part === undefined ? fresh() : part instanceof Map ? new Map(part) : (part as unknown as unknown[]).slice()) as T;

/** Writes consecutive qwords from `addr` upward, returning a new memory. */
export function writeQs(mem: Memory, addr: bigint, values: readonly bigint[]): Memory {
  const next = new Map(mem);
  const copied = new Set<object>();
  const own = <T extends object>(part: T | undefined, fresh: () => T): T => {
    if (part !== undefined && copied.has(part)) return part;
    const c = copyPart(part, fresh);
    copied.add(c);
    return c;
  };
  for (let i = 0; i < values.length; i++) {
    const page = pageNumberOf(addr + BigInt(i) * 8n);
    const off = lastOffset;
    const p = own(next.get(page) as unknown[] | undefined, freshPage) as Array<MemChunk | ReadonlyMap<number, bigint> | undefined>;
    next.set(page, p);
    writeInPage(p, off, values[i] as bigint, own);
  }
  return next;
}
