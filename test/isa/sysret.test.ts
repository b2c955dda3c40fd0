/**
 * SYSRET (0F 07, REX.W 0F 07), per vendor. Source: reference/x86-semantics.md sections 4.2 (SDM
 * SYSRET Operation and the newer footnote "RF and VM are always 0 after SYSRET"; Linux
 * do_syscall_64 comment on TF), 6 (Intel #GP at CPL 0 vs AMD user-mode fault; AMD SS hidden
 * attributes, X86_BUG_SYSRET_SS_ATTRS), 3.3 (STAR).
 */
import { describe, expect, it } from 'vitest';
import {
  boundaryEvent, cpl, EMPTY_MEMORY, fetchFault, flatCode, flatData, MASK64, nullSegment, rf,
  syscall, sysret, SYSRET_RFLAGS_MASK, USER32_CS, USER_CS, USER_DS,
} from '../../src/isa/index.ts';
import { kernelCpu, USER_GS, USER_RIP, USER_RSP, userCpu, VENDORS } from './helpers.ts';

/** The kernel just before SYSRET: user RSP and user GS already restored, RCX/R11 loaded. */
const beforeSysret = (vendor: 'intel' | 'amd', rcx = USER_RIP, r11 = rf.FIXED | rf.IF, paging: 4 | 5 = 4) => {
  const k = kernelCpu(vendor, paging);
  return { ...k, gsBase: USER_GS, kernelGsBase: k.gsBase, regs: { ...k.regs, rcx, r11, rsp: USER_RSP } };
};

describe('SYSRET', () => {
  for (const vendor of VENDORS) {
    // Ref 4.2 / 3.3: REX.W: RIP <- RCX; CS = (STAR[63:48]+16)|3 = 0x33 (64-bit); SS = +8|3 = 0x2b.
    it(`${vendor}: SYSRETQ returns to RCX with CS 0x33 (64-bit, DPL 3) and SS 0x2b at CPL 3`, () => {
      const r = sysret(beforeSysret(vendor), EMPTY_MEMORY, true);
      expect(r.fault).toBeNull();
      expect(r.cpu.regs.rip).toBe(USER_RIP);
      expect(r.cpu.regs.rsp).toBe(USER_RSP);
      expect(r.cpu.cs).toEqual(flatCode(USER_CS, 3, true));
      expect(r.cpu.ss.sel).toBe(USER_DS);
      expect(cpl(r.cpu)).toBe(3);
    });

    // Ref 4.1 + 4.2: SYSCALL saves RIP_next in RCX and RFLAGS (RF = 0) in R11; SYSRETQ puts both
    // back, so an untouched syscall returns to the next instruction with the user's flags.
    it(`${vendor}: SYSCALL then SYSRETQ returns to the next instruction with the user's RFLAGS`, () => {
      const flags = rf.FIXED | rf.IF | rf.AC | rf.DF | rf.CF | rf.ID;
      const k = syscall(userCpu(vendor, 4, { rflags: flags }), EMPTY_MEMORY);
      const back = sysret(k.cpu, k.mem, true);
      expect(back.fault).toBeNull();
      expect(back.cpu.regs.rip).toBe(USER_RIP + 2n);
      expect(back.cpu.rflags).toBe(flags);
      expect([back.cpu.cs.sel, back.cpu.ss.sel, cpl(back.cpu)]).toEqual([USER_CS, USER_DS, 3]);
      expect(back.cpu.ss.usable).toBe(true);
    });

    // Ref 4.2 / 3.3: no REX.W: RIP <- ECX (zero-extended); CS = STAR[63:48]|3 = 0x23 (32-bit).
    it(`${vendor}: SYSRETL returns to ECX with CS 0x23 (32-bit) and SS 0x2b`, () => {
      const r = sysret(beforeSysret(vendor, 0xdead_beef_0804_9000n), EMPTY_MEMORY, false);
      expect(r.fault).toBeNull();
      expect(r.cpu.regs.rip).toBe(0x0804_9000n);
      expect(r.cpu.cs).toEqual(flatCode(USER32_CS, 3, false));
      expect(r.cpu.ss.sel).toBe(USER_DS);
    });

    // 32-bit code sees ESP alone after SYSRETL, as after IRET to compatibility mode: co-simulation
    // on Intel (SYSENTER from 64-bit code, pt_regs->sp = RBP's 64 bits) read 0x6003e9 for
    // 0x7fff006003e9 at the landing pad (docs/cosim.md).
    it(`${vendor}: after SYSRETL the upper half of RSP reads 0; SYSRETQ keeps all 64 bits`, () => {
      const k = beforeSysret(vendor, 0x0804_9000n);
      const high = { ...k, regs: { ...k.regs, rsp: 0x7fff_0060_03e9n } };
      expect(sysret(high, EMPTY_MEMORY, false).cpu.regs.rsp).toBe(0x60_03e9n);
      expect(sysret({ ...high, regs: { ...high.regs, rcx: USER_RIP } }, EMPTY_MEMORY, true).cpu.regs.rsp).toBe(0x7fff_0060_03e9n);
    });

    // Ref 4.2: RFLAGS <- (R11 & 0x3C7FD7) | 2: RF and VM forced to 0, reserved bits fixed.
    it(`${vendor}: RFLAGS = (R11 & 0x3C7FD7) | 2, so RF and VM are forced to 0`, () => {
      expect(SYSRET_RFLAGS_MASK).toBe(0x3c_7fd7n);
      const all = sysret(beforeSysret(vendor, USER_RIP, MASK64), EMPTY_MEMORY, true);
      expect(all.cpu.rflags).toBe(0x3c_7fd7n);
      const r11 = rf.FIXED | rf.RF | rf.VM | rf.IF | rf.AC | rf.NT | rf.IOPL | rf.VIP | rf.CF;
      const r = sysret(beforeSysret(vendor, USER_RIP, r11), EMPTY_MEMORY, true);
      expect(r.cpu.rflags).toBe(r11 & ~(rf.RF | rf.VM));
      expect(sysret(beforeSysret(vendor, USER_RIP, 0n), EMPTY_MEMORY, true).cpu.rflags).toBe(2n);
    });

    // Ref 4.2: #GP(0) if CPL != 0.
    it(`${vendor}: #GP(0) at CPL 3 with no state change`, () => {
      const user = userCpu(vendor);
      const r = sysret(user, EMPTY_MEMORY, true);
      expect(r.fault).toEqual({ vector: 13, error: 0 });
      expect(r.cpu).toEqual(user);
    });

    // Ref 4.2 (Linux: "restoring TF results in a trap from userspace immediately after SYSRET").
    it(`${vendor}: TF loaded from R11 gives a single-step #DB before the first user instruction`, () => {
      const r = sysret(beforeSysret(vendor, USER_RIP, rf.FIXED | rf.IF | rf.TF), EMPTY_MEMORY, true);
      expect(r.cpu.rflags & rf.TF).toBe(rf.TF);
      expect(boundaryEvent(r.cpu, false, false)).toBe('db');
      expect(cpl(r.cpu)).toBe(3);
      expect(r.cpu.regs.rip).toBe(USER_RIP);
    });
  }

  // Ref 4.2 / 6: Intel checks RCX before any state change: #GP(0) at CPL 0 on the user RSP and GS.
  it('Intel: non-canonical RCX raises #GP(0) at CPL 0 with no state change (user RSP, user GS)', () => {
    for (const rcx of [1n << 47n, 0xffff_7fff_ffff_f000n, 1n << 63n]) {
      const k = beforeSysret('intel', rcx);
      const r = sysret(k, EMPTY_MEMORY, true);
      expect(r.fault).toEqual({ vector: 13, error: 0 });
      expect(r.cpu).toEqual(k);
      expect(cpl(r.cpu)).toBe(0);
      expect(r.cpu.regs.rsp).toBe(USER_RSP);
      expect(r.cpu.gsBase).toBe(USER_GS);
    }
  });

  // Ref 2: the check uses the current paging mode: 2^47 is canonical with 5-level paging.
  it('Intel: with 5-level paging RCX = 2^47 is canonical and 2^56 faults', () => {
    expect(sysret(beforeSysret('intel', 1n << 47n, 2n, 5), EMPTY_MEMORY, true).fault).toBeNull();
    expect(sysret(beforeSysret('intel', 1n << 56n, 2n, 5), EMPTY_MEMORY, true).fault).toEqual({ vector: 13, error: 0 });
  });

  // Ref 6 (Fuchsia sysret_problem.md): AMD does not check; the fetch faults in user mode.
  it('AMD: non-canonical RCX completes SYSRET; the instruction fetch then raises #GP(0) at CPL 3', () => {
    const r = sysret(beforeSysret('amd', 1n << 47n), EMPTY_MEMORY, true);
    expect(r.fault).toBeNull();
    expect(cpl(r.cpu)).toBe(3);
    expect(r.cpu.regs.rip).toBe(1n << 47n);
    expect(fetchFault(r.cpu)).toEqual({ vector: 13, error: 0 });
  });

  // Ref 6 (process_64.c, sysret_ss_attrs.c): AMD sets the SS selector only; after an interrupt
  // entry left SS NULL, user mode gets SS = 0x2b but unusable. Intel loads fixed attributes.
  it('AMD keeps the old SS hidden attributes (NULL SS stays unusable); Intel reloads them', () => {
    const amd = sysret({ ...beforeSysret('amd'), ss: nullSegment(0) }, EMPTY_MEMORY, true);
    expect(amd.cpu.ss.sel).toBe(USER_DS);
    expect(amd.cpu.ss.usable).toBe(false);
    const intel = sysret({ ...beforeSysret('intel'), ss: nullSegment(0) }, EMPTY_MEMORY, true);
    expect(intel.cpu.ss).toEqual(flatData(USER_DS, 3));
  });
});
