/**
 * One replay judges every invariant: the verdict of each invariant in a joint judgement is the
 * verdict it gets alone (the same first violation, at the same step), on random traces of
 * designs with known flaws; the differential never throws, even after the kernel died and with
 * symbolic operands still to resolve; a check that throws is an error of its invariant only.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { traceArbitrary } from '../../src/check/arbitrary.ts';
import { discoverInvariants } from '../../src/check/discover.ts';
import { evaluate, judge } from '../../src/check/evaluate.ts';
import { defineInvariant } from '../../src/check/invariant.ts';
import { toTraceEvents } from '../../src/check/operands.ts';
import { kernelOf } from '../../src/check/session.ts';
import { findDesign, variant, type Design } from '../../src/kernel/index.ts';

const invariants = (await discoverInvariants()).map((d) => d.invariant);
const d = (name: string): Design => findDesign(name) as Design;

describe('judging every invariant in one replay', () => {
  it('gives each invariant the verdict it gets alone', () => {
    const traces = fc.sample(traceArbitrary(12), { seed: 7, numRuns: 40 });
    for (const name of ['linux-3.19', 'opportunistic-sysret-2015', 'irqs-on-syscall-entry', 'linux-6.7']) {
      const cell = { kernel: kernelOf(d(name)), vendor: 'amd' as const, paging: 4 as const };
      for (const raw of traces) {
        const t = toTraceEvents(raw, 'test');
        const joint = judge(invariants, cell, t);
        for (const inv of invariants) {
          expect(joint.violations.get(inv.id) ?? null, `${inv.id} on ${name}: ${JSON.stringify(raw)}`).toEqual(evaluate(inv, cell, t).violation);
        }
      }
    }
  });

  it('runs the differential after a kernel failure without throwing (an NMI handled off its IST stack)', () => {
    const offIst = variant(d('linux-6.7'), 'nmi-off-ist', { ist: { ...d('linux-6.7').knobs.ist, nmi: false } });
    const cell = { kernel: kernelOf(offIst), vendor: 'intel' as const, paging: 4 as const };
    const raw = [{ type: 'user.syscall', nr: 'getpid' }, { type: 'hw.nmi', after: 1 }, { type: 'user.syscall', nr: 'getpid' },
      { type: 'user.access', addr: '$user_data+0x10', write: true }, { type: 'tracer.watch', addr: '$next' }] as const;
    const j = judge(invariants, cell, toTraceEvents([...raw], 'test'));
    expect(j.errors.size).toBe(0);
    expect(j.run.final.k.halted).not.toBeNull();
    expect(j.violations.get('kernel-health')?.message).toMatch(/^expected a healthy kernel/);
  });

  it('keeps a throwing check to its own invariant, with where it threw', () => {
    const boom = defineInvariant({ id: 'boom', kind: 'state', summary: 'throws', source: 'test', check() { throw new Error('no'); } });
    const cell = { kernel: kernelOf(d('linux-6.7')), vendor: 'intel' as const, paging: 4 as const };
    const kh = invariants.find((i) => i.id === 'kernel-health');
    const j = judge([boom, ...(kh ? [kh] : [])], cell, [{ type: 'user.nop' }]);
    expect(j.errors.get('boom')).toMatch(/^invariant boom threw: no \(at .*judge\.test\.ts:\d+:\d+\)$/);
    expect(j.errors.has('kernel-health')).toBe(false);
  });
});
