/**
 * The SYSRET equalities written narrower. RCX == RIP: run's alphabet has a frame with
 * RCX one bit away from RIP at bit 32 (RCX still canonical) and one at bit 63 (every comparison
 * of fewer than 64 bits calls them equal). A 48-bit or 57-bit compare with the RIP bound on RIP
 * is caught only by the second (SYSRET then jumps to a non-canonical RCX: a #GP in kernel mode
 * on Intel, CVE-2012-0217's shape), a 32-bit compare with the bound on RCX only by the first.
 * R11 == RFLAGS: frames with R11 one bit away at RF (set in RFLAGS only) and at ID (the highest
 * flag SYSRET loads from R11). CS == __USER_CS and SS == __USER_DS: frames with each one bit away
 * at TI (the same index in the LDT).
 */
import { describe, expect, it } from 'vitest';
import { discoverInvariants } from '../../src/check/discover.ts';
import { runExploration } from '../../src/check/explore/alphabet.ts';
import { explore } from '../../src/check/explore/explore.ts';
import { kernelOf } from '../../src/check/session.ts';
import type { Design, ExitFacts } from '../../src/kernel/index.ts';
import { reference } from '../reference-design.ts';

// linux-6.7, its lost step report fixed (test/reference-design.ts): "nothing on linux-6.7" judges every invariant.
const base = reference;
const invariants = (await discoverInvariants()).map((d) => d.invariant).filter((i) => !i.sanity);
const CS = 0x33n;
const DS = 0x2bn;
const RF_TF = 0x10100n;

/** linux-6.7's SYSRET checks with RCX == RIP compared under `mask`, and the bound tested on `bound`'s register. */
function narrowed(name: string, mask: bigint, bound: 'rip' | 'rcx'): Design {
  const sysretEligible = ({ regs }: ExitFacts): boolean => (regs.rcx & mask) === (regs.rip & mask) && regs.r11 === regs.rflags &&
    regs.cs === CS && regs.ss === DS && (regs.rflags & RF_TF) === 0n && regs[bound] < (1n << 47n) - 4096n;
  return { ...base, name, overrides: { sysretEligible } };
}

const explored = (d: Design, vendor: 'intel' | 'amd') =>
  explore({ invariants, cell: { kernel: kernelOf(d), vendor, paging: 4 }, ...runExploration(), depth: 2 }).found;

describe('RCX == RIP compared in fewer than 64 bits', () => {
  for (const [bits, mask] of [[48, (1n << 48n) - 1n], [57, (1n << 57n) - 1n]] as const) {
    it(`is caught in 1 event when compared in ${bits} bits (the frame with RCX one bit away at bit 63), on Intel and AMD`, () => {
      for (const vendor of ['intel', 'amd'] as const) {
        const found = explored(narrowed(`rcx-${bits}`, mask, 'rip'), vendor);
        expect(found?.raw.length, `[FAIL] ${vendor}: expected a violation in 1 event, got ${found ? found.raw.length : 'none'}`).toBe(1);
        expect((found?.raw[0] as { frame?: { rcx?: string } }).frame?.rcx).toBe('$next+0x8000000000000000');
      }
    });
  }

  it('is caught when compared in 32 bits with the bound tested on RCX (the frame with RCX one bit away at bit 32)', () => {
    const found = explored(narrowed('rcx-32-bound-rcx', (1n << 32n) - 1n, 'rcx'), 'intel');
    expect(found?.raw.length, '[FAIL] expected a violation in 1 event').toBe(1);
    expect((found?.raw[0] as { frame?: { rcx?: string } }).frame?.rcx).toBe('$next+0x100000000');
  });

  it('finds nothing on linux-6.7, which compares all 64 bits', () => {
    expect(explored(base, 'intel')).toBeNull();
  });
});

/** linux-6.7's SYSRET checks with R11 == RFLAGS compared under `mask`, and the RF and TF test read from `flags`. */
function flagsNarrowed(name: string, mask: bigint, flags: 'rflags' | 'r11'): Design {
  const sysretEligible = ({ regs }: ExitFacts): boolean => regs.rcx === regs.rip && (regs.r11 & mask) === (regs.rflags & mask) &&
    regs.cs === CS && regs.ss === DS && (regs[flags] & RF_TF) === 0n && regs.rip < (1n << 47n) - 4096n;
  return { ...base, name, overrides: { sysretEligible } };
}

describe('R11 == RFLAGS compared narrower', () => {
  it('is caught in 1 event when RF is masked out of it and tested on R11 (RF lost by SYSRET), on Intel and AMD', () => {
    for (const vendor of ['intel', 'amd'] as const) {
      const found = explored(flagsNarrowed('r11-but-rf', ~0x10000n & ((1n << 64n) - 1n), 'r11'), vendor);
      expect(found?.raw.length, `[FAIL] ${vendor}: expected a violation in 1 event, got ${found ? found.raw.length : 'none'}`).toBe(1);
      expect((found?.raw[0] as { frame?: { r11?: string } }).frame?.r11).toBe('0x202');
    }
  });

  it('is caught in 1 event when compared in 16 bits (the frame with R11 one bit away at ID), on Intel and AMD', () => {
    for (const vendor of ['intel', 'amd'] as const) {
      const found = explored(flagsNarrowed('r11-16', 0xffffn, 'rflags'), vendor);
      expect(found?.raw.length, `[FAIL] ${vendor}: expected a violation in 1 event, got ${found ? found.raw.length : 'none'}`).toBe(1);
      expect((found?.raw[0] as { frame?: { r11?: string } }).frame?.r11).toBe('0x200202');
    }
  });
});

describe('CS and SS compared without their TI bit', () => {
  const noTi = (name: string, reg: 'cs' | 'ss'): Design => ({
    ...base, name, overrides: {
      sysretEligible: ({ regs }: ExitFacts): boolean => regs.rcx === regs.rip && regs.r11 === regs.rflags && (regs.rflags & RF_TF) === 0n &&
        regs.rip < (1n << 47n) - 4096n && (reg === 'cs' ? (regs.cs & ~4n) === CS && regs.ss === DS : regs.cs === CS && (regs.ss & ~4n) === DS),
    },
  });
  for (const reg of ['cs', 'ss'] as const) {
    it(`is caught in 1 event for ${reg.toUpperCase()} (the frame with ${reg.toUpperCase()} naming the same index in the LDT), on Intel and AMD`, () => {
      for (const vendor of ['intel', 'amd'] as const) {
        const found = explored(noTi(`${reg}-no-ti`, reg), vendor);
        expect(found?.raw.length, `[FAIL] ${vendor}: expected a violation in 1 event, got ${found ? found.raw.length : 'none'}`).toBe(1);
        expect((found?.raw[0] as { frame?: Record<string, unknown> }).frame?.[reg]).toBe(reg === 'cs' ? 0x37 : 0x2f);
      }
    });
  }
});

/** linux-6.7's SYSRET checks with the RIP bound written as `ripOk`. */
function bounded(name: string, ripOk: (rip: bigint) => boolean): Design {
  const sysretEligible = ({ regs }: ExitFacts): boolean => regs.rcx === regs.rip && regs.r11 === regs.rflags &&
    regs.cs === CS && regs.ss === DS && (regs.rflags & RF_TF) === 0n && ripOk(regs.rip);
  return { ...base, name, overrides: { sysretEligible } };
}

describe('the RIP bound at the other side of the non-canonical hole', () => {
  // Both pass every address with bit 63 set that is not canonical (0x8000000000000000 among
  // them); the frames at the user half's end and at TASK_SIZE_MAX do not tell them from the right
  // test. SYSRET to such an RCX is a #GP at CPL 0 on Intel, a #GP in user mode on AMD.
  const TSM = (1n << 47n) - 4096n;
  const cases = [
    ['compared as a signed number', (rip: bigint) => BigInt.asIntN(64, rip) < TSM],
    ['masked without bit 63', (rip: bigint) => (rip & 0x7fff_8000_0000_0000n) === 0n],
  ] as const;
  for (const [what, ripOk] of cases) {
    it(`is caught in 1 event when ${what} (the frame with RIP = RCX = 2^63), on Intel and AMD`, () => {
      for (const vendor of ['intel', 'amd'] as const) {
        const found = explored(bounded(what, ripOk), vendor);
        expect(found?.raw.length, `[FAIL] ${vendor}: expected a violation in 1 event, got ${found ? found.raw.length : 'none'}`).toBe(1);
        expect((found?.raw[0] as { frame?: { rip?: string } }).frame?.rip).toBe('0x8000000000000000');
      }
    });
  }
});

describe('selector tests at the NULL selector (SYSRET) and at TI (SYSRETL too)', () => {
  const U32 = 0x23n;
  const VM = 1n << 17n;
  type Sel = (sel: bigint) => boolean;
  // linux-6.7's compat checks with the CS or SS test written as `cs` / `ss`.
  const compatWith = (name: string, cs: Sel, ss: Sel): Design => ({
    ...base, name, overrides: {
      compatFastEligible: ({ regs, landingPad }: ExitFacts): boolean => cs(regs.cs) && ss(regs.ss) && regs.rip === landingPad &&
        (regs.rflags & RF_TF) === 0n && (regs.rflags & VM) === 0n,
    },
  });
  const sysretWith = (name: string, ss: Sel): Design => ({
    ...base, name, overrides: {
      sysretEligible: ({ regs }: ExitFacts): boolean => regs.rcx === regs.rip && regs.r11 === regs.rflags && regs.cs === CS && ss(regs.ss) &&
        (regs.rflags & RF_TF) === 0n && regs.rip < (1n << 47n) - 4096n,
    },
  });
  // Each lets through a selector IRET refuses (a NULL SS at CPL 3, an empty LDT slot) and SYSRET
  // or SYSRETL never loads; sigreturn keeps RPL 3, so a test that ignores only the RPL is not one.
  const orNull: Sel = (s) => s === DS || (s & ~3n) === 0n;
  const cases: Array<[string, Design, number]> = [
    ['SYSRET with an SS test that also takes the NULL selector', sysretWith('ss-or-null', orNull), 1],
    ['SYSRETL with an SS test by descriptor index (TI ignored)', compatWith('compat-ss-index', (c) => c === U32, (s) => s >> 3n === DS >> 3n), 2],
    ['SYSRETL with a CS test by descriptor index (TI ignored)', compatWith('compat-cs-index', (c) => c >> 3n === U32 >> 3n, (s) => s === DS), 2],
  ];
  for (const [what, d, events] of cases) {
    it(`catches ${what} within ${events} event(s), on Intel and AMD`, () => {
      for (const vendor of ['intel', 'amd'] as const) {
        const found = explored(d, vendor);
        expect(found?.raw.length, `[FAIL] ${vendor}: expected a violation within ${events} events, got ${found ? found.raw.length : 'none'}`).toBeLessThanOrEqual(events);
        expect(found).not.toBeNull();
      }
    });
  }
});
