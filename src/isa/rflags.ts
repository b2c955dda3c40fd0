/**
 * RFLAGS bit layout. Source: reference/x86-semantics.md section 1.1 (Linux
 * arch/x86/include/uapi/asm/processor-flags.h; SDM Vol. 1 section 3.4.3).
 */
import { IsaInputError, isaErrors } from './errors.ts';
import { assertU64 } from './u64.ts';

export const CF = 1n << 0n;
/** Bit 1 is reserved and always reads 1 (X86_EFLAGS_FIXED). */
export const FIXED = 1n << 1n;
export const PF = 1n << 2n;
export const AF = 1n << 4n;
export const ZF = 1n << 6n;
export const SF = 1n << 7n;
export const TF = 1n << 8n;
export const IF = 1n << 9n;
export const DF = 1n << 10n;
export const OF = 1n << 11n;
export const IOPL = 3n << 12n;
export const NT = 1n << 14n;
export const RF = 1n << 16n;
export const VM = 1n << 17n;
export const AC = 1n << 18n;
export const VIF = 1n << 19n;
export const VIP = 1n << 20n;
export const ID = 1n << 21n;

/** TF, IF and RF as bits of {@link flagBits}. */
export const TF_BIT = 0x100;
export const IF_BIT = 0x200;
export const RF_BIT = 0x1_0000;

let memoFlags = -1n;
let memoBits = 0;
/**
 * The low 32 bits of an RFLAGS value as a number, to test a flag without a BigInt `&` (which
 * allocates and costs ~30 ns on Node 20). Remembers the last value: the flags rarely change
 * from one micro-step to the next. A miss converts without a mask when the value fits (RFLAGS
 * always does): Number() of a small BigInt allocates nothing, `f & mask` allocates ~40 bytes.
 */
export function flagBits(f: bigint): number {
  if (f !== memoFlags) {
    memoBits = f <= 0xffff_ffffn ? Number(f) : Number(f & 0xffff_ffffn);
    memoFlags = f;
  }
  return memoBits;
}

/** Bits that must read 0: 3, 5, 15 and 22-63 (section 1.1: `rflags & 0xFFFF_FFFF_FFC0_8028 == 0`). */
export const RESERVED_ZERO = 0xffff_ffff_ffc0_8028n;

/** The arithmetic (status) flags. */
export const STATUS = CF | PF | AF | ZF | SF | OF;

/** Bit names, low to high, for reports. */
export const FLAG_NAMES: ReadonlyArray<readonly [bigint, string]> = [
  [CF, 'CF'], [PF, 'PF'], [AF, 'AF'], [ZF, 'ZF'], [SF, 'SF'], [TF, 'TF'], [IF, 'IF'], [DF, 'DF'],
  [OF, 'OF'], [IOPL, 'IOPL'], [NT, 'NT'], [RF, 'RF'], [VM, 'VM'], [AC, 'AC'], [VIF, 'VIF'],
  [VIP, 'VIP'], [ID, 'ID'],
];

/** Forces the reserved bits of any 64-bit value to their fixed values. */
export function fixRflags(v: bigint): bigint {
  return (v & ~RESERVED_ZERO) | FIXED;
}

/** True when the reserved bits hold their fixed values. */
export function isValidRflags(v: bigint): boolean {
  return (v & RESERVED_ZERO) === 0n && (v & FIXED) === FIXED;
}

/** Throws unless `v` is a 64-bit value with the reserved bits fixed; returns it. */
export function assertRflags(v: unknown): bigint {
  const x = assertU64(v, 'rflags');
  if (!isValidRflags(x)) throw new IsaInputError(isaErrors.badRflags(x));
  return x;
}

/** The IOPL field as a number 0..3. */
export function iopl(v: bigint): number {
  return Number((v >> 12n) & 3n);
}

/** "TF|IF|0x2"-style rendering for reports. */
export function formatRflags(v: bigint): string {
  const names = FLAG_NAMES.filter(([bit]) => (v & bit) !== 0n && bit !== IOPL).map(([, n]) => n);
  const pl = iopl(v);
  if (pl !== 0) names.push(`IOPL=${pl}`);
  return names.length > 0 ? names.join('|') : '-';
}
