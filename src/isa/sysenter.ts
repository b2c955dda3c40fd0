/**
 * SYSENTER (0F 34) and SYSEXIT (0F 35). Source: reference/x86-semantics.md section 4.3 (SDM
 * Operation; AMD #UD in long mode from Linux common.c; RF clearing from QEMU and Bochs).
 */
import { isCanonical } from './canonical.ts';
import { cpl, type CpuState } from './cpu.ts';
import type { Memory } from './memory.ts';
import { dropHeldStep, fault, ok, retireOwned, type ExecResult } from './result.ts';
import { IF, RF, VM } from './rflags.ts';
import { flatCode, flatData } from './segments.ts';
import { low32 } from './u64.ts';
import { cpuAt } from './copy.ts';

/** Length of SYSENTER and of SYSEXIT. */
export const SYSENTER_LEN = 2n;

/**
 * SYSENTER: Intel only in long mode (AMD #UD, "AMD doesn't allow SYSENTER in long mode").
 * Clears IF and VM (and RF: QEMU, Bochs; the SDM text read does not say) but NOT TF, so with TF
 * set the single-step #DB is taken at CPL 0 on the first kernel instruction. Saves nothing: no
 * return RIP, no user RSP, no flags.
 */
export function sysenter(cpu0: CpuState, mem: Memory): ExecResult {
  const cpu = dropHeldStep(cpu0);
  if (cpu.vendor === 'amd') return fault(cpu, mem, { vector: 6 });
  const cs = Number(cpu.msr.sysenterCs & 0xfffcn);
  if (cs === 0) return fault(cpu, mem, { vector: 13, error: 0 });
  const next = cpuAt(cpu, cpu.msr.sysenterEip, cpu.msr.sysenterEsp);
  next.rflags = cpu.rflags & ~(IF | VM | RF);
  next.cs = flatCode(cs, 0, true);
  next.ss = flatData(cs + 8, 0);
  return ok(retireOwned(cpu, next), mem);
}

/**
 * SYSEXIT (to compat mode, or REX.W to 64-bit mode): #GP(0) unless CPL 0 and SYSENTER_CS is
 * set; REX.W form #GP(0)s on a non-canonical RCX or RDX. RSP <- RCX, RIP <- RDX; CS/SS fixed
 * from SYSENTER_CS + 16/24 (or + 32/40). Flags are not affected. AMD: #UD in long mode.
 */
export function sysexit(cpu: CpuState, mem: Memory, rexW: boolean): ExecResult {
  if (cpu.vendor === 'amd') return fault(cpu, mem, { vector: 6 });
  const base = Number(cpu.msr.sysenterCs & 0xfffcn);
  if (base === 0 || cpl(cpu) !== 0) return fault(cpu, mem, { vector: 13, error: 0 });
  const { rcx, rdx } = cpu.regs;
  if (rexW && (!isCanonical(rcx, cpu.paging) || !isCanonical(rdx, cpu.paging))) {
    return fault(cpu, mem, { vector: 13, error: 0 });
  }
  const csSel = (base + (rexW ? 32 : 16)) | 3;
  const next = cpuAt(cpu, rexW ? rdx : low32(rdx), rexW ? rcx : low32(rcx));
  next.cs = flatCode(csSel, 3, rexW);
  next.ss = flatData((base + (rexW ? 40 : 24)) | 3, 3);
  return ok(retireOwned(cpu, next), mem);
}
