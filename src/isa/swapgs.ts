/**
 * SWAPGS (0F 01 F8). Source: reference/x86-semantics.md section 4.4 (SDM SWAPGS Operation).
 */
import { cpl, is64, type CpuState } from './cpu.ts';
import type { Memory } from './memory.ts';
import { fault, ok, retire, type ExecResult } from './result.ts';
import { copyCpu } from './copy.ts';

/** Exchanges GS.base and IA32_KERNEL_GS_BASE. #UD outside 64-bit mode, #GP(0) outside CPL 0. */
export function swapgs(cpu: CpuState, mem: Memory): ExecResult {
  if (!is64(cpu)) return fault(cpu, mem, { vector: 6 });
  if (cpl(cpu) !== 0) return fault(cpu, mem, { vector: 13, error: 0 });
  const next = copyCpu(cpu);
  next.gsBase = cpu.kernelGsBase;
  next.kernelGsBase = cpu.gsBase;
  return ok(retire(cpu, next), mem);
}
