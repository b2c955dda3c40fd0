/**
 * Memory as far as the CPU itself touches it: the qwords that event delivery pushes and IRETQ
 * pops. A persistent map from 8-byte-aligned address to value; writes copy the map, so older
 * states stay valid (the model is immutable).
 */
import { wrap64 } from './u64.ts';

/** Qword-addressed memory. Missing addresses read as 0. */
export type Memory = ReadonlyMap<bigint, bigint>;

/** Empty memory. */
export const EMPTY_MEMORY: Memory = new Map();

/** Reads the qword at `addr`. */
export function readQ(mem: Memory, addr: bigint): bigint {
  // Addresses wrap modulo 2^64 as in writeQs, so `rsp + 8n` near the top of the address space
  // reads the qword writeQs stored there (IRETQ popping a frame that wrapped past 0).
  return mem.get(wrap64(addr)) ?? 0n;
}

/** Writes consecutive qwords from `addr` upward, returning a new memory. */
export function writeQs(mem: Memory, addr: bigint, values: readonly bigint[]): Memory {
  const next = new Map(mem);
  values.forEach((v, i) => next.set(wrap64(addr + BigInt(i) * 8n), v));
  return next;
}
