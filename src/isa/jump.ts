/**
 * Near JMP. Source: SDM Vol. 2 JMP, Operation ("IF OperandSize = 64 ... IF tempRIP is not
 * canonical THEN #GP(0)") and 64-bit mode exceptions: the #GP is raised by the JMP itself, RIP
 * still at the jump (co-simulation on AMD agrees: docs/cosim.md, gap jump-non-canonical). In
 * compatibility mode the target is an EIP (zero-extended), within the 4 GiB code segment.
 */
import { isCanonical } from './canonical.ts';
import { is64, type CpuState } from './cpu.ts';
import { VEC } from './defaults.ts';
import type { Memory } from './memory.ts';
import { fault, ok, retireOwned, type ExecResult } from './result.ts';
import { low32 } from './u64.ts';
import { cpuAt } from './copy.ts';

/** JMP to `target`: RIP <- target, or #GP(0) at the jump for a non-canonical 64-bit target. */
export function jmpNear(cpu: CpuState, mem: Memory, target: bigint): ExecResult {
  if (is64(cpu) && !isCanonical(target, cpu.paging)) return fault(cpu, mem, { vector: VEC.GP, error: 0 });
  return ok(retireOwned(cpu, cpuAt(cpu, is64(cpu) ? target : low32(target))), mem);
}
