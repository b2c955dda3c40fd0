/**
 * SYSENTER (0F 34) and SYSEXIT (0F 35) in long mode. Source: reference/x86-semantics.md section
 * 4.3 (SDM Operation; "SYSENTER with TF set immediately issues #DB from CPL 0",
 * single_step_syscall.c; "AMD doesn't allow SYSENTER in long mode", Linux common.c) and 6.
 */
import { describe, expect, it } from 'vitest';
import {
  boundaryEvent, cpl, DEFAULT_SYSENTER_EIP, EMPTY_MEMORY, flatCode, flatData, KERNEL_CS, KERNEL_DS,
  LINUX_MSRS, rf, sysenter, sysexit,
} from '../../src/isa/index.ts';
import { kernelCpu, USER_RSP, userCpu } from './helpers.ts';

const FLAGS = rf.FIXED | rf.IF | rf.VM | rf.TF | rf.AC | rf.CF;

describe('SYSENTER', () => {
  // Ref 4.3 / 6: AMD raises #UD for SYSENTER in long mode (64-bit and compat).
  it('AMD: #UD in long mode, no state change', () => {
    const user = userCpu('amd');
    const r = sysenter(user, EMPTY_MEMORY);
    expect(r.fault).toEqual({ vector: 6 });
    expect(r.cpu).toEqual(user);
  });

  // Ref 4.3: RSP <- SYSENTER_ESP, RIP <- SYSENTER_EIP; CS = SYSENTER_CS & 0xFFFC, SS = CS + 8.
  it('Intel: enters at SYSENTER_EIP on SYSENTER_ESP with CS 0x10 and SS 0x18 at CPL 0', () => {
    const r = sysenter(userCpu('intel'), EMPTY_MEMORY);
    expect(r.fault).toBeNull();
    expect(r.cpu.regs.rip).toBe(DEFAULT_SYSENTER_EIP);
    expect(r.cpu.regs.rsp).toBe(LINUX_MSRS.sysenterEsp);
    expect(r.cpu.cs).toEqual(flatCode(KERNEL_CS, 0, true));
    expect(r.cpu.ss).toEqual(flatData(KERNEL_DS, 0));
    expect(cpl(r.cpu)).toBe(0);
  });

  // Ref 4.3: RFLAGS.VM <- 0, RFLAGS.IF <- 0; TF is NOT cleared.
  it('Intel: clears IF and VM but not TF', () => {
    const r = sysenter(userCpu('intel', 4, { rflags: FLAGS }), EMPTY_MEMORY);
    expect(r.cpu.rflags & (rf.IF | rf.VM)).toBe(0n);
    expect(r.cpu.rflags & rf.TF).toBe(rf.TF);
    expect(r.cpu.rflags & (rf.AC | rf.CF)).toBe(rf.AC | rf.CF);
  });

  // Ref 4.3: "Saves nothing: no return RIP, no user RSP, no flags."
  it('Intel: saves nothing (RCX, R11, RDX untouched; memory untouched)', () => {
    const user = userCpu('intel', 4, { regs: { rcx: 0x1234n, r11: 0x5678n, rdx: 0x9abcn } });
    const r = sysenter(user, EMPTY_MEMORY);
    expect([r.cpu.regs.rcx, r.cpu.regs.r11, r.cpu.regs.rdx]).toEqual([0x1234n, 0x5678n, 0x9abcn]);
    expect(r.mem).toBe(EMPTY_MEMORY);
  });

  // Ref 4.3 (single_step_syscall.c; seL4 traps.S): with TF set, #DB at CPL 0 on the first
  // SYSENTER-handler instruction.
  it('Intel: with TF set the single-step #DB is pending at CPL 0 on the first kernel instruction', () => {
    const r = sysenter(userCpu('intel', 4, { rflags: rf.FIXED | rf.IF | rf.TF }), EMPTY_MEMORY);
    expect(boundaryEvent(r.cpu, false, false)).toBe('db');
    expect(cpl(r.cpu)).toBe(0);
    expect(r.cpu.regs.rip).toBe(DEFAULT_SYSENTER_EIP);
  });

  // Ref 4.3: #GP(0) if SYSENTER_CS[15:2] = 0 (Linux without IA32 emulation).
  it('Intel: #GP(0) when SYSENTER_CS is NULL', () => {
    const user = userCpu('intel');
    const r = sysenter({ ...user, msr: { ...user.msr, sysenterCs: 3n } }, EMPTY_MEMORY);
    expect(r.fault).toEqual({ vector: 13, error: 0 });
  });
});

describe('SYSEXIT', () => {
  const k = (rcx: bigint, rdx: bigint) => {
    const c = kernelCpu('intel', 4, { rflags: rf.FIXED | rf.IF | rf.AC });
    return { ...c, regs: { ...c.regs, rcx, rdx } };
  };

  // Ref 3.3 / 4.3: 32-bit form: RSP <- ECX, RIP <- EDX, CS = SYSENTER_CS+16 | 3, SS = +24 | 3.
  it('32-bit form: RSP = ECX, RIP = EDX, CS 0x23 (32-bit), SS 0x2b, flags unchanged', () => {
    const r = sysexit(k(0xffff_ffff_ffff_d000n, 0x1_f7fd_0000n), EMPTY_MEMORY, false);
    expect(r.fault).toBeNull();
    expect(r.cpu.regs.rsp).toBe(0xffff_d000n);
    expect(r.cpu.regs.rip).toBe(0xf7fd_0000n);
    expect(r.cpu.cs).toEqual(flatCode(0x23, 3, false));
    expect(r.cpu.ss).toEqual(flatData(0x2b, 3));
    expect(r.cpu.rflags).toBe(rf.FIXED | rf.IF | rf.AC);
    expect(cpl(r.cpu)).toBe(3);
  });

  // Ref 3.3 / 4.3: REX.W form: RSP <- RCX, RIP <- RDX, CS = +32 | 3 = 0x33, SS = +40 | 3 = 0x3b.
  it('REX.W form: RSP = RCX, RIP = RDX, CS 0x33 (64-bit), SS 0x3b', () => {
    const r = sysexit(k(USER_RSP, 0x40_2000n), EMPTY_MEMORY, true);
    expect(r.fault).toBeNull();
    expect(r.cpu.regs.rsp).toBe(USER_RSP);
    expect(r.cpu.regs.rip).toBe(0x40_2000n);
    expect(r.cpu.cs).toEqual(flatCode(0x33, 3, true));
    expect(r.cpu.ss.sel).toBe(0x3b);
  });

  // Ref 4.3: REX.W: #GP(0) if RCX or RDX is non-canonical, before any state change.
  it('REX.W form: #GP(0) on a non-canonical RCX or RDX, no state change', () => {
    for (const [rcx, rdx] of [[1n << 47n, 0x40_2000n], [USER_RSP, 1n << 47n]] as const) {
      const c = k(rcx, rdx);
      const r = sysexit(c, EMPTY_MEMORY, true);
      expect(r.fault).toEqual({ vector: 13, error: 0 });
      expect(r.cpu).toEqual(c);
    }
    // The 32-bit form uses only the low halves, which are always canonical.
    expect(sysexit(k(1n << 47n, 1n << 47n), EMPTY_MEMORY, false).fault).toBeNull();
  });

  // Ref 4.3: #GP(0) if CPL != 0.
  it('#GP(0) at CPL 3 (both forms)', () => {
    expect(sysexit(userCpu('intel'), EMPTY_MEMORY, true).fault).toEqual({ vector: 13, error: 0 });
    expect(sysexit(userCpu('intel'), EMPTY_MEMORY, false).fault).toEqual({ vector: 13, error: 0 });
  });

  // Ref 6: AMD: SYSENTER/SYSEXIT are #UD in long mode.
  it('AMD: #UD in long mode', () => {
    expect(sysexit(kernelCpu('amd'), EMPTY_MEMORY, false).fault).toEqual({ vector: 6 });
  });
});
