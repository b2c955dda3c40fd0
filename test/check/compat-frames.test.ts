/**
 * The compat exit's checks (SYSRETL/SYSEXIT: CS, SS, IP at the landing pad, RF/TF) get frames
 * that fail one of them alone: in 32-bit code the forged frame starts from one the compat exit
 * fast-returns, and run's alphabet has that frame but for one condition at its edge. Each check
 * removed is then caught by exploration (mutate reported all five as "suspected equivalent" before),
 * and so is an IP test narrowed to 16 bits (the IP one bit away above them), or to 32 (a
 * tracer's write of the whole IP, which a 32-bit sigreturn frame cannot hold).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { discoverInvariants } from '../../src/check/discover.ts';
import { runExploration } from '../../src/check/explore/alphabet.ts';
import { explore } from '../../src/check/explore/explore.ts';
import { exploreStarts } from '../../src/check/explore-starts.ts';
import { generatorsFor } from '../../src/check/gen/events.ts';
import { kernelOf } from '../../src/check/session.ts';
import { WORLDS } from '../../src/check/worlds.ts';
import type { Design } from '../../src/kernel/index.ts';
import { reference } from '../reference-design.ts';

// linux-6.7, its lost step report fixed (test/reference-design.ts): "nothing on linux-6.7" judges every invariant.
const base = reference;
const invariants = (await discoverInvariants()).map((d) => d.invariant).filter((i) => !i.id.startsWith('sanity'));

describe('compat fast-return frames', () => {
  it('are drawn in 32-bit code (IP at the landing pad, CS __USER32_CS), and not in 64-bit code', () => {
    const frames = (compat: boolean) => fc.sample(generatorsFor({ ldt: [], compat })['user.syscall'][1], { numRuns: 400, seed: 1 })
      .flatMap((e) => ('frame' in e && e.frame ? [e.frame as Record<string, unknown>] : []));
    expect(frames(true).some((f) => f.rip === '$landing_pad' && f.cs === 0x23), '[FAIL] expected compat frames in 32-bit code').toBe(true);
    expect(frames(false).some((f) => f.rip === '$landing_pad' && f.cs === 0x23)).toBe(false);
  });

  for (const check of ['csIsUser32Cs', 'ssIsUserDs'] as const) {
    it(`catch the compat exit without its ${check} check by run's exploration (2 events), and nothing on linux-6.7`, () => {
      const mutant: Design = { ...base, name: `no-${check}`, knobs: { ...base.knobs, compatChecks: { ...base.knobs.compatChecks, [check]: false } } };
      const run = (d: Design) => explore({ invariants, cell: { kernel: kernelOf(d), vendor: 'intel', paging: 4 }, ...runExploration(), depth: 2 });
      const found = run(mutant).found;
      // Into 32-bit code, then the compat frame.
      expect(found?.raw.length, `[FAIL] expected a violation within 2 events without ${check}`).toBe(2);
      expect((found?.raw.at(-1) as { frame?: { rip?: string } } | undefined)?.frame?.rip).toBe('$landing_pad');
      expect(run(base).found).toBeNull();
    });
  }

  it('catch an IP compared in its low 16 bits (a patch predicate) by run\'s exploration: the frame with the IP one bit away above them', () => {
    // The compat checks as linux-6.7 has them, but for the width of the IP comparison.
    const low16: Design = {
      ...base, name: 'ip-low16', overrides: {
        compatFastEligible: ({ regs, landingPad }) => (regs.rip & 0xffffn) === (landingPad & 0xffffn) && regs.cs === 0x23n && regs.ss === 0x2bn && (regs.rflags & 0x30100n) === 0n,
      },
    };
    const found = explore({ invariants, cell: { kernel: kernelOf(low16), vendor: 'intel', paging: 4 }, ...runExploration(), depth: 2 }).found;
    expect(found?.raw.length, '[FAIL] expected a violation within 2 events').toBe(2);
    expect((found?.raw.at(-1) as { frame?: { rip?: string } } | undefined)?.frame?.rip).toBe('$landing_pad+0x10000');
  });

  it('hold RCX and RDX at the landing pad (SYSRETL\'s and SYSEXIT\'s return IP), so an IP test that reads RCX instead is caught in 2 events on both vendors', () => {
    // SDM Vol. 2B: SYSRETL loads EIP from ECX, SYSEXIT from EDX; Linux loads both from pt_regs->ip.
    const frames = fc.sample(generatorsFor({ ldt: [], compat: true })['user.syscall'][1], { numRuns: 400, seed: 1 })
      .flatMap((e) => ('frame' in e && e.frame ? [e.frame as Record<string, unknown>] : []));
    expect(frames.some((f) => f.rip !== '$landing_pad' && f.rcx === '$landing_pad' && f.cs === 0x23), '[FAIL] expected frames with the IP moved alone').toBe(true);
    const rcxTest: Design = {
      ...base, name: 'ip-from-rcx', overrides: {
        compatFastEligible: ({ regs, landingPad }) => regs.cs === 0x23n && regs.ss === 0x2bn && (regs.rip === landingPad || regs.rcx === landingPad) && (regs.rflags & 0x10100n) === 0n,
      },
    };
    for (const vendor of ['intel', 'amd'] as const) {
      const found = explore({ invariants, cell: { kernel: kernelOf(rcxTest), vendor, paging: 4 }, ...runExploration(), depth: 2 }).found;
      expect(found?.raw.length, `[FAIL] ${vendor}: expected a violation within 2 events`).toBe(2);
      expect(found?.invariant).toBe('pt-regs-coherence');
    }
  });

  it('catch an IP test written as a range over the landing pad\'s epilogue: the frame at its `ret`, where ECX is no longer popped', () => {
    const range: Design = {
      ...base, name: 'ip-epilogue-range', overrides: {
        compatFastEligible: ({ regs, landingPad }) => regs.cs === 0x23n && regs.ss === 0x2bn && regs.rip >= landingPad && regs.rip < landingPad + 4n && (regs.rflags & 0x10100n) === 0n,
      },
    };
    for (const vendor of ['intel', 'amd'] as const) {
      const found = explore({ invariants, cell: { kernel: kernelOf(range), vendor, paging: 4 }, ...runExploration(), depth: 2 }).found;
      expect(found?.raw.length, `[FAIL] ${vendor}: expected a violation within 2 events`).toBe(2);
      expect((found?.raw.at(-1) as { frame?: { rip?: string } } | undefined)?.frame?.rip).toBe('$landing_pad+0x3');
    }
  });
});

describe('a tracer\'s write of a 32-bit task\'s whole IP', () => {
  // A 64-bit tracer writes all 64 bits of pt_regs->ip (putreg has no range check); SYSRETL and
  // SYSEXIT load only ECX/EDX (SDM Vol. 2B), IRET faults on the non-canonical IP.
  it('catches an IP compared in its low 32 bits from the 32-bit start, on both vendors (the landing pad with bit 63 set, then the tracer lets go), and nothing on linux-6.7', () => {
    const low32: Design = {
      ...base, name: 'ip-low32', overrides: {
        compatFastEligible: ({ regs, landingPad }) => regs.cs === 0x23n && regs.ss === 0x2bn && (regs.rip & 0xffff_ffffn) === (landingPad & 0xffff_ffffn) && (regs.rflags & 0x10100n) === 0n,
      },
    };
    const world = WORLDS.find((w) => w.id === 'task1-32');
    const from32 = (d: Design, vendor: 'intel' | 'amd') => ({ kernel: kernelOf(d), vendor, paging: 4 as const, initial: world?.initial ?? {} });
    for (const vendor of ['intel', 'amd'] as const) {
      const { found } = exploreStarts(invariants, from32(low32, vendor), { depth: 2, decisions: new Map() });
      const f = found.get('sysret-iret-equivalence');
      expect(f, `[FAIL] ${vendor}: expected sysret-iret-equivalence violated`).toBeDefined();
      expect(f?.raw.map((e) => e.type).slice(-2)).toEqual(['tracer.setRegs', 'tracer.detach']);
      expect(exploreStarts(invariants, from32(base, vendor), { depth: 2, decisions: new Map() }).found.size, `[FAIL] ${vendor}: expected nothing on linux-6.7`).toBe(0);
    }
  });
});
