/**
 * fast-check arbitraries for ISA properties, biased to the edges the reference names: canonical
 * boundaries for 48- and 57-bit paging, TASK_SIZE_MAX, the sign-extended halves, 1 << i for
 * i = 47..63 (reference 2; sysret_rip.c), and RFLAGS with TF / RF / NT / AC / IOPL.
 */
import { fc } from '@fast-check/vitest';
import {
  fixRflags, flatData, isCanonical, KERNEL_DS, MASK64, nullSegment, rf, USER_DS,
  type Paging, type Segment, type Vendor,
} from '../../src/isa/index.ts';

export const vendorArb = fc.constantFrom<Vendor>('intel', 'amd');
export const pagingArb = fc.constantFrom<Paging>(4, 5);
export const u64Arb = fc.bigInt({ min: 0n, max: MASK64 });

/** Addresses at and around the canonical boundaries of both paging modes. */
export const EDGES: readonly bigint[] = [
  0n, 0x1000n, 0x40_1000n,
  (1n << 47n) - 4096n, (1n << 47n) - 1n, 1n << 47n,
  (1n << 56n) - 4096n, (1n << 56n) - 1n, 1n << 56n,
  0xffff_8000_0000_0000n, 0xff00_0000_0000_0000n, 0xfeff_ffff_ffff_ffffn, MASK64,
  ...Array.from({ length: 17 }, (_, i) => 1n << BigInt(47 + i)),
];

/** An address near an edge (within +-2), or anywhere. */
export const addrArb: fc.Arbitrary<bigint> = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom(...EDGES), fc.integer({ min: -2, max: 2 })).map(([e, d]) => (e + BigInt(d)) & MASK64) },
  { weight: 1, arbitrary: u64Arb },
);

/** A canonical address for `paging`, edge-biased. */
export const canonicalArb = (paging: Paging): fc.Arbitrary<bigint> => addrArb.filter((a) => isCanonical(a, paging));
/** A non-canonical address for `paging`, edge-biased. */
export const nonCanonicalArb = (paging: Paging): fc.Arbitrary<bigint> => addrArb.filter((a) => !isCanonical(a, paging));

/** A canonical user-half address (where a user stack may be). */
export const userAddrArb = fc.bigInt({ min: 0n, max: (1n << 47n) - 1n });

/**
 * A valid user RFLAGS value with IOPL 0, VM 0 (VM cannot be 1 in 64-bit user mode) and TF / RF
 * clear; add them explicitly where a test wants them.
 */
export const userFlagsArb: fc.Arbitrary<bigint> =
  u64Arb.map((v) => fixRflags(v) & ~(rf.IOPL | rf.VM | rf.TF | rf.RF));

/** Like userFlagsArb but with TF and RF each set half the time. */
export const anyUserFlagsArb: fc.Arbitrary<bigint> =
  fc.tuple(userFlagsArb, fc.boolean(), fc.boolean()).map(([f, tf, r]) => f | (tf ? rf.TF : 0n) | (r ? rf.RF : 0n));

/** Bits of R11 that SYSRET ignores: RF, VM and the reserved bits 3, 5, 15, 22..63. */
export const IGNORED_BITS: readonly bigint[] = [16n, 17n, 3n, 5n, 15n, 22n, 40n, 63n].map((b) => 1n << b);
/** Bits SYSRET loads from R11 (other than TF and bit 1). */
export const LOADED_BITS: readonly bigint[] = [0n, 2n, 4n, 6n, 7n, 9n, 10n, 11n, 12n, 13n, 14n, 18n, 19n, 20n, 21n].map((b) => 1n << b);

/** SS hidden state the kernel may hold at SYSRET: SYSCALL's, a NULL one left by an interrupt entry, the user's. */
export const ssBeforeArb: fc.Arbitrary<Segment> = fc.constantFrom(flatData(KERNEL_DS, 0), nullSegment(0), flatData(USER_DS, 3));
export const usableSsArb: fc.Arbitrary<Segment> = fc.constantFrom(flatData(KERNEL_DS, 0), flatData(USER_DS, 3));
