/**
 * RFLAGS layout and the reserved-bit invariant. Source: reference/x86-semantics.md section 1.1
 * (Linux processor-flags.h; SDM Vol. 1 section 3.4.3).
 */
import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import {
  assertRflags, EMPTY_MEMORY, fixRflags, IsaInputError, isValidRflags, MASK64, popf, rf,
} from '../../src/isa/index.ts';
import { userCpu } from './helpers.ts';

const u64 = fc.bigInt({ min: 0n, max: MASK64 });

describe('RFLAGS reserved bits', () => {
  // Ref 1.1: reserved-zero mask is 0xFFFF_FFFF_FFC0_8028 (bits 3, 5, 15, 22-63).
  it('the reserved-zero mask is bits 3, 5, 15 and 22-63', () => {
    const bits = [3n, 5n, 15n, ...Array.from({ length: 42 }, (_, i) => BigInt(22 + i))];
    expect(rf.RESERVED_ZERO).toBe(bits.reduce((m, b) => m | (1n << b), 0n));
    expect(rf.RESERVED_ZERO).toBe(0xffff_ffff_ffc0_8028n);
  });

  // Ref 1.1: bit 1 is X86_EFLAGS_FIXED, always 1; the named flags sit at their documented bits.
  it('bit 1 is the fixed bit and the flags sit at their SDM positions', () => {
    expect(rf.FIXED).toBe(2n);
    expect([rf.CF, rf.PF, rf.AF, rf.ZF, rf.SF, rf.TF, rf.IF, rf.DF, rf.OF]).toEqual(
      [0n, 2n, 4n, 6n, 7n, 8n, 9n, 10n, 11n].map((b) => 1n << b));
    expect([rf.NT, rf.RF, rf.VM, rf.AC, rf.VIF, rf.VIP, rf.ID]).toEqual(
      [14n, 16n, 17n, 18n, 19n, 20n, 21n].map((b) => 1n << b));
    expect(rf.IOPL).toBe(0x3000n);
  });

  // Ref 1.1: fixRflags forces bit 1 to 1 and bits 3, 5, 15, 22-63 to 0, keeping the rest.
  test.prop([u64])('fixRflags sets bit 1, clears the reserved bits and keeps every other bit', (v) => {
    const f = fixRflags(v);
    expect(isValidRflags(f)).toBe(true);
    expect(f & 2n).toBe(2n);
    expect(f & rf.RESERVED_ZERO).toBe(0n);
    expect(f & ~rf.RESERVED_ZERO & ~2n & MASK64).toBe(v & ~rf.RESERVED_ZERO & ~2n & MASK64);
  });

  // Ref 1.1: bit 1 clear, or any of bits 3, 5, 15, 22..63 set, is not a valid RFLAGS value.
  it('assertRflags rejects bit 1 clear and each reserved bit set, naming rflags', () => {
    const bad = [0n, 0x1n, 2n | 8n, 2n | 0x20n, 2n | 0x8000n, 2n | (1n << 22n), 2n | (1n << 40n), 2n | (1n << 63n)];
    for (const v of bad) {
      expect(isValidRflags(v)).toBe(false);
      expect(() => assertRflags(v)).toThrow(IsaInputError);
      expect(() => assertRflags(v)).toThrow(/rflags: reserved bits must be fixed/);
    }
  });

  // Ref 1.1: any combination of the defined bits with bit 1 set is valid.
  it('assertRflags accepts every defined flag with bit 1 set', () => {
    const all = 0x3f_7fd7n; // bits 0-2,4,6-14,16-21
    expect(assertRflags(2n)).toBe(2n);
    expect(assertRflags(all)).toBe(all);
    expect(() => assertRflags(-2n)).toThrow(/rflags: expected a 64-bit quantity/);
  });

  // Ref 1.2: POPF ignores the reserved bits of the popped value (no fault), so the result is valid.
  test.prop([u64])('POPF of any 64-bit value leaves the reserved bits fixed', (v) => {
    const r = popf(userCpu(), EMPTY_MEMORY, v);
    expect(r.fault).toBeNull();
    expect(isValidRflags(r.cpu.rflags)).toBe(true);
  });
});
