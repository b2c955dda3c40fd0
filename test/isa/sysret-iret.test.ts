/**
 * SYSRETQ and IRETQ from the same user register image (RIP, RSP, RFLAGS, CS = 0x33, SS = 0x2b,
 * RCX, R11): where they agree and, where not, which user-visible field differs, per vendor.
 * Source: reference/x86-semantics.md sections 4.2 (SYSRET; Linux's SYSRET eligibility checks),
 * 4.5 (IRETQ), 5.3 (TF: SYSRET traps at once, IRET after the next instruction), 6 (Intel vs AMD).
 *
 * "SYSRET can reproduce the image" is taken as: RCX == RIP; (R11 & 0x3C7FD7) | 2 == RFLAGS
 * (so RF and VM are clear in RFLAGS; R11 == RFLAGS is the case the kernel checks); TF clear; RIP
 * canonical; and on AMD a usable SS in the descriptor cache. VM is kept out of the mixed images:
 * it cannot be 1 in 64-bit user mode, and an image with VM set is covered by its own test.
 */
import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import {
  flatData, isCanonical, nullSegment, rf, SYSRET_RFLAGS_MASK, USER_DS,
  type Paging, type Segment, type Vendor,
} from '../../src/isa/index.ts';
import {
  addrArb, canonicalArb, IGNORED_BITS, LOADED_BITS, nonCanonicalArb, pagingArb, ssBeforeArb,
  userAddrArb, userFlagsArb, usableSsArb, vendorArb,
} from './arbitraries.ts';
import { USER_GS, USER_RSP } from './helpers.ts';
import { diffOutcome, diffUserState, faultFields, FRAME, viaIret, viaSysret, type Image } from './user-diff.ts';

const sysretFlags = (r11: bigint): bigint => (r11 & SYSRET_RFLAGS_MASK) | 2n;
const diff = (v: Vendor, p: Paging, img: Image, ss: Segment): string[] =>
  diffOutcome(viaSysret(v, p, img, ss), viaIret(v, p, img, ss)).sort();

function reproducible(v: Vendor, p: Paging, img: Image, ss: Segment): boolean {
  return img.rcx === img.rip && sysretFlags(img.r11) === img.rflags && (img.rflags & rf.TF) === 0n &&
    isCanonical(img.rip, p) && (v === 'intel' || ss.usable);
}

/** The expected differing fields, composed from the per-category rules tested below. */
function expectedFields(v: Vendor, p: Paging, img: Image, ss: Segment): string[] {
  const s = isCanonical(img.rcx, p) ? null : { vector: 13, cpl: v === 'intel' ? 0 : 3, rsp: img.rsp };
  const i = isCanonical(img.rip, p) ? null : { vector: 13, cpl: 0, rsp: FRAME };
  if (s || i) return faultFields(s, i).sort();
  const out: string[] = [];
  if (img.rcx !== img.rip) out.push('rip');
  if (sysretFlags(img.r11) !== (img.rflags & ~rf.VM)) out.push('rflags');
  if (v === 'amd' && !ss.usable) out.push('ss');
  if ((img.r11 & rf.TF) !== 0n) out.push('pendingDb');
  return out.sort();
}

/** Images built from a canonical RIP, with RCX = RIP and R11 = RFLAGS unless a test changes them. */
const imageArb = (p: Paging) => fc.record({ rip: canonicalArb(p), rsp: userAddrArb, rflags: userFlagsArb })
  .map(({ rip, rsp, rflags }): Image => ({ rip, rsp, rflags, rcx: rip, r11: rflags }));
const caseArb = <T>(extra: (p: Paging) => fc.Arbitrary<T>) =>
  pagingArb.chain((p) => fc.tuple(fc.constant(p), imageArb(p), extra(p), usableSsArb));

describe('diffUserState', () => {
  // The helper names each differing user-visible field, and ignores SS.DPL (see user-diff.ts).
  it('names the differing fields and nothing else', () => {
    const a = viaIret('intel', 4, { rip: 0x1000n, rsp: USER_RSP, rflags: 0x202n, rcx: 0n, r11: 0n }, flatData(USER_DS, 3)).cpu;
    expect(diffUserState(a, a)).toEqual([]);
    const b = { ...a, regs: { ...a.regs, rip: 0x2000n, r11: 1n }, ss: { ...a.ss, usable: false }, gsBase: 7n };
    expect(diffUserState(a, b)).toEqual(['r11', 'rip', 'ss', 'gsBase']);
    expect(diffUserState(a, { ...a, ss: { ...a.ss, dpl: 0 }, rflags: 0x302n })).toEqual(['rflags']);
    expect(diffUserState(a, { ...a, pendingDb: { cause: 'single-step', held: false } })).toEqual(['pendingDb']);
  });
});

describe('SYSRET vs IRET: categories', () => {
  for (const v of ['intel', 'amd'] as const) {
    // Ref 4.2: the image SYSRET can reproduce: identical user-visible state.
    test.prop([caseArb((p) => fc.constantFrom(0n, ...IGNORED_BITS))])(`${v}: a reproducible image: no difference`, ([p, img, flip, ss]) => {
      const im = { ...img, r11: img.r11 ^ flip };
      expect(reproducible(v, p, im, ss)).toBe(true);
      expect(diff(v, p, im, ss)).toEqual([]);
    });

    // Ref 4.2: SYSRET returns to RCX, IRET to the frame's RIP.
    test.prop([caseArb((p) => canonicalArb(p))])(`${v}: RCX != RIP (both canonical): 'rip'`, ([p, img, rcx, ss]) => {
      fc.pre(rcx !== img.rip);
      expect(diff(v, p, { ...img, rcx }, ss)).toEqual(['rip']);
    });

    // Ref 4.2: SYSRET loads RFLAGS from R11, IRET from the frame.
    test.prop([caseArb(() => fc.constantFrom(...LOADED_BITS))])(`${v}: R11 differs from RFLAGS in a loaded bit: 'rflags'`, ([p, img, bit, ss]) => {
      expect(diff(v, p, { ...img, r11: img.r11 ^ bit }, ss)).toEqual(['rflags']);
    });

    // Ref 4.2 / 1.2: SYSRET forces RF = 0; IRETQ restores it.
    test.prop([caseArb(() => fc.constant(rf.RF))])(`${v}: RF set in R11 and RFLAGS: 'rflags'`, ([p, img, bit, ss]) => {
      expect(diff(v, p, { ...img, rflags: img.rflags | bit, r11: img.r11 | bit }, ss)).toEqual(['rflags']);
    });

    // Ref 5.3: TF from SYSRET traps before the first user instruction, from IRET after it.
    test.prop([caseArb(() => fc.constant(rf.TF))])(`${v}: TF set in R11 and RFLAGS: 'pendingDb'`, ([p, img, bit, ss]) => {
      expect(diff(v, p, { ...img, rflags: img.rflags | bit, r11: img.r11 | bit }, ss)).toEqual(['pendingDb']);
    });

    // Ref 1.2: SYSRET forces VM = 0 and IRETQ (64-bit operand size) does not load VM: no difference.
    test.prop([caseArb(() => fc.constant(rf.VM))])(`${v}: VM set in R11 and RFLAGS: no difference (both leave VM = 0)`, ([p, img, bit, ss]) => {
      const a = viaSysret(v, p, { ...img, rflags: img.rflags | bit, r11: img.r11 | bit }, ss);
      expect(a.cpu.rflags & rf.VM).toBe(0n);
      expect(diff(v, p, { ...img, rflags: img.rflags | bit, r11: img.r11 | bit }, ss)).toEqual([]);
    });

    // Ref 6: AMD keeps the cached SS attributes: after an interrupt entry left SS NULL, SYSRET
    // returns with an unusable SS; IRET loads SS from the GDT. Intel reloads SS: no difference.
    test.prop([caseArb(() => fc.constant(nullSegment(0)))])(`${v}: NULL SS before the return: ${v === 'amd' ? "'ss'" : 'no difference'}`, ([p, img, ss]) => {
      expect(diff(v, p, img, ss)).toEqual(v === 'amd' ? ['ss'] : []);
    });
  }

  // Ref 4.2 / 4.5 / 6: RIP = RCX non-canonical: IRET #GPs at CPL 0 on the kernel frame; Intel's
  // SYSRET #GPs at CPL 0 on the user RSP; AMD's SYSRET reaches user mode and the fetch #GPs.
  test.prop([pagingArb.chain((p) => fc.tuple(fc.constant(p), nonCanonicalArb(p), userAddrArb, userFlagsArb))])(
    "non-canonical RIP: Intel 'fault.rsp' (SYSRET faults on the user stack), AMD 'fault.cpl' + 'fault.rsp'",
    ([p, rip, rsp, rflags]) => {
      const img = { rip, rsp, rflags, rcx: rip, r11: rflags };
      expect(diff('intel', p, img, flatData(USER_DS, 3))).toEqual(['fault.rsp']);
      const s = viaSysret('intel', p, img, flatData(USER_DS, 3));
      expect(s.fault).toEqual({ vector: 13, cpl: 0, rsp });
      expect(s.cpu.gsBase).toBe(USER_GS);
      expect(diff('amd', p, img, flatData(USER_DS, 3))).toEqual(['fault.cpl', 'fault.rsp']);
      expect(viaSysret('amd', p, img, flatData(USER_DS, 3)).fault).toEqual({ vector: 13, cpl: 3, rsp });
    });

  // Ref 4.2 / 6: RCX non-canonical but RIP canonical: only the SYSRET side faults (Intel at CPL 0,
  // AMD at the user fetch); IRET returns normally.
  test.prop([vendorArb, caseArb((p) => nonCanonicalArb(p))])("non-canonical RCX, canonical RIP: 'fault'", (v, [p, img, rcx, ss]) => {
    expect(diff(v, p, { ...img, rcx }, ss)).toEqual(['fault']);
    expect(viaSysret(v, p, { ...img, rcx }, ss).fault?.cpl).toBe(v === 'intel' ? 0 : 3);
  });
});

/** null (no deviation) two times in three. */
const mostlyNull = <T>(a: fc.Arbitrary<T>) => fc.oneof({ weight: 2, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: a });

describe('SYSRET vs IRET: mixed images', () => {
  const mixedArb = pagingArb.chain((p) => fc.record({
    p: fc.constant(p), v: vendorArb, ss: ssBeforeArb,
    rip: fc.oneof({ weight: 2, arbitrary: canonicalArb(p) }, { weight: 1, arbitrary: addrArb }),
    rsp: userAddrArb, rflags: userFlagsArb,
    extra: fc.constantFrom(0n, 0n, 0n, rf.TF, rf.RF, rf.TF | rf.RF),
    rcx: mostlyNull(addrArb), flip: mostlyNull(fc.constantFrom(...IGNORED_BITS, ...LOADED_BITS, rf.TF)),
  }));

  // Ref 4.2 / 4.5 / 6: the two returns agree exactly when SYSRET can reproduce the image, and
  // otherwise differ in exactly the fields the categories above name, vendor by vendor.
  test.prop([mixedArb], { numRuns: 500 })('agree iff reproducible; otherwise the expected fields differ', (m) => {
    const rflags = m.rflags | m.extra;
    const img: Image = { rip: m.rip, rsp: m.rsp, rflags, rcx: m.rcx ?? m.rip, r11: rflags ^ (m.flip ?? 0n) };
    const d = diff(m.v, m.p, img, m.ss);
    expect(d.length === 0).toBe(reproducible(m.v, m.p, img, m.ss));
    expect(d).toEqual(expectedFields(m.v, m.p, img, m.ss));
  });
});
