/**
 * Mutation testing: the mutant generator (every single-knob change the schema allows, feature
 * knobs left alone) and the scoring (killed by an invariant with its trace; suspected equivalent
 * when user mode sees no difference).
 */
import { describe, expect, it } from 'vitest';
import { discoverInvariants } from '../../src/check/discover.ts';
import { mutate, mutationScore } from '../../src/check/mutate.ts';
import { FEATURE_KNOBS, mutantsOf } from '../../src/check/mutants.ts';
import { findDesign, type Design } from '../../src/kernel/index.ts';

const linux67 = findDesign('linux-6.7') as Design;
const invariants = (await discoverInvariants()).map((d) => d.invariant).filter((i) => i.sanity !== true);

describe('mutantsOf', () => {
  const ms = mutantsOf(linux67);
  const changes = ms.map((m) => m.change);

  it('removes each SYSRET check, moves the RIP test one step, drops each FMASK flag', () => {
    for (const k of ['rcxEqualsRip', 'r11EqualsFlags', 'rfClear', 'tfClear', 'csIsUserCs', 'ssIsUserDs']) expect(changes).toContain(`sysretChecks.${k}: true -> false`);
    // below-task-size-max is the last of the RIP tests: one step weaker only.
    expect(changes.filter((c) => c.startsWith('sysretChecks.rip'))).toEqual(['sysretChecks.rip: below-task-size-max -> canonical']);
    expect(changes).toContain('fmask: AC dropped (0x257fd5 -> 0x217fd5)');
    expect(changes.filter((c) => c.startsWith('fmask'))).toHaveLength(15); // 0x257fd5 has 15 bits set
  });

  it('changes one knob each, names each as a design, and leaves feature knobs alone', () => {
    for (const m of ms) {
      const diff = Object.keys(m.design.knobs).filter((k) => JSON.stringify((m.design.knobs as Record<string, unknown>)[k], (_, v) => (typeof v === 'bigint' ? String(v) : v))
        !== JSON.stringify((linux67.knobs as Record<string, unknown>)[k], (_, v) => (typeof v === 'bigint' ? String(v) : v)));
      expect(diff, m.name).toHaveLength(1);
      expect(m.name).toMatch(/^linux-6\.7__[a-z0-9._-]+$/);
      expect(FEATURE_KNOBS.has(diff[0] as string)).toBe(false);
    }
    expect(new Set(ms.map((m) => m.name)).size).toBe(ms.length);
  });
});

describe('mutate', () => {
  it('kills the removed CS check by a 1-event trace and calls the weaker RIP test (guard page only) equivalent', () => {
    const rs = mutate({
      base: linux67, invariants, cells: [{ vendor: 'intel', paging: 4 }], runs: 30, seed: 1, search: { exploreDepth: 1 },
      only: ['sysretchecks.csisusercs', 'sysretchecks.rip-canonical'],
    });
    const cs = rs.find((r) => r.change.startsWith('sysretChecks.csIsUserCs'));
    expect(cs?.status).toBe('killed');
    expect(cs?.killer?.events).toHaveLength(1);
    expect(rs.find((r) => r.change.startsWith('sysretChecks.rip'))?.status).toBe('equivalent');
    expect(mutationScore(rs)).toEqual({ killed: 1, survived: 0, timing: 0, equivalent: 1, score: 1, withoutTiming: 1 });
  });

  it('tells a survivor seen without hardware events (the guard page) from one seen only with them (SYSEXIT for SYSENTER: a shorter path moves where an interrupt lands)', () => {
    const rs = mutate({
      base: linux67, invariants, cells: [{ vendor: 'intel', paging: 4 }], runs: 300, seed: 20261121, search: { exploreDepth: 0 },
      only: ['guardpage', 'sysenterreturn'],
    });
    const guard = rs.find((r) => r.change.startsWith('guardPage'));
    expect(guard?.status, '[FAIL] expected the mapped top page to be seen by a plain trace').toBe('survived');
    expect(guard?.differs?.some((e) => e.type.startsWith('hw.'))).toBe(false);
    const irq = rs.find((r) => r.change.startsWith('sysenterReturn'));
    expect(irq?.status).toBe('timing');
    expect(irq?.differs?.some((e) => e.type.startsWith('hw.'))).toBe(true);
    expect(mutationScore(rs)).toMatchObject({ killed: 0, survived: 1, timing: 1, score: 0, withoutTiming: 0 });
  });

  it('calls NMIs from user mode on the IST stack equivalent: their IRET to user mode is seen as a resume, and a second resume with nothing run between is not seen', () => {
    const rs = mutate({
      base: linux67, invariants, cells: [{ vendor: 'intel', paging: 4 }], runs: 30, seed: 1, search: { exploreDepth: 1 },
      only: ['nmifromuser'],
    });
    expect(rs.map((r) => r.status), '[FAIL] expected no difference user mode can see').toEqual(['equivalent']);
  });
});
