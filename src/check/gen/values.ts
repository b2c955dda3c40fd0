/**
 * Value domains of the search: for each kind of operand, the values at the boundaries of the
 * predicates the hardware and the kernel apply to it, derived from the ISA's definitions (never
 * from a particular bug). An address predicate (canonical for 48 or 57 bits, below
 * TASK_SIZE_MAX, "top bits zero" for any width) changes its answer between 2^k - 1 and 2^k, so
 * every such edge is in the domain, for both paging modes, since a kernel may test the wrong one.
 */
import { KERNEL32_CS, KERNEL_CS, KERNEL_DS, rf, USER32_CS, USER_CS, USER_DS } from '../../isa/index.ts';
import { SYMBOL_NAMES } from '../../kernel/index.ts';

const h = (v: bigint): string => `0x${BigInt.asUintN(64, v).toString(16)}`;
const TOP = 1n << 64n;

/**
 * Addresses at the edges of the address predicates (reference/x86-semantics.md section 2): for
 * w = 48 and 57, the last canonical address of the lower half, the first non-canonical one and
 * their neighbours, the first canonical address of the upper half, TASK_SIZE_MAX (2^(w-1) - 4096)
 * and its neighbours; then 2^k - 1, 2^k and -2^k for k = 44..63, which is where any "top bits
 * zero" or "sign-extended" test of another width changes its answer.
 */
export const EDGE_ADDRESSES: readonly string[] = (() => {
  const out = new Set<string>();
  for (const w of [48n, 57n]) {
    const half = 1n << (w - 1n);
    for (const d of [-3n, -2n, -1n, 0n, 1n]) out.add(h(half + d));
    for (const d of [-1n, 0n]) out.add(h(TOP - half + d));
    for (const d of [-1n, 0n, 1n]) out.add(h(half - 4096n + d));
  }
  for (let k = 44n; k < 64n; k++) for (const v of [(1n << k) - 1n, 1n << k, TOP - (1n << k)]) out.add(h(v));
  for (const v of [0n, TOP - 1n]) out.add(h(v));
  return [...out];
})();

/**
 * The layout's own addresses (every symbol the model resolves) and their neighbours one qword,
 * one hardware interrupt frame (5 qwords) and one frame with an error code below, and one page
 * above and below: the addresses where a stack, a mapping or a region changes.
 */
export const LAYOUT_ADDRESSES: readonly string[] = SYMBOL_NAMES.filter((s) => s !== 'null')
  .flatMap((s) => [`$${s}`, `$${s}-8`, `$${s}-0x28`, `$${s}-0x30`, `$${s}+0x1000`, `$${s}-0x1000`]);

/** Addresses for the bounds of a length: with a base, base + length crosses the same edges. */
export const LENGTHS: readonly string[] = ['0x0', '0x1', '0x8', '0x10', '0x1000', '0x7fffffffffff', '0x800000000000', '0x8000000000000000', '0xffffffffffffffff'];

/** Small integers: counts, indices, file descriptors, signal numbers, flags, -1. */
export const SMALL: readonly string[] = ['0x0', '0x1', '0x2', '0x3', '0x4', '0x7', '0x8', '0xa', '0xb', '0xc', '0xf', '0x10', '0x11', '0x1f', '0x20', '0xffffffffffffffff'];

/** RFLAGS bits the architecture defines (reference/x86-semantics.md section 1.1) and reserved ones. */
const FLAG_BITS: readonly bigint[] = [
  rf.CF, rf.PF, rf.AF, rf.ZF, rf.SF, rf.TF, rf.IF, rf.DF, rf.OF, 1n << 12n, 1n << 13n, rf.NT, rf.RF, rf.VM, rf.AC, rf.VIF, rf.VIP, rf.ID,
  rf.FIXED, 1n << 3n, 1n << 5n, 1n << 15n, 1n << 22n, 1n << 63n,
];

/**
 * RFLAGS values: an ordinary user value (IF and the fixed bit) with exactly one bit flipped, for
 * every bit, so each flag test sees each answer with everything else ordinary; plus a few bases.
 */
export const RFLAGS_VALUES: readonly string[] = [...new Set([
  ...FLAG_BITS.map((b) => h(0x202n ^ b)), '0x202', '0x246', '0x2', '0x0', '0x3202', h(0x202n | rf.TF | rf.RF), h(0x202n | rf.AC | rf.NT | rf.DF | rf.TF),
])];

/**
 * Segment selectors: every descriptor slot the model's GDT uses (NULL, the kernel's, the user's,
 * one beyond) and the LDT's first slots, each with every RPL, so RPL/DPL/TI checks see each
 * answer (reference/x86-semantics.md sections 3.1 and 4.5).
 */
export const SELECTORS: readonly number[] = (() => {
  const slots = [0, KERNEL32_CS >> 3, KERNEL_CS >> 3, KERNEL_DS >> 3, USER32_CS >> 3, USER_DS >> 3, USER_CS >> 3, 7, 8];
  const out: number[] = [];
  for (const s of slots) for (let rpl = 0; rpl < 4; rpl++) out.push((s << 3) | rpl);
  for (let s = 0; s < 4; s++) for (let rpl = 0; rpl < 4; rpl++) out.push((s << 3) | 4 | rpl);
  return out;
})();

/** The selectors user code normally holds (what an unmodified frame has). */
export const USER_SELECTORS: readonly number[] = [USER_CS, USER_DS, USER32_CS];

/** A frame that fast-returns as it stands: RIP = RCX after this instruction, RFLAGS = R11, user CS and SS. */
export const SYSRET_ABLE: Readonly<Record<string, string | number>> = { rip: '$next', rcx: '$next', rflags: '0x202', r11: '0x202', cs: USER_CS, ss: USER_DS };

/**
 * The same for a 32-bit fast system call's return (SYSRETL/SYSEXIT): IP at the vDSO's landing
 * pad, the 32-bit user CS, the user SS, no RF, TF or VM (reference: linux-entry-history, the
 * compat exit checks of do_fast_syscall_32); RCX and RDX at the landing pad too, where SYSRETL
 * and SYSEXIT take the return IP from (SDM Vol. 2B), as SYSRET_ABLE has RCX = RIP: the IP moved
 * alone then tells a check of pt_regs->ip from one that reads the instruction's register.
 */
export const COMPAT_FAST_ABLE: Readonly<Record<string, string | number>> = { rip: '$landing_pad', rcx: '$landing_pad', rdx: '$landing_pad', rflags: '0x202', cs: USER32_CS, ss: USER_DS };

/** Micro-step offsets for hardware events: the longest modelled path is well under this. */
export const MAX_AFTER = 120;
