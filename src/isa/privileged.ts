/**
 * Instructions that depend on IOPL. Source: SDM Vol. 2 CLI ("IF CPL <= IOPL THEN IF <- 0 ELSE
 * #GP(0)" in protected mode without PVI/VME, which a 64-bit process never has); Linux gives user
 * code IOPL 0 (iopl(3) is emulated since 5.5 and no model writer can set IOPL: POPF at CPL 3 keeps
 * it, sigreturn's FIX_EFLAGS and ptrace's FLAG_MASK exclude it).
 */
import { cpl, type CpuState } from './cpu.ts';
import { VEC } from './defaults.ts';
import type { Memory } from './memory.ts';
import { fault, ok, retireOwned, type ExecResult } from './result.ts';
import { IF, iopl } from './rflags.ts';
import { copyCpu } from './copy.ts';

/** Length of CLI (FA). */
export const CLI_LEN = 1n;

/** CLI: #GP(0) when CPL > IOPL; otherwise IF <- 0. RIP is advanced by the caller. */
export function cliInsn(cpu: CpuState, mem: Memory): ExecResult {
  if (cpl(cpu) > iopl(cpu.rflags)) return fault(cpu, mem, { vector: VEC.GP, error: 0 });
  const next = copyCpu(cpu);
  next.rflags = cpu.rflags & ~IF;
  return ok(retireOwned(cpu, next), mem);
}
