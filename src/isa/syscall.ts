/**
 * SYSCALL (0F 05). Source: reference/x86-semantics.md section 4.1 (SDM SYSCALL Operation; RF
 * handling from AMD/QEMU/Bochs/Linux) and section 6 (compat-mode SYSCALL is AMD only).
 */
import { is64, type CpuState } from './cpu.ts';
import type { Memory } from './memory.ts';
import { dropHeldStep, fault, ok, retireOwned, type ExecResult } from './result.ts';
import { fixRflags, RF, TF } from './rflags.ts';
import { flatCode, flatData } from './segments.ts';
import { wrap64 } from './u64.ts';
import { copyRegs, cpuAt } from './copy.ts';

/** Length of the SYSCALL instruction. */
export const SYSCALL_LEN = 2n;

/**
 * SYSCALL from 64-bit or (AMD only; Intel #UD) compatibility mode. RCX <- next RIP, R11 <- RFLAGS
 * with RF cleared, RFLAGS &= ~FMASK (and RF), CS/SS fixed from STAR[47:32], RIP <- LSTAR (CSTAR
 * from compat mode). RSP and GS are NOT switched: the kernel's first instructions run on the
 * user stack with the user GS base.
 *
 * Single-step: TF masked by FMASK gives no trap (which is why Linux reports the step itself at
 * syscall exit, TIF_SINGLESTEP, reference B23); with TF not in FMASK the trap is taken at CPL 0.
 */
export function syscall(cpu0: CpuState, mem: Memory): ExecResult {
  const cpu = dropHeldStep(cpu0);
  if (!is64(cpu) && cpu.vendor === 'intel') return fault(cpu, mem, { vector: 6 });
  const sel = Number((cpu.msr.star >> 32n) & 0xffffn);
  const newFlags = fixRflags(cpu.rflags & ~cpu.msr.fmask & ~RF);
  const next = cpuAt(cpu, is64(cpu) ? cpu.msr.lstar : cpu.msr.cstar);
  const regs = next.regs as ReturnType<typeof copyRegs>;
  regs.rcx = wrap64(cpu.regs.rip + SYSCALL_LEN);
  regs.r11 = cpu.rflags & ~RF;
  next.rflags = newFlags;
  next.cs = flatCode(sel & 0xfffc, 0, true);
  next.ss = flatData((sel + 8) & 0xfffc, 0);
  const trap = (cpu.rflags & TF) !== 0n && (newFlags & TF) !== 0n;
  return ok(retireOwned(cpu, next, { trap }), mem);
}
