/**
 * POPFQ. Source: reference/x86-semantics.md section 1.2 (SDM POPF Operation, 64-bit mode).
 */
import { cpl, type CpuState } from './cpu.ts';
import type { Memory } from './memory.ts';
import { ok, retireOwned, type ExecResult } from './result.ts';
import { assertU64 } from './u64.ts';
import { fixRflags, IF, iopl, IOPL, RF, VIF, VIP, VM } from './rflags.ts';
import { copyCpu } from './copy.ts';

/**
 * POPFQ of `value` (the stack itself is not modelled: RSP is left as it was, as after
 * `push imm; popfq`). Which bits it may change:
 * - CPL 0: all but RF, VM, VIP, VIF;
 * - CPL > 0 and CPL <= IOPL: all but IOPL, RF, VM; VIP/VIF cleared;
 * - CPL > IOPL: also IF unchanged. No fault for the ignored bits.
 * TF set by POPF traps only after the following instruction (retire's rule).
 */
export function popf(cpu: CpuState, mem: Memory, value: bigint): ExecResult {
  assertU64(value, 'popf value');
  const level = cpl(cpu);
  let keep = RF | VM | (level === 0 ? VIP | VIF : IOPL);
  if (level > 0 && level > iopl(cpu.rflags)) keep |= IF;
  let rflags = (cpu.rflags & keep) | (value & ~keep);
  if (level > 0) rflags &= ~(VIP | VIF);
  const next = copyCpu(cpu);
  next.rflags = fixRflags(rflags);
  return ok(retireOwned(cpu, next), mem);
}
