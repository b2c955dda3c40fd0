/**
 * Canonical addresses and TASK_SIZE_MAX for 4-level (48-bit) and 5-level (57-bit) paging.
 * Source: reference/x86-semantics.md section 2 (SDM Vol. 1 section 3.3.7.1; sandpile.org
 * can_addr.htm; Linux page_64_types.h; selftest sysret_rip.c uses 1 << i for i = 47..63).
 */
import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { isCanonical, MASK64, taskSizeMax, userHalfEnd, vaBits } from '../../src/isa/index.ts';

describe('canonical addresses', () => {
  // Ref 2: VA48 canonical ranges 0..0x7FFF_FFFF_FFFF and 0xFFFF_8000_0000_0000..2^64-1.
  it('48-bit: 2^47-1 is canonical, 2^47 is not, the sign-extended upper half is', () => {
    expect(isCanonical(0n, 4)).toBe(true);
    expect(isCanonical((1n << 47n) - 1n, 4)).toBe(true);
    expect(isCanonical(1n << 47n, 4)).toBe(false);
    expect(isCanonical(0xffff_7fff_ffff_ffffn, 4)).toBe(false);
    expect(isCanonical(0xffff_8000_0000_0000n, 4)).toBe(true);
    expect(isCanonical(MASK64, 4)).toBe(true);
  });

  // Ref 2: VA57 canonical ranges 0..0x00FF_FFFF_FFFF_FFFF and 0xFF00_0000_0000_0000..2^64-1.
  it('57-bit: 2^56-1 is canonical, 2^56 is not, 2^47 is, the sign-extended upper half is', () => {
    expect(isCanonical(1n << 47n, 5)).toBe(true);
    expect(isCanonical((1n << 56n) - 1n, 5)).toBe(true);
    expect(isCanonical(1n << 56n, 5)).toBe(false);
    expect(isCanonical(0xfeff_ffff_ffff_ffffn, 5)).toBe(false);
    expect(isCanonical(0xff00_0000_0000_0000n, 5)).toBe(true);
    expect(isCanonical(0xffff_8000_0000_0000n, 5)).toBe(true);
    expect(isCanonical(0xffff_7fff_ffff_ffffn, 5)).toBe(true);
  });

  // Ref 2 (sysret_rip.c): 1 << i for i = 47..63 is non-canonical except where the paging mode
  // still has the bit in its user half (i < 56 with 5-level paging).
  it('1 << i for i in 47..63 is non-canonical (5-level: canonical for i < 56)', () => {
    for (let i = 47n; i <= 63n; i++) {
      expect(isCanonical(1n << i, 4), `4-level 1<<${i}`).toBe(false);
      expect(isCanonical(1n << i, 5), `5-level 1<<${i}`).toBe(i < 56n);
    }
  });

  // Ref 2: canonical means bits 63 down to bit (vaBits-1) are all equal.
  test.prop([fc.bigInt({ min: 0n, max: MASK64 }), fc.constantFrom(4 as const, 5 as const)])(
    'canonical iff the bits above the top implemented bit are a sign extension',
    (addr, paging) => {
      const top = BigInt(vaBits(paging) - 1);
      const high = addr >> top; // bits 63..top
      const allSame = high === 0n || high === (MASK64 >> top);
      expect(isCanonical(addr, paging)).toBe(allSame);
    });
});

describe('TASK_SIZE_MAX', () => {
  // Ref 2: TASK_SIZE_MAX = (1 << __VIRTUAL_MASK_SHIFT) - PAGE_SIZE.
  it('is 0x7fff_ffff_f000 with 4-level and 0xff_ffff_ffff_f000 with 5-level paging', () => {
    expect(taskSizeMax(4)).toBe(0x7fff_ffff_f000n);
    expect(taskSizeMax(5)).toBe(0xff_ffff_ffff_f000n);
  });

  // Ref 2 (page_64_types.h comment): the guard page keeps a SYSCALL at the top of the user half
  // from returning to a non-canonical RIP: the last byte below TASK_SIZE_MAX plus any instruction
  // length up to a page is still canonical, while the user half ends at 2^47 / 2^56.
  it('leaves a guard page below the first non-canonical address of the user half', () => {
    for (const paging of [4, 5] as const) {
      expect(userHalfEnd(paging) - taskSizeMax(paging)).toBe(4096n);
      expect(isCanonical(taskSizeMax(paging) + 4095n, paging)).toBe(true);
      expect(isCanonical(userHalfEnd(paging), paging)).toBe(false);
    }
    expect(vaBits(4)).toBe(48);
    expect(vaBits(5)).toBe(57);
  });
});
