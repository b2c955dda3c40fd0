/**
 * IRETQ in IA-32e mode. Source: reference/x86-semantics.md sections 4.5 (SDM IRET Operation,
 * IA-32e path; "all checks happen before any state changes"), 1.2 note (a) (RF, AC, ID loaded),
 * 5.3 (TF set by IRET), 5.5 (NMI unblocking even when IRET faults).
 */
import { describe, expect, it } from 'vitest';
import {
  boundaryEvent, cpl, deliverEvent, faultDelivery, flatCode, flatData, iretq, KERNEL_CS, nullSegment,
  rf, USER32_CS, USER_CS, USER_DS, VEC, type Memory,
} from '../../src/isa/index.ts';
import { frameAt, iretFrame, KERNEL_RIP, KERNEL_RSP, kernelCpu, nop, USER_RIP, USER_RSP } from './helpers.ts';

const AT = KERNEL_RSP - 0x28n;
const USER_FLAGS = rf.FIXED | rf.IF;
const frame = (over: Partial<{ rip: bigint; cs: number; rflags: bigint; rsp: bigint; ss: number }> = {}): Memory =>
  iretFrame(AT, { rip: USER_RIP, cs: USER_CS, rflags: USER_FLAGS, rsp: USER_RSP, ss: USER_DS, ...over });
const atIret = (over: Parameters<typeof kernelCpu>[2] = {}) =>
  kernelCpu('intel', 4, { ...over, regs: { ...kernelCpu().regs, rsp: AT } });

describe('IRETQ', () => {
  // Ref 4.5: pops RIP, CS, RFLAGS, RSP, SS (always SS:RSP with 64-bit operand size); CS and SS
  // are loaded from their descriptors.
  it('pops RIP, CS, RFLAGS, RSP and SS and returns to CPL 3', () => {
    const r = iretq(atIret(), frame());
    expect(r.fault).toBeNull();
    expect(r.cpu.regs.rip).toBe(USER_RIP);
    expect(r.cpu.regs.rsp).toBe(USER_RSP);
    expect(r.cpu.rflags).toBe(USER_FLAGS);
    expect(r.cpu.cs).toEqual(flatCode(USER_CS, 3, true));
    expect(r.cpu.ss).toEqual(flatData(USER_DS, 3));
    expect(cpl(r.cpu)).toBe(3);
  });

  // Ref 4.5: returning to a 32-bit code segment (compat mode), CS attributes from the GDT.
  it('returns to compatibility mode through CS 0x23', () => {
    const r = iretq(atIret(), frame({ cs: USER32_CS, rip: 0x0804_8000n }));
    expect(r.fault).toBeNull();
    expect(r.cpu.cs).toEqual(flatCode(USER32_CS, 3, false));
  });

  // Ref 4.5: tempRIP non-canonical returning to 64-bit mode: #GP(0), raised at CPL 0 with RIP at
  // the IRET and RSP at the frame, so the #GP frame lands on the kernel stack below it.
  it('non-canonical RIP: #GP(0) at CPL 0, RIP = the IRET, delivered on the kernel stack', () => {
    const k = atIret();
    const r = iretq(k, frame({ rip: 1n << 47n }));
    expect(r.fault).toEqual({ vector: VEC.GP, error: 0 });
    expect(r.cpu).toEqual(k);
    expect(cpl(r.cpu)).toBe(0);
    const d = deliverEvent(r.cpu, r.mem, faultDelivery(r.fault!, r.cpu.regs.rip));
    if (!d.ok) throw new Error('shutdown');
    expect(d.frame.top).toBe(AT & ~0xfn);
    const f = frameAt(d.mem, d.cpu.regs.rsp, true);
    expect([f.rip, f.cs, f.rsp]).toEqual([KERNEL_RIP, BigInt(KERNEL_CS), AT]);
    // With 5-level paging, 2^47 is a canonical user address.
    expect(iretq(kernelCpu('intel', 5, { regs: k.regs }), frame({ rip: 1n << 47n })).fault).toBeNull();
  });

  // Ref 4.5 gives two orders: IA-32e-MODE-RETURN tests the RIP with the NULL selectors, but
  // RETURN-TO-OUTER-PRIVILEGE-LEVEL only after SS. Co-simulation: Intel reports SS (#GP(0x20) for
  // RIP 2^56 with SS 0x23); on AMD 800,000 traces agreed with the RIP first.
  it('a non-canonical RIP with a bad SS: #GP(SS) on Intel, #GP(0) on AMD', () => {
    const both = frame({ rip: 1n << 56n, ss: 0x23 });
    expect(iretq(atIret(), both).fault).toEqual({ vector: VEC.GP, error: 0x20 });
    const amd = { ...kernelCpu('amd', 4), regs: { ...kernelCpu('amd', 4).regs, rsp: AT } };
    expect(iretq(amd, both).fault).toEqual({ vector: VEC.GP, error: 0 });
    // A good SS leaves the RIP's #GP(0) on both.
    expect(iretq(atIret(), frame({ rip: 1n << 56n })).fault).toEqual({ vector: VEC.GP, error: 0 });
  });

  // Ref 4.5: to compatibility mode the SDM tests "tempEIP" against the CS limit. Co-simulation:
  // Intel returned to 0xffffffff for an image of 0x7fffffffffff and raised #GP(0) for 2^57 (its
  // canonical test); on AMD the #GP(0) for anything above 4 GiB agreed.
  it('to compatibility mode with RIP above 4 GiB: Intel keeps EIP of a canonical RIP, AMD raises #GP(0)', () => {
    const high = frame({ cs: USER32_CS, rip: 0x7fff_ffff_ffffn });
    const intel = iretq(atIret(), high);
    expect(intel.fault).toBeNull();
    expect(intel.cpu.regs.rip).toBe(0xffff_ffffn);
    expect(iretq(atIret(), frame({ cs: USER32_CS, rip: 1n << 57n })).fault).toEqual({ vector: VEC.GP, error: 0 });
    const amd = { ...kernelCpu('amd', 4), regs: { ...kernelCpu('amd', 4).regs, rsp: AT } };
    expect(iretq(amd, high).fault).toEqual({ vector: VEC.GP, error: 0 });
  });

  // Ref 4.5: tempSS NULL and returning to CPL 3: #GP(0) (any RPL of the NULL selector).
  it('NULL SS returning to CPL 3: #GP(0)', () => {
    for (const ss of [0, 3]) expect(iretq(atIret(), frame({ ss })).fault).toEqual({ vector: VEC.GP, error: 0 });
  });

  // Ref 4.5: a NULL SS is allowed for a 64-bit return to CPL 0 with RPL = CPL (QEMU agrees).
  it('NULL SS with RPL 0 is accepted for a return to CPL 0', () => {
    const r = iretq(atIret(), frame({ cs: KERNEL_CS, rip: KERNEL_RIP, ss: 0 }));
    expect(r.fault).toBeNull();
    expect(r.cpu.ss).toEqual(nullSegment(0));
  });

  // Ref 4.5 / 3.2: selector checks: outside the tables (GDT entry 7, 0x3b, is unused in Linux) or
  // not code (CS) / not writable data (SS) or SS.RPL != CS.RPL: #GP(selector).
  it('bad CS or SS selectors raise #GP(selector)', () => {
    const gp = (error: number) => ({ vector: VEC.GP, error });
    expect(iretq(atIret(), frame({ ss: 0x3b })).fault).toEqual(gp(0x38));
    expect(iretq(atIret(), frame({ cs: 0x3b })).fault).toEqual(gp(0x38));
    expect(iretq(atIret(), frame({ ss: USER_CS })).fault).toEqual(gp(0x30));
    expect(iretq(atIret(), frame({ cs: USER_DS })).fault).toEqual(gp(0x28));
    expect(iretq(atIret(), frame({ ss: USER_DS & ~3 })).fault).toEqual(gp(0x28));
    expect(iretq(atIret(), frame({ cs: 0 })).fault).toEqual(gp(0));
  });

  // Ref 4.5: SS descriptor not present: #SS(SS selector); here an LDT data segment.
  it('a not-present LDT data segment as SS raises #SS(selector)', () => {
    const k = atIret();
    const tables = { ...k.tables, ldt: { 1: { type: 'data' as const, l: false, db: true, dpl: 3, present: false } } };
    const r = iretq({ ...k, tables }, frame({ ss: (1 << 3) | 4 | 3 }));
    expect(r.fault).toEqual({ vector: VEC.SS, error: 0xc });
  });

  // Ref 4.5: RFLAGS.NT = 1 in IA-32e mode: #GP(0) before anything is popped.
  it('NT = 1: #GP(0)', () => {
    const r = iretq(atIret({ rflags: rf.FIXED | rf.NT }), frame());
    expect(r.fault).toEqual({ vector: VEC.GP, error: 0 });
    expect(r.cpu.regs.rip).toBe(KERNEL_RIP);
  });

  // Ref 4.5 / 1.2 note (a): from CPL 0 IRETQ loads RF, TF, NT, AC, ID, IF (and IOPL, VIF, VIP).
  it('restores RF, TF, NT, AC, ID, IF, IOPL, VIF and VIP from the image', () => {
    const image = rf.FIXED | rf.RF | rf.TF | rf.NT | rf.AC | rf.ID | rf.IF | rf.IOPL | rf.VIF | rf.VIP | rf.CF | rf.DF;
    const r = iretq(atIret(), frame({ rflags: image }));
    expect(r.fault).toBeNull();
    expect(r.cpu.rflags).toBe(image);
    const cleared = iretq(atIret({ rflags: rf.FIXED | rf.IF | rf.AC }), frame({ rflags: rf.FIXED }));
    expect(cleared.cpu.rflags).toBe(rf.FIXED);
  });

  // Ref 5.5 (SDM 6.7.1): "execution of the IRET instruction unblocks NMIs even if the
  // instruction causes a fault".
  it('unblocks NMIs, even when it faults', () => {
    expect(iretq(atIret({ nmiBlocked: true }), frame()).cpu.nmiBlocked).toBe(false);
    const faulting = iretq(atIret({ nmiBlocked: true }), frame({ rip: 1n << 63n }));
    expect(faulting.fault).toEqual({ vector: VEC.GP, error: 0 });
    expect(faulting.cpu.nmiBlocked).toBe(false);
    expect(boundaryEvent(faulting.cpu, true, false)).toBe('nmi');
  });

  // Ref 5.3: TF set by IRET: the first #DB comes after the FOLLOWING instruction.
  it('TF set by IRET traps only after the following instruction', () => {
    const r = iretq(atIret(), frame({ rflags: USER_FLAGS | rf.TF }));
    expect(boundaryEvent(r.cpu, false, false)).toBeNull();
    const next = nop(r.cpu);
    expect(boundaryEvent(next, false, false)).toBe('db');
    expect(cpl(next)).toBe(3);
    expect(next.regs.rip).toBe(USER_RIP + 1n);
  });

  // Ref 5.3: RF loaded by IRET suppresses a breakpoint for one instruction; the CPU clears RF
  // after that instruction completes.
  it('RF loaded by IRET is cleared after the following instruction', () => {
    const r = iretq(atIret(), frame({ rflags: USER_FLAGS | rf.RF }));
    expect(r.cpu.rflags & rf.RF).toBe(rf.RF);
    expect(nop(r.cpu).rflags & rf.RF).toBe(0n);
  });
});
