/**
 * Instruction breakpoints (a DRn with R/Wn = 00). Sources: SDM Vol. 3 17.3.1.1
 * "Instruction-Breakpoint Exception Condition" (the #DB is a fault, taken before the instruction
 * executes, and not generated while RFLAGS.RF = 1; RF is cleared once an instruction completes);
 * reference/x86-semantics.md 5.3 (the pushed image keeps the current RF, 0 here; QEMU: #DB "never
 * sets RF=1 in the RFLAGS value pushed"); 5.4 / selftests/x86/mov_ss_trap.c @ b4f27969 ("MOV SS;
 * breakpointed NOP: only one #DB is delivered": inside a MOV SS shadow the breakpoint is held
 * back with the other debug exceptions, and the watchpoint #DB after the NOP is the only one).
 */
import type { CpuState } from './cpu.ts';
import { VEC } from './defaults.ts';
import type { Delivery } from './deliver.ts';
import { RF } from './rflags.ts';

/**
 * True when a data access of `size` bytes at `addr` hits the read/write watchpoint (a one-byte
 * DRn with R/Wn = 11): a trap-class #DB after the instruction (SDM Vol. 3 17.3.1.2 "Data
 * Memory and I/O Breakpoint Exception Conditions").
 */
export function watchpointHit(cpu: CpuState, addr: bigint, size: bigint): boolean {
  return cpu.watch !== null && cpu.watch >= addr && cpu.watch < addr + size;
}

/** True when an instruction breakpoint fires before the instruction at `rip` executes. */
export function breakpointHit(cpu: CpuState, rip: bigint): boolean {
  return cpu.breakAt === rip && (cpu.rflags & RF) === 0n && cpu.shadow !== 'movss';
}

/**
 * The #DB of an instruction breakpoint at `rip`: fault-like (RIP at the instruction) but delivered
 * with the current RF (0) in the image, so no error code and no RF: the `trap` kind does that.
 */
export function breakpointDelivery(rip: bigint): Delivery {
  return { vector: VEC.DB, kind: 'trap', rip };
}
