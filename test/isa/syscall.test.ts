/**
 * SYSCALL (0F 05) in 64-bit and compatibility mode, and SWAPGS. Source:
 * reference/x86-semantics.md sections 4.1 (SDM SYSCALL Operation; RF from AMD/QEMU/Bochs/Linux),
 * 3.3 (STAR), 3.4 (FMASK), 4.4 (SWAPGS), 6 (compat SYSCALL: AMD only).
 */
import { describe, expect, it } from 'vitest';
import {
  boundaryEvent, cpl, DEFAULT_CSTAR, DEFAULT_LSTAR, EMPTY_MEMORY, flatCode, flatData, KERNEL_CS,
  KERNEL_DS, LINUX_FMASK, LINUX_FMASK_V38, rf, swapgs, syscall, USER32_CS,
} from '../../src/isa/index.ts';
import { kernelCpu, USER_GS, USER_RIP, USER_RSP, userCpu, VENDORS } from './helpers.ts';

const USER_FLAGS = rf.FIXED | rf.IF | rf.TF | rf.RF | rf.AC | rf.DF | rf.CF | rf.ZF | rf.NT | rf.VIF | rf.ID;

describe('SYSCALL from 64-bit mode', () => {
  for (const vendor of VENDORS) {
    // Ref 4.1: RCX <- next RIP (SYSCALL is 2 bytes); RIP <- IA32_LSTAR.
    it(`${vendor}: RCX = the next instruction, RIP = LSTAR`, () => {
      const r = syscall(userCpu(vendor), EMPTY_MEMORY);
      expect(r.fault).toBeNull();
      expect(r.cpu.regs.rcx).toBe(USER_RIP + 2n);
      expect(r.cpu.regs.rip).toBe(DEFAULT_LSTAR);
    });

    // Ref 4.1: R11 <- RFLAGS with RF cleared (AMD; QEMU, Bochs and Linux agree).
    it(`${vendor}: R11 = user RFLAGS with RF cleared`, () => {
      const r = syscall(userCpu(vendor, 4, { rflags: USER_FLAGS }), EMPTY_MEMORY);
      expect(r.cpu.regs.r11).toBe(USER_FLAGS & ~rf.RF);
    });

    // Ref 4.1 / 3.4: RFLAGS <- RFLAGS & ~FMASK, and RF <- 0; bits outside FMASK (VIF) survive.
    it(`${vendor}: RFLAGS &= ~FMASK (0x257FD5) and RF is cleared`, () => {
      const r = syscall(userCpu(vendor, 4, { rflags: USER_FLAGS }), EMPTY_MEMORY);
      expect(r.cpu.rflags).toBe(rf.FIXED | rf.VIF);
      const old = userCpu(vendor, 4, { rflags: USER_FLAGS });
      const r2 = syscall({ ...old, msr: { ...old.msr, fmask: LINUX_FMASK_V38 } }, EMPTY_MEMORY);
      expect(r2.cpu.rflags).toBe(USER_FLAGS & ~LINUX_FMASK_V38 & ~rf.RF);
      expect(LINUX_FMASK).toBe(0x257fd5n);
    });

    // Ref 4.1 / 3.3: CS = STAR[47:32] & 0xFFFC, SS = +8, both with fixed flat DPL-0 attributes.
    it(`${vendor}: CS = 0x10 (64-bit, DPL 0) and SS = 0x18 (flat data, DPL 0) from STAR`, () => {
      const r = syscall(userCpu(vendor), EMPTY_MEMORY);
      expect(r.cpu.cs).toEqual(flatCode(KERNEL_CS, 0, true));
      expect(r.cpu.ss).toEqual(flatData(KERNEL_DS, 0));
      expect(cpl(r.cpu)).toBe(0);
    });

    // Ref 4.1: no stack switch and no GS swap: the kernel starts on the user RSP with user GS.
    it(`${vendor}: RSP, GS.base and KERNEL_GS_BASE are not switched`, () => {
      const user = userCpu(vendor);
      const r = syscall(user, EMPTY_MEMORY);
      expect(r.cpu.regs.rsp).toBe(USER_RSP);
      expect(r.cpu.gsBase).toBe(USER_GS);
      expect(r.cpu.kernelGsBase).toBe(user.kernelGsBase);
      expect(r.mem).toBe(EMPTY_MEMORY);
    });

    // Ref 5.3 / 4.1: TF masked by FMASK means no single-step trap into the kernel; with TF not
    // in FMASK the trap is taken at CPL 0 on the first kernel instruction.
    it(`${vendor}: TF in FMASK gives no trap; TF not in FMASK traps at CPL 0`, () => {
      const user = userCpu(vendor, 4, { rflags: rf.FIXED | rf.IF | rf.TF });
      expect(boundaryEvent(syscall(user, EMPTY_MEMORY).cpu, false, false)).toBeNull();
      const r = syscall({ ...user, msr: { ...user.msr, fmask: rf.IF } }, EMPTY_MEMORY);
      expect(boundaryEvent(r.cpu, false, false)).toBe('db');
      expect(cpl(r.cpu)).toBe(0);
    });
  }
});

describe('SYSCALL from compatibility mode', () => {
  const compat = (vendor: 'intel' | 'amd') =>
    ({ ...userCpu(vendor, 4, { regs: { rip: 0x0804_8000n, rsp: 0xffff_d000n } }), cs: flatCode(USER32_CS, 3, false) });

  // Ref 6 (QEMU helper_syscall, Linux wrmsrl_cstar): AMD supports compat SYSCALL, target CSTAR.
  it('AMD: enters the kernel at CSTAR in 64-bit mode with RCX = next RIP', () => {
    const r = syscall(compat('amd'), EMPTY_MEMORY);
    expect(r.fault).toBeNull();
    expect(r.cpu.regs.rip).toBe(DEFAULT_CSTAR);
    expect(r.cpu.regs.rcx).toBe(0x0804_8002n);
    expect(r.cpu.cs).toEqual(flatCode(KERNEL_CS, 0, true));
  });

  // Ref 6 (SDM opcode table "Compat/Leg Mode: Invalid"): Intel raises #UD, nothing changes.
  it('Intel: #UD with no state change', () => {
    const user = compat('intel');
    const r = syscall(user, EMPTY_MEMORY);
    expect(r.fault).toEqual({ vector: 6 });
    expect(r.cpu).toEqual(user);
  });
});

describe('SWAPGS', () => {
  // Ref 4.4: #GP(0) if CPL != 0; nothing is swapped.
  it('raises #GP(0) at CPL 3 and swaps nothing', () => {
    const user = userCpu();
    const r = swapgs(user, EMPTY_MEMORY);
    expect(r.fault).toEqual({ vector: 13, error: 0 });
    expect(r.cpu.gsBase).toBe(USER_GS);
    expect(r.cpu.kernelGsBase).toBe(user.kernelGsBase);
  });

  // Ref 4.4: tmp <- GS.base; GS.base <- KERNEL_GS_BASE; KERNEL_GS_BASE <- tmp.
  it('exchanges GS.base and IA32_KERNEL_GS_BASE at CPL 0', () => {
    const k = kernelCpu('intel', 4, { gsBase: 0x1111n, kernelGsBase: 0x2222n });
    const r = swapgs(k, EMPTY_MEMORY);
    expect(r.fault).toBeNull();
    expect(r.cpu.gsBase).toBe(0x2222n);
    expect(r.cpu.kernelGsBase).toBe(0x1111n);
  });
});
