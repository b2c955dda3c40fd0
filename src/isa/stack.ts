/**
 * User stack accesses (PUSHF, POP, the vDSO's POPL and RET): the faults a stack reference can
 * raise before paging, and the RFLAGS image PUSHF stores. Sources: SDM Vol. 3 6.15 "Interrupt
 * 12 - Stack Fault Exception (#SS)" (a non-canonical stack address in 64-bit mode is #SS(0), not
 * #GP); 6.15 "Interrupt 17 - Alignment Check Exception (#AC)" (at CPL 3 with CR0.AM and
 * RFLAGS.AC set, a misaligned reference raises #AC(0); Linux sets CR0.AM: CR0_STATE in
 * arch/x86/include/asm/processor-flags.h); SDM Vol. 2 PUSHF ("the VM and RF flags ... are not
 * copied; instead, the values for these flags are cleared in the image stored on the stack").
 */
import { isCanonical } from './canonical.ts';
import { cpl, is64, type CpuState } from './cpu.ts';
import { VEC } from './defaults.ts';
import type { Fault } from './result.ts';
import { AC, RF, VM } from './rflags.ts';
import { low32 } from './u64.ts';

/** The operand size of PUSHF/POP/RET: 8 bytes in 64-bit mode, 4 in compatibility mode. */
export const stackWidth = (cpu: CpuState): bigint => (is64(cpu) ? 8n : 4n);

/**
 * The fault a stack reference of `size` bytes at `addr` raises before the page walk, or null:
 * #SS(0) for a non-canonical address (64-bit mode), #AC(0) for a misaligned one at CPL 3 with AC.
 */
export function stackFault(cpu: CpuState, addr: bigint, size: bigint): Fault | null {
  if (is64(cpu) && !isCanonical(addr, cpu.paging)) return { vector: VEC.SS, error: 0 };
  if (cpl(cpu) === 3 && (cpu.rflags & AC) !== 0n && addr % size !== 0n) return { vector: VEC.AC, error: 0 };
  return null;
}

/** What PUSHF stores: RFLAGS with RF and VM cleared, 32 bits of it in compatibility mode. */
export function pushfImage(cpu: CpuState): bigint {
  const image = cpu.rflags & ~(RF | VM);
  return is64(cpu) ? image : low32(image);
}
