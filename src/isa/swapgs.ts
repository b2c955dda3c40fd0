/**
 * SWAPGS (0F 01 F8). Source: reference/x86-semantics.md section 4.4 (SDM SWAPGS Operation).
 */
import { cpl, is64, type CpuState } from './cpu.ts';
import type { Memory } from './memory.ts';
import { fault, ok, retireOwned, type ExecResult } from './result.ts';
import { copyCpu, type Fresh } from './copy.ts';

/** Exchanges GS.base and IA32_KERNEL_GS_BASE. #UD outside 64-bit mode, #GP(0) outside CPL 0. */
export function swapgs(cpu: CpuState, mem: Memory): ExecResult {
  if (!is64(cpu)) return fault(cpu, mem, { vector: 6 });
  if (cpl(cpu) !== 0) return fault(cpu, mem, { vector: 13, error: 0 });
  const next = copyCpu(cpu);
  next.gsBase = cpu.kernelGsBase;
  next.kernelGsBase = cpu.gsBase;
  return ok(retireOwned(cpu, next), mem);
}

/**
 * SWAPGS on a CPU its caller owns (a working machine's), written in place rather than into a
 * copy: only where it cannot fault (64-bit mode, CPL 0), which the caller has checked.
 */
export function swapgsOwned(c: Fresh<CpuState>): void {
  const gs = c.gsBase;
  c.gsBase = c.kernelGsBase;
  c.kernelGsBase = gs;
  retireOwned(c, c);
}
