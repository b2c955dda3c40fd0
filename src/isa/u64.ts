import { IsaInputError, isaErrors } from './errors.ts';

/** All ones in 64 bits. */
export const MASK64 = (1n << 64n) - 1n;

/** True when `v` is a bigint in 0..2^64-1. */
export function isU64(v: unknown): v is bigint {
  return typeof v === 'bigint' && v >= 0n && v <= MASK64;
}

/** Throws an {@link IsaInputError} naming `what` unless `v` is a 64-bit quantity; returns it. */
export function assertU64(v: unknown, what: string): bigint {
  if (!isU64(v)) throw new IsaInputError(isaErrors.notU64(what, v));
  return v;
}

/** Truncates any bigint to 64 bits (two's complement wrap); a value already in range as it is (no BigInt `&`). */
export function wrap64(v: bigint): bigint {
  return v >= 0n && v <= MASK64 ? v : v & MASK64;
}

const SMALL: bigint[] = [];
/**
 * BigInt(n) for a 16-bit n (a selector, an error code), made once per value: every BigInt() call
 * allocates, and delivery pushes two selectors per event.
 */
export function small(n: number): bigint {
  if (n < 0 || n > 0xffff || !Number.isInteger(n)) return BigInt(n);
  return SMALL[n] ?? (SMALL[n] = BigInt(n));
}

/** The low 16 bits of a qword as a number (a selector in a frame), without a BigInt `&` when it fits. */
export function low16(v: bigint): number {
  return v >= 0n && v <= 0xffffn ? Number(v) : Number(v & 0xffffn);
}

/** Interprets a 64-bit quantity as signed. */
export function toSigned(v: bigint): bigint {
  return BigInt.asIntN(64, v);
}

/** Low 32 bits, zero-extended (what a 32-bit register write leaves in the 64-bit register). */
export function low32(v: bigint): bigint {
  return v >= 0n && v <= 0xffff_ffffn ? v : v & 0xffff_ffffn;
}

/** `0x`-prefixed lower-case hex, the serialised form of every 64-bit value. */
export function hex(v: bigint): string {
  return `0x${v.toString(16)}`;
}
