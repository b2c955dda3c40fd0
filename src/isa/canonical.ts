/**
 * Canonical addresses and TASK_SIZE_MAX. Source: reference/x86-semantics.md section 2 (SDM Vol. 1
 * section 3.3.7.1; sandpile.org can_addr.htm; Linux page_64_types.h).
 */
import { IsaInputError, isaErrors } from './errors.ts';
import { assertU64, MASK64 } from './u64.ts';

/** Paging mode: 4-level (48-bit virtual addresses) or 5-level (LA57, 57-bit). */
export type Paging = 4 | 5;

/** Throws unless `p` is 4 or 5. */
export function assertPaging(p: unknown): Paging {
  if (p !== 4 && p !== 5) throw new IsaInputError(isaErrors.notPaging(p));
  return p;
}

/** Number of implemented linear-address bits: 48 or 57. */
export function vaBits(paging: Paging): number {
  return paging === 4 ? 48 : 57;
}

/** Ends of the lower and starts of the upper canonical half, by paging mode. */
const LOW_END_4 = 1n << 47n;
const HIGH_START_4 = MASK64 + 1n - LOW_END_4;
const LOW_END_5 = 1n << 56n;
const HIGH_START_5 = MASK64 + 1n - LOW_END_5;

/**
 * Bits 63 down to the top implemented bit all equal (sign extension): below 2^(n-1) or at or
 * above 2^64 - 2^(n-1), tested by comparisons (BigInt arithmetic allocates).
 */
export function isCanonical(addr: bigint, paging: Paging): boolean {
  assertU64(addr, 'address');
  return assertPaging(paging) === 4 ? addr < LOW_END_4 || addr >= HIGH_START_4 : addr < LOW_END_5 || addr >= HIGH_START_5;
}

/**
 * Linux TASK_SIZE_MAX = (1 << __VIRTUAL_MASK_SHIFT) - PAGE_SIZE: 0x7fff_ffff_f000 (4-level) or
 * 0xff_ffff_ffff_f000 (5-level). The guard page keeps a SYSCALL at the top of the user half from
 * returning to a non-canonical RIP (page_64_types.h comment).
 */
export function taskSizeMax(paging: Paging): bigint {
  const shift = assertPaging(paging) === 4 ? 47n : 56n;
  return (1n << shift) - 4096n;
}

/** Lowest non-canonical address above the user half: 2^47 or 2^56. */
export function userHalfEnd(paging: Paging): bigint {
  return 1n << BigInt(vaBits(assertPaging(paging)) - 1);
}
