/**
 * Shared fixtures for the ISA tests: CPUs in user and kernel mode on a Linux-programmed machine,
 * a one-byte "next instruction", STI, and frame readers. No assertions live here.
 */
import {
  EMPTY_MEMORY, flatCode, flatData, KERNEL_CS, KERNEL_DS, makeCpu, readQ, retire, rf, writeQs,
  type CpuInit, type CpuState, type Memory, type Paging, type Vendor,
} from '../../src/isa/index.ts';

export const VENDORS: readonly Vendor[] = ['intel', 'amd'];
export const PAGINGS: readonly Paging[] = [4, 5];

/** A user-mode text address and stack. */
export const USER_RIP = 0x40_1000n;
export const USER_RSP = 0x7ffc_0000_1238n;
export const USER_GS = 0x7f00_dead_0000n;
/** Where the kernel's exit instruction (SYSRET, IRETQ, SWAPGS...) sits. */
export const KERNEL_RIP = 0xffff_ffff_8100_8000n;
/** A kernel stack pointer (16-byte aligned). */
export const KERNEL_RSP = 0xffff_c900_0000_3f00n;

/** A 64-bit user-mode CPU (CS 0x33, SS 0x2b, IF=1) with the user's RIP, RSP and GS base. */
export function userCpu(vendor: Vendor = 'intel', paging: Paging = 4, init: Partial<CpuInit> = {}): CpuState {
  return makeCpu({
    vendor, paging, gsBase: USER_GS, ...init,
    regs: { rip: USER_RIP, rsp: USER_RSP, ...init.regs },
  });
}

/**
 * A CPU at CPL 0 (CS 0x10) as the kernel runs after SYSCALL: SS = __KERNEL_DS with fixed
 * attributes, IF = 0, kernel GS base in GS.base. `over` replaces any field.
 */
export function kernelCpu(vendor: Vendor = 'intel', paging: Paging = 4, over: Partial<CpuState> = {}): CpuState {
  const base = makeCpu({ vendor, paging, regs: { rip: KERNEL_RIP, rsp: KERNEL_RSP } });
  return {
    ...base,
    rflags: rf.FIXED,
    cs: flatCode(KERNEL_CS, 0, true),
    ss: flatData(KERNEL_DS, 0),
    gsBase: base.kernelGsBase,
    kernelGsBase: USER_GS,
    ...over,
  };
}

/** Executes an instruction that only advances RIP by one byte (a NOP), with retire's bookkeeping. */
export function nop(cpu: CpuState): CpuState {
  return retire(cpu, { ...cpu, regs: { ...cpu.regs, rip: cpu.regs.rip + 1n } });
}

/** STI: sets IF at once and opens the STI shadow (reference 5.4). */
export function sti(cpu: CpuState): CpuState {
  return retire(cpu, { ...cpu, rflags: cpu.rflags | rf.IF, regs: { ...cpu.regs, rip: cpu.regs.rip + 1n } }, { opensShadow: 'sti' });
}

/** The qwords of an interrupt frame at `rsp`, named (error code first when present). */
export function frameAt(mem: Memory, rsp: bigint, hasError: boolean) {
  const at = hasError ? rsp + 8n : rsp;
  return {
    error: hasError ? readQ(mem, rsp) : undefined,
    rip: readQ(mem, at), cs: readQ(mem, at + 8n), rflags: readQ(mem, at + 16n),
    rsp: readQ(mem, at + 24n), ss: readQ(mem, at + 32n),
  };
}

/** Memory holding an IRETQ frame (RIP, CS, RFLAGS, RSP, SS) at `at`. */
export function iretFrame(at: bigint, f: { rip: bigint; cs: number; rflags: bigint; rsp: bigint; ss: number }): Memory {
  return writeQs(EMPTY_MEMORY, at, [f.rip, BigInt(f.cs), f.rflags, f.rsp, BigInt(f.ss)]);
}
