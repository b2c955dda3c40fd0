/**
 * Supervisor-mode access prevention. Source: SDM Vol. 3 4.6.1 "Determination of Access Rights":
 * with CR4.SMAP = 1, a supervisor-mode data access (explicit, at CPL < 3) to a user-mode address
 * is denied when RFLAGS.AC = 0 (implicit supervisor accesses, such as pushes during event
 * delivery, are denied whatever AC says); a denied access is a page fault with P = 1. Linux
 * brackets every deliberate user access with STAC/CLAC (arch/x86/include/asm/smap.h) and clears
 * AC on every kernel entry (ASM_CLAC; SYSCALL's FMASK has AC).
 */
import { cpl, type CpuState } from './cpu.ts';
import { VEC } from './defaults.ts';
import type { Fault } from './result.ts';
import { AC } from './rflags.ts';

/**
 * The fault SMAP raises for an explicit supervisor data access to user address `addr` (the user
 * half: bit 63 clear), or null. `write`: a store (error code W).
 */
export function smapFault(cpu: CpuState, addr: bigint, write: boolean): Fault | null {
  if (!cpu.smap || cpl(cpu) === 3 || addr >> 63n !== 0n || (cpu.rflags & AC) !== 0n) return null;
  return { vector: VEC.PF, error: 1 | (write ? 2 : 0), cr2: addr };
}
