/**
 * ISA-level properties over generated states. Sources: reference/x86-semantics.md sections 4.4
 * (SWAPGS), 4.6 + 4.5 (delivery pushes exactly what IRETQ pops), 5.5 (IRET unblocks NMIs),
 * 7 items 9 and 11.
 */
import { describe, expect } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import {
  cpl, deliver, EMPTY_MEMORY, flatCode, iretq, isValidRflags, makeCpu, MASK64, REG_NAMES, rf, swapgs,
  USER32_CS, VEC, type CpuState, type Regs,
} from '../../src/isa/index.ts';
import { anyUserFlagsArb, canonicalArb, pagingArb, u64Arb, userFlagsArb, vendorArb } from './arbitraries.ts';
import { kernelCpu, userCpu } from './helpers.ts';

const regsArb: fc.Arbitrary<Partial<Regs>> = fc.record(
  Object.fromEntries(REG_NAMES.filter((r) => r !== 'rip').map((r) => [r, u64Arb])) as Record<Exclude<keyof Regs, 'rip'>, fc.Arbitrary<bigint>>,
);

describe('SWAPGS', () => {
  // Ref 4.4 / 7.11: SWAPGS is an involution at CPL 0.
  test.prop([vendorArb, pagingArb, u64Arb, u64Arb])('is an involution at CPL 0', (v, p, gs, kgs) => {
    const k = kernelCpu(v, p, { gsBase: gs, kernelGsBase: kgs });
    const once = swapgs(k, EMPTY_MEMORY);
    expect([once.cpu.gsBase, once.cpu.kernelGsBase]).toEqual([kgs, gs]);
    const twice = swapgs(once.cpu, once.mem);
    expect(twice.fault).toBeNull();
    expect(twice.cpu).toEqual(k);
  });

  // Ref 4.4: at CPL 3 it always faults and swaps nothing.
  test.prop([vendorArb, pagingArb, u64Arb, u64Arb])('always #GP(0) at CPL 3, no swap', (v, p, gs, kgs) => {
    const u = userCpu(v, p, { gsBase: gs, kernelGsBase: kgs });
    const r = swapgs(u, EMPTY_MEMORY);
    expect(r.fault).toEqual({ vector: 13, error: 0 });
    expect(r.cpu).toEqual(u);
  });
});

/**
 * A user-mode CPU: 64-bit (canonical RIP) or compat (CS 0x23, 32-bit RIP and ESP: an IRET into
 * compatibility mode loads only ESP, isa/iret.ts iretRsp).
 */
const userStateArb: fc.Arbitrary<CpuState> = fc.record({
  v: vendorArb, p: pagingArb, regs: regsArb, rflags: anyUserFlagsArb, compat: fc.boolean(), gs: u64Arb,
}).chain((s) => (s.compat ? fc.bigInt({ min: 0n, max: 0xffff_ffffn }) : canonicalArb(s.p)).map((rip) => {
  const c = makeCpu({ vendor: s.v, paging: s.p, regs: { ...s.regs, rip, ...(s.compat ? { rsp: (s.regs.rsp ?? 0n) & 0xffff_ffffn } : {}) }, rflags: s.rflags, gsBase: s.gs });
  return s.compat ? { ...c, cs: flatCode(USER32_CS, 3, false) } : c;
}));

/** Everything user mode can see, with the full hidden segment attributes. */
const visible = (c: CpuState) => ({ regs: c.regs, rflags: c.rflags, cs: c.cs, ss: c.ss, gsBase: c.gsBase, cpl: cpl(c), pendingDb: c.pendingDb });

describe('delivery then IRETQ', () => {
  // Ref 4.6 + 4.5 + 7.9: the frame delivery pushes is exactly what IRETQ pops, and IRETQ from
  // CPL 0 restores every flag delivery cleared (TF, NT, RF, IF): user state comes back whole.
  // External interrupts on vectors 13 and 14 push no error code, so the frame is still 5 qwords.
  test.prop([userStateArb, fc.constantFrom(VEC.TIMER, VEC.INT80, VEC.GP, VEC.PF)], { numRuns: 300 })(
    'an external interrupt from user mode and IRETQ from its frame restore the user-visible state',
    (user, vector) => {
      const d = deliver(user, EMPTY_MEMORY, { vector, kind: 'interrupt', rip: user.regs.rip });
      if (!d.ok) throw new Error(`delivery failed: ${JSON.stringify(d.fault)}`);
      expect(cpl(d.cpu)).toBe(0);
      expect(d.cpu.rflags & (rf.TF | rf.NT | rf.RF | rf.IF)).toBe(0n);
      const back = iretq(d.cpu, d.mem);
      expect(back.fault).toBeNull();
      expect(visible(back.cpu)).toEqual(visible(user));
      expect(isValidRflags(back.cpu.rflags)).toBe(true);
    });

  // Ref 5.5: the NMI case: delivery blocks NMIs, the IRETQ unblocks them and restores the state.
  test.prop([userStateArb], { numRuns: 200 })('an NMI from user mode and IRETQ restore the state and unblock NMIs', (user) => {
    const d = deliver(user, EMPTY_MEMORY, { vector: VEC.NMI, kind: 'nmi', rip: user.regs.rip });
    if (!d.ok) throw new Error('delivery failed');
    expect(d.cpu.nmiBlocked).toBe(true);
    const back = iretq(d.cpu, d.mem);
    expect(back.fault).toBeNull();
    expect(back.cpu.nmiBlocked).toBe(false);
    expect(visible(back.cpu)).toEqual(visible(user));
  });

  // Ref 4.6 / 7.9: the frame is 5 qwords ending at the 16-byte-aligned stack top, for any RSP0.
  test.prop([userStateArb, fc.bigInt({ min: 0xffff_c900_0000_0000n, max: 0xffff_c900_ffff_ffffn })])(
    'the frame sits at (top & ~0xF) - 40 for any RSP0',
    (user, rsp0) => {
      const d = deliver({ ...user, tss: { ...user.tss, rsp0 } }, EMPTY_MEMORY, { vector: VEC.TIMER, kind: 'interrupt', rip: user.regs.rip });
      if (!d.ok) throw new Error('delivery failed');
      expect(d.cpu.regs.rsp).toBe((rsp0 & ~0xfn) - 40n);
      expect(d.cpu.regs.rsp & 0xfn).toBe(8n);
    });
});

describe('same-privilege delivery then IRETQ', () => {
  // Ref 4.6 + 4.5: at CPL 0 without IST the frame goes on the current stack, whatever RSP holds
  // (after SYSCALL it is the user's: any 64-bit value). Stack arithmetic is modulo 2^64, so the
  // pushed frame may wrap past address 0, and IRETQ must pop it back from the same qwords.
  // (A non-canonical RSP gives #SS instead, checked in deliver.test.ts.)
  const kernelRspArb = pagingArb.chain((p) => fc.tuple(fc.constant(p), fc.oneof(canonicalArb(p), fc.bigInt({ min: 0n, max: 0x40n }))));
  test.prop([vendorArb, kernelRspArb], { numRuns: 200 })(
    'an interrupt at CPL 0 and IRETQ restore RSP, RIP and RFLAGS for any canonical RSP',
    (v, [p, rsp]) => {
      const k = kernelCpu(v, p, { rflags: rf.FIXED | rf.IF | rf.AC });
      const at = { ...k, regs: { ...k.regs, rsp } };
      const d = deliver(at, EMPTY_MEMORY, { vector: VEC.TIMER, kind: 'interrupt', rip: k.regs.rip });
      if (!d.ok) throw new Error(`delivery failed: ${JSON.stringify(d.fault)}`);
      expect(d.cpu.regs.rsp).toBe(((rsp & ~0xfn) - 40n) & MASK64);
      const back = iretq(d.cpu, d.mem);
      expect(back.fault).toBeNull();
      expect(visible(back.cpu)).toEqual(visible(at));
    });
});

describe('RFLAGS stays valid', () => {
  // Ref 1.1: no transition leaves reserved bits unfixed (user flags in, kernel flags out).
  test.prop([userFlagsArb])('delivery leaves valid RFLAGS in the handler', (flags) => {
    const d = deliver(userCpu('intel', 4, { rflags: flags }), EMPTY_MEMORY, { vector: VEC.TIMER, kind: 'interrupt', rip: 0n });
    expect(d.ok && isValidRflags(d.cpu.rflags)).toBe(true);
  });
});
