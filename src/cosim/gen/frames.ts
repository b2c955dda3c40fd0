/**
 * Register frames aimed at the exit checks: each passes every SYSRET (or SYSRETL) condition but
 * at most one, and that one is broken at its boundary (RCX one off RIP, R11 one visible bit off
 * RFLAGS, RIP at the canonical or TASK_SIZE_MAX edge, RF or TF alone, CS or SS one selector
 * off). Conditions: linux-entry-history 1.2 (C1-C7) and 2.4; do_syscall_64 and
 * do_fast_syscall_32 in arch/x86/entry/common.c (v6.7).
 */
import type { SigFrame } from '../../model/index.ts';
import type { Rng } from './rng.ts';
import {
  BENIGN_FLAGS, codeAddr, compatCodeAddr, compatStack, CS_VALUES, EDGE_RIPS, RFLAGS_VALUES, SS_VALUES, VISIBLE_BITS,
} from './values.ts';

const RF = 0x1_0000n;
const TF = 0x100n;

/** The 64-bit SYSRET conditions a frame can break (or none). */
export const SYSRET_CONDITIONS = ['none', 'rcx', 'r11', 'rip', 'rf', 'tf', 'cs', 'ss'] as const;
/** One of {@link SYSRET_CONDITIONS}. */
export type SysretCondition = (typeof SYSRET_CONDITIONS)[number];

type Frame = Record<string, bigint | number>;

/** A frame for a 64-bit return that breaks exactly `broken` (rt_sigreturn, or PTRACE_SETREGS at an exit stop). */
export function sysretFrame(r: Rng, broken: SysretCondition): SigFrame {
  const rip = codeAddr(r);
  const flags = r.pick(BENIGN_FLAGS);
  const f: Frame = { rip, rcx: rip, rflags: flags, r11: flags, cs: 0x33, ss: 0x2b };
  switch (broken) {
    case 'rcx': f.rcx = rip + r.pick([1n, -1n, 2n, -2n, 0x1000n]); break;
    case 'r11': f.r11 = flags ^ r.pick(VISIBLE_BITS); break;
    case 'rip': f.rip = r.pick(EDGE_RIPS); f.rcx = f.rip; break;
    case 'rf': f.rflags = flags | RF; f.r11 = f.rflags; break;
    case 'tf': f.rflags = flags | TF; f.r11 = f.rflags; break;
    case 'cs':
      f.cs = r.pick(CS_VALUES);
      // 32-bit code runs on a 32-bit stack (IRET to compat mode drops RSP's upper half: pending).
      if (f.cs === 0x23) f.rsp = compatStack(r);
      break;
    case 'ss': f.ss = r.pick(SS_VALUES); break;
    case 'none': break;
  }
  return f as SigFrame;
}

/** A frame with a few arbitrary fields (the old, broad generator: hostile values anywhere). */
export function wildFrame(r: Rng, rip: bigint, rsp: () => bigint): SigFrame {
  const f: Frame = {};
  if (r.chance(0.7)) f.rip = rip;
  if (r.chance(0.3)) f.rsp = rsp();
  if (r.chance(0.5)) f.rflags = r.pick(RFLAGS_VALUES);
  if (r.chance(0.3)) f.cs = r.pick([0x33, ...CS_VALUES]);
  if (f.cs === 0x23) f.rsp = compatStack(r);
  if (r.chance(0.3)) f.ss = r.pick([0x2b, ...SS_VALUES]);
  if (r.chance(0.5)) f.r11 = r.pick(RFLAGS_VALUES);
  if (r.chance(0.5) && f.rip !== undefined) f.rcx = f.rip;
  if (r.chance(0.5) && f.rflags !== undefined) f.r11 = f.rflags;
  return f as SigFrame;
}

/**
 * A frame that enters 32-bit code (CS = __USER32_CS) on the compat stack, with 32-bit values in
 * the registers the vDSO saves and restores (its pops are 32-bit: pending on the model).
 */
export function compatEntryFrame(r: Rng): SigFrame {
  const rip = compatCodeAddr(r);
  const small = (): bigint => BigInt(r.int(0x1_0000));
  return { rip, rsp: compatStack(r), cs: 0x23, ss: 0x2b, rflags: r.pick(BENIGN_FLAGS), rcx: r.chance(0.5) ? rip : small(), rdx: small(), rbp: small() };
}

/** The compat (SYSRETL) conditions a PTRACE_SETREGS at a 32-bit fast system call's exit stop can break. */
export const COMPAT_CONDITIONS = ['none', 'cs', 'ss', 'ip'] as const;
/** One of {@link COMPAT_CONDITIONS}. */
export type CompatCondition = (typeof COMPAT_CONDITIONS)[number];

/**
 * Registers for a 32-bit fast system call's exit stop that break one compat condition. RF and
 * TF are left alone: a return with either is not observable at the landing pad (docs/cosim.md).
 */
export function compatRegs(r: Rng, broken: CompatCondition): SigFrame {
  switch (broken) {
    case 'cs': return { cs: r.pick([0x33, 0x2b, 0x1b, 0x3b]) };
    case 'ss': return { ss: r.pick([0x0, 0x3, 0x23, 0x1b, 0x13]) };
    case 'ip': return { rip: compatCodeAddr(r) };
    case 'none': return { rflags: r.pick(BENIGN_FLAGS) };
  }
}

/** -ERESTART* values a tracer may leave in RAX at an exit stop (include/linux/errno.h). */
export const ERESTART: readonly bigint[] = [-512n, -513n, -514n, -516n].map((v) => BigInt.asUintN(64, v));
/** -ERESTART_RESTARTBLOCK. */
export const ERESTART_BLOCK = BigInt.asUintN(64, -516n);
