/**
 * Values the generator draws, biased to the edges the entry code tests (DESIGN.md section 5):
 * the canonical and TASK_SIZE_MAX boundaries, RFLAGS images, selectors, stacks. Every address
 * is one whose mapping is the same in the model and in the harness's child (the model's regions,
 * or addresses unmapped or non-canonical in both), so a difference is never the layout's.
 */
import { taskSizeMax } from '../../isa/index.ts';
import { COMPAT_CODE, COMPAT_STACK_TOP, USER_CODE, USER_DATA, USER_DEMAND, USER_STACK_TOP } from '../../kernel/index.ts';
import type { Rng } from './rng.ts';

/** TASK_SIZE_MAX for 4-level paging, the only mode the host gives a user process. */
export const TASK_SIZE_MAX = taskSizeMax(4);
const CANON = 1n << 47n;

/** RIPs at the canonical and TASK_SIZE_MAX edges (all unmapped or non-canonical on both sides). */
export const EDGE_RIPS: readonly bigint[] = [
  TASK_SIZE_MAX - 2n, TASK_SIZE_MAX - 1n, TASK_SIZE_MAX, TASK_SIZE_MAX + 1n, CANON - 2n, CANON - 1n, CANON, CANON + 1n,
  0xffff_8000_0000_0000n, 0xffff_7fff_ffff_ffffn, 1n << 48n, 1n << 56n, 1n << 57n, 1n << 63n, 0xffff_ffff_ffff_f000n, 0n, 0x1000n,
];
/** The non-canonical ones (an IRET or a JMP there faults with #GP; SYSRET on Intel too, in the kernel). */
export const NON_CANONICAL: readonly bigint[] = EDGE_RIPS.filter((a) => a >= CANON && a < 0xffff_8000_0000_0000n);

/** Addresses for any register: edges, and the sign-extended halves. */
export const EDGE_VALUES: readonly bigint[] = [
  ...EDGE_RIPS, 0xffff_ffff_8100_0000n, 0x50_0000n, USER_DATA + 0x10000n,
  ...Array.from({ length: 17 }, (_, i) => 1n << BigInt(47 + i)),
];
/** Addresses that fault on any access, on both sides (TASK_SIZE_MAX - 1 is the stack's top page: excluded). */
export const FAULTING: readonly bigint[] = EDGE_VALUES.filter((a) => a !== TASK_SIZE_MAX - 1n && a !== TASK_SIZE_MAX - 2n);

/** RFLAGS images: TF, RF, NT, AC, DF, IOPL, ID, VIF/VIP and arithmetic flags, alone and mixed. */
export const RFLAGS_VALUES: readonly bigint[] = [
  0x202n, 0x302n, 0x10202n, 0x10302n, 0x4202n, 0x40202n, 0x602n, 0x2n, 0x246n, 0xad7n, 0x200202n, 0x3202n,
  0x180202n, 0x44ed7n, 0x4c7n, 0x40602n, 0x4302n,
];
/** Flags with no trap, resume or task semantics: the base of frames that pass every exit check. */
export const BENIGN_FLAGS: readonly bigint[] = [0x202n, 0x246n, 0x287n, 0xa93n, 0x2d7n, 0x40246n, 0x606n];
/** Bits a user can see (CF, PF, ZF, SF, DF, OF, AC): an R11 that differs in one of them. */
export const VISIBLE_BITS: readonly bigint[] = [0x1n, 0x4n, 0x40n, 0x80n, 0x400n, 0x800n, 0x40000n];

/** Selectors for a forged CS: 64-bit, 32-bit user code, data, kernel, NULL, LDT. */
export const CS_VALUES: readonly number[] = [0x23, 0x2b, 0x3, 0x13, 0x1b, 0x10, 0x7, 0xf, 0x3b];
/** Selectors for a forged SS. */
export const SS_VALUES: readonly number[] = [0x0, 0x3, 0x23, 0x33, 0x1b, 0x13, 0x7, 0x3b, 0x18];

/** A code address where execution can go on (64-bit code page, away from the handler). */
export const codeAddr = (r: Rng): bigint => USER_CODE + 0x100n + BigInt(r.int(0x900));
/** A 32-bit code address. */
export const compatCodeAddr = (r: Rng): bigint => COMPAT_CODE + 0x100n + BigInt(r.int(0x900));

/** A 64-bit stack pointer with room for a signal frame below (never in the data region). */
export function goodStack(r: Rng): bigint {
  return r.chance(0.6) ? r.pick([USER_STACK_TOP - 0x1000n, USER_STACK_TOP - 0x8000n, USER_STACK_TOP - 0x1003n])
    : USER_STACK_TOP - 0x18000n + BigInt(r.int(0x16000));
}

/** A 32-bit stack pointer in the compat stack, with room for a signal frame and the vDSO's pushes. */
export function compatStack(r: Rng): bigint {
  return r.chance(0.6) ? r.pick([COMPAT_STACK_TOP - 0x800n, COMPAT_STACK_TOP - 0x1000n, COMPAT_STACK_TOP - 0x2004n])
    : COMPAT_STACK_TOP - 0xc000n + BigInt(r.int(0xa000) & ~3);
}

/** In a code region, where the harness can place an instruction (a fetch there succeeds). */
export function inCode(rip: bigint): boolean {
  return (rip >= USER_CODE && rip < USER_CODE + 0x10000n) || (rip >= COMPAT_CODE && rip < COMPAT_CODE + 0x10000n);
}

/**
 * RSP in one of the stacks, with room below for a signal frame and above for a 32-bit one: where user code (and the model's
 * abstract memory) can write a signal frame for rt_sigreturn to read.
 */
export function onStack(rsp: bigint): boolean {
  const inside = (top: bigint): boolean => rsp >= top - 0x1f000n && rsp <= top - 0x200n;
  return inside(USER_STACK_TOP) || inside(COMPAT_STACK_TOP);
}

/** Any 64-bit value, mostly an edge. */
export function anyValue(r: Rng): bigint {
  return r.weighted<() => bigint>([
    [3, () => r.pick(EDGE_VALUES)], [1, () => r.pick(RFLAGS_VALUES)], [1, () => r.u64()],
    [1, () => BigInt(r.int(0x10000))], [1, () => codeAddr(r)],
  ])();
}

/** A 32-bit value for 32-bit code: small numbers, 32-bit edges, compat addresses. */
export function value32(r: Rng): bigint {
  return r.weighted<() => bigint>([
    [2, () => r.pick([0n, 1n, 0x7fff_ffffn, 0x8000_0000n, 0xffff_ffffn, 0xffff_f000n])], [1, () => BigInt(r.u32())],
    [1, () => compatCodeAddr(r)], [1, () => BigInt(r.int(0x10000))],
  ])();
}

/**
 * Where user.access touches the data region: its low 20 KiB. SYSENTER stacks lie higher
 * (sysenterStack), and a signal frame written below one holds bytes the model does not keep, so
 * a read there could see them on the machine only.
 */
const dataAddr = (r: Rng): bigint => USER_DATA + BigInt(r.int(0x5000));

/** An address user.access may touch: data, demand, or one that faults the same way on both sides. */
export function accessAddr(r: Rng): bigint {
  return r.weighted<() => bigint>([
    [2, () => dataAddr(r)], [2, () => USER_DEMAND + BigInt(r.int(0x10000))], [3, () => r.pick(FAULTING)],
  ])();
}

/** An address 32-bit code may touch (below 4 GiB). */
export function accessAddr32(r: Rng): bigint {
  return r.weighted<() => bigint>([
    [2, () => dataAddr(r)], [2, () => USER_DEMAND + BigInt(r.int(0x10000))],
    [2, () => r.pick([0n, 0x1000n, 0x50_0000n, 0xffff_f000n, 0x8000_0000n])],
  ])();
}

/**
 * RSP for a SYSENTER from 64-bit code. do_SYSENTER_32 takes RSP from RBP (here RSP, as the vDSO's
 * `movl %esp, %ebp` would) and reads arg 6 at its low half: 0 and two unmapped pages fault
 * (-EFAULT by IRET); the data region holds only what the trace stored, alike on both sides (the
 * stacks hold signal frames whose bytes the model does not keep): 40 to 56 KiB up, above where
 * user.access goes (dataAddr) with room for nested signal frames between, and away from the
 * watched 0x60f800; an upper half the read truncates and SYSRETL drops.
 */
export function sysenterStack(r: Rng): bigint {
  const data = USER_DATA + 0xa000n + BigInt(r.int(0x4000));
  return r.weighted<() => bigint>([
    [1, () => 0n], [1, () => r.pick([0xffff_f000n, 0x1000n])], [4, () => data],
    [1, () => r.pick([1n << 32n, 0x7fff_0000_0000n, CANON, 0xffff_8000_0000_0000n]) | data],
  ])();
}

