/**
 * WRGSBASE (F3 REX.W 0F AE /3). Source: SDM Vol. 2 WRFSBASE/WRGSBASE Operation: #UD unless in
 * 64-bit mode with CR4.FSGSBASE = 1; #GP(0) if the value is not canonical; otherwise GS.base is
 * written directly, at any CPL, so user code can choose any canonical GS base, kernel-half
 * values included (linux-entry-history B25).
 */
import { isCanonical } from './canonical.ts';
import { is64, type CpuState } from './cpu.ts';
import type { Memory } from './memory.ts';
import { fault, ok, retireOwned, type ExecResult } from './result.ts';
import { assertU64 } from './u64.ts';
import { copyCpu } from './copy.ts';

/** WRGSBASE of `value`; RIP is advanced by the caller. */
export function wrgsbase(cpu: CpuState, mem: Memory, value: bigint): ExecResult {
  assertU64(value, 'wrgsbase value');
  if (!is64(cpu) || !cpu.fsgsbase) return fault(cpu, mem, { vector: 6 });
  if (!isCanonical(value, cpu.paging)) return fault(cpu, mem, { vector: 13, error: 0 });
  const next = copyCpu(cpu);
  next.gsBase = value;
  return ok(retireOwned(cpu, next), mem);
}
