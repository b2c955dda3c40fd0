/**
 * SYSRET (0F 07, REX.W 0F 07). Source: reference/x86-semantics.md section 4.2 (SDM SYSRET
 * Operation and the newer footnote "RF and VM are always 0 after SYSRET") and section 6 (Intel
 * vs AMD: the RCX canonical check, the SS hidden attributes).
 */
import { isCanonical } from './canonical.ts';
import { cpl, type CpuState } from './cpu.ts';
import type { Memory } from './memory.ts';
import { fault, ok, retireOwned, type ExecResult } from './result.ts';
import { fixRflags, TF } from './rflags.ts';
import { flatCode, flatData } from './segments.ts';
import { low32 } from './u64.ts';
import { cpuAt } from './copy.ts';

/** Bits of R11 that SYSRET loads into RFLAGS: RF (16) and VM (17) forced to 0. */
export const SYSRET_RFLAGS_MASK = 0x3c_7fd7n;

/**
 * SYSRET to 64-bit mode (`rexW`, SYSRETQ) or to compatibility mode (SYSRETL).
 * - #GP(0) if CPL != 0. Intel also raises #GP(0) for a non-canonical RCX, at CPL 0, before any
 *   state change: on the RSP and GS base the kernel already made the user's (CVE-2012-0217).
 *   AMD does not check: the fault comes from the instruction fetch in user mode.
 * - RFLAGS <- (R11 & 0x3C7FD7) | 2.
 * - CS <- STAR[63:48] + 16 (REX.W) or STAR[63:48], RPL 3; SS <- STAR[63:48] + 8, RPL 3. Intel loads
 *   fixed flat SS attributes; AMD sets the selector only and keeps the old hidden attributes
 *   (X86_BUG_SYSRET_SS_ATTRS, process_64.c __switch_to comment).
 * - TF loaded from R11 traps at once, before the first user instruction (Linux do_syscall_64
 *   comment "restoring TF results in a trap from userspace immediately after SYSRET").
 */
export function sysret(cpu: CpuState, mem: Memory, rexW: boolean): ExecResult {
  if (cpl(cpu) !== 0) return fault(cpu, mem, { vector: 13, error: 0 });
  if (rexW && cpu.vendor === 'intel' && !isCanonical(cpu.regs.rcx, cpu.paging)) {
    return fault(cpu, mem, { vector: 13, error: 0 });
  }
  const base = Number((cpu.msr.star >> 48n) & 0xffffn);
  const csSel = ((rexW ? base + 16 : base) | 3) & 0xffff;
  const ssSel = ((base + 8) | 3) & 0xffff;
  const rflags = fixRflags(cpu.regs.r11 & SYSRET_RFLAGS_MASK);
  // SYSRETL leaves ESP alone as the RSP 32-bit code shows: the upper half reads 0 at the next
  // boundary, as after an IRET to compatibility mode (iret.ts iretRsp). Seen by co-simulation on
  // Intel (SYSENTER from 64-bit code, whose pt_regs->sp is RBP's 64 bits; docs/cosim.md).
  const next = rexW ? cpuAt(cpu, cpu.regs.rcx) : cpuAt(cpu, low32(cpu.regs.rcx), low32(cpu.regs.rsp));
  next.rflags = rflags;
  next.cs = flatCode(csSel, 3, rexW);
  next.ss = cpu.vendor === 'intel' ? flatData(ssSel, 3) : { ...cpu.ss, sel: ssSel };
  return ok(retireOwned(cpu, next, { trap: (rflags & TF) !== 0n }), mem);
}
