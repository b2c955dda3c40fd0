/**
 * Reviewing a trace (src/check/review.ts): every invariant judged on one replay; the exit status
 * of a plain trace (a real violation or a throw fails it, a reachability claim does not) and of
 * a counterexample (its recorded violation reproduces); the micro-step a micro-step check failed
 * at; the fork point and both branches of a differential violation; broken user files that
 * block only themselves.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCounterexample, designOf } from '../../src/check/counterexample.ts';
import { brokenProperties, discoverInvariants } from '../../src/check/discover.ts';
import { allDesigns, brokenDesigns, loadDesigns } from '../../src/check/designs.ts';
import { defineInvariant } from '../../src/check/invariant.ts';
import { toTraceEvents } from '../../src/check/operands.ts';
import { review } from '../../src/check/review.ts';
import { findDesign, type Design } from '../../src/kernel/index.ts';
import type { Observation } from '../../src/model/index.ts';

const invariants = (await discoverInvariants()).map((d) => d.invariant);
const d = (name: string): Design => findDesign(name) as Design;
const ce = (rel: string) => {
  const file = new URL(`../../counterexamples/${rel}`, import.meta.url).pathname;
  return parseCounterexample(readFileSync(file, 'utf8'), file);
};

describe('review', () => {
  it('a plain trace: status 0 when only reachability claims are violated, 1 when a real invariant is', () => {
    const quiet = review({ design: d('linux-6.7'), vendor: 'intel', paging: 4, trace: [{ type: 'user.syscall', nr: 'getpid' }], invariants, micro: false });
    expect(quiet.findings).toEqual([]);
    expect(quiet.status).toBe(0);
    expect(quiet.recorded).toBeNull();
    const c = ce('sysret-iret-equivalence/linux-3.19-intel-4-d02b71388c.json');
    const plain = review({ design: designOf(c), vendor: c.vendor, paging: c.paging, trace: toTraceEvents(c.events, 'f'), invariants, micro: false });
    expect(plain.status).toBe(1);
    expect(plain.findings.filter((f) => f.sanity).map((f) => f.invariant)).toEqual(['sanity-switch-mid-syscall']);
    const onlySanity = review({ design: designOf(c), vendor: c.vendor, paging: c.paging, trace: toTraceEvents(c.events, 'f'), invariants: invariants.filter((i) => i.sanity), micro: false });
    expect(onlySanity.findings.length).toBeGreaterThan(0);
    expect(onlySanity.status).toBe(0);
  });

  it('a counterexample: status 1 exactly when its recorded violation reproduces', () => {
    const c = ce('sysret-iret-equivalence/linux-3.19-intel-4-d02b71388c.json');
    const base = { design: designOf(c), vendor: c.vendor, paging: c.paging, trace: toTraceEvents(c.events, 'f'), invariants, micro: false };
    const r = review({ ...base, recorded: { invariant: c.invariant, step: c.failure.step } });
    expect(r.recorded).toEqual({ invariant: 'sysret-iret-equivalence', step: c.failure.step, reproduced: true });
    expect(r.findings.find((f) => f.recorded)?.invariant).toBe('sysret-iret-equivalence');
    expect(r.status).toBe(1);
    // On a design with the fix, the same trace no longer reproduces it: status 0, other verdicts aside.
    const fixed = review({ ...base, design: d('linux-6.7'), recorded: { invariant: c.invariant, step: c.failure.step } });
    expect(fixed.recorded?.reproduced).toBe(false);
    expect(fixed.status).toBe(0);
  });

  it('names the fork point of a differential violation, with both branches, and its micro-step', () => {
    const c = ce('sysret-iret-equivalence/linux-3.19-intel-4-d02b71388c.json');
    const r = review({ design: designOf(c), vendor: c.vendor, paging: c.paging, trace: toTraceEvents(c.events, 'f'), invariants, micro: true });
    const f = r.findings.find((x) => x.invariant === 'sysret-iret-equivalence');
    expect(f?.fork?.via).toBe('sysret');
    expect(f?.where).toMatch(/^sysret_exit\+0 /);
    const rcx = (obs: readonly Observation[]) => { const o = obs.find((x) => x.kind === 'return-to-user'); return o?.kind === 'return-to-user' ? o.view.regs.rcx : undefined; };
    expect(rcx(f?.fork?.actual ?? [])).toBe(0x400102n);
    expect(rcx(f?.fork?.alternative ?? [])).toBe(0n);
    const m = r.run.micro[f?.micro ?? -1];
    expect(m?.event).toBe(f?.step);
    expect(r.run.kernel.describe(m?.rip ?? 0n)).toBe(f?.where);
  });

  it('finds the micro-step a micro-granularity check failed at', () => {
    const c = ce('cr2-coherence/linux-3.19-intel-4-4a5d928413.json');
    const r = review({ design: designOf(c), vendor: c.vendor, paging: c.paging, trace: toTraceEvents(c.events, 'f'), invariants, micro: true });
    for (const f of r.findings.filter((x) => x.where !== undefined && x.fork === undefined)) {
      const m = r.run.micro[f.micro ?? -1];
      expect(m, f.invariant).toBeDefined();
      expect(m?.event).toBe(f.step);
      expect(r.run.kernel.describe(m?.rip ?? 0n)).toBe(f.where);
    }
  });

  it('keeps a throwing check to its own invariant and fails a plain trace for it', () => {
    const boom = defineInvariant({ id: 'boom', kind: 'state', summary: 's', source: 't', check() { throw new Error('no'); } });
    const r = review({ design: d('linux-6.7'), vendor: 'intel', paging: 4, trace: [{ type: 'user.nop' }], invariants: [boom, ...invariants], micro: false });
    expect(r.errors).toEqual([{ invariant: 'boom', message: expect.stringMatching(/^invariant boom threw: no \(at .*review\.test\.ts:\d+:\d+\)$/), recorded: false }]);
    expect(r.holds.length).toBe(invariants.length);
    expect(r.status).toBe(1);
  });
});

describe('broken user files block only themselves', () => {
  const SRC = new URL('../../src/index.ts', import.meta.url).pathname;
  it('a design file that does not load is left out and named; the others load', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ec-designs-'));
    writeFileSync(join(dir, 'a-broken.ts'), 'export default {;\n');
    writeFileSync(join(dir, 'b-good.ts'), `import { findDesign, variant } from '${SRC}';\nexport default variant(findDesign('linux-6.7')!, 'b-good', {});\n`);
    await expect(loadDesigns(dir)).rejects.toThrow(/a-broken\.ts: cannot load/);
    await loadDesigns(dir, { tolerant: true });
    expect(allDesigns().map((x) => x.name)).toContain('b-good');
    expect(brokenDesigns()).toEqual([expect.objectContaining({ name: 'a-broken', message: expect.stringMatching(/a-broken\.ts: cannot load/) })]);
    await loadDesigns(mkdtempSync(join(tmpdir(), 'ec-empty-')), { tolerant: true });
    expect(brokenDesigns()).toEqual([]);
  });

  it('a property file that throws or exports something else is left out and named; the others load', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ec-props-'));
    writeFileSync(join(dir, 'bad.ts'), 'throw new Error("half-written");\n');
    writeFileSync(join(dir, 'other.ts'), 'export default 42;\n');
    writeFileSync(join(dir, 'good.ts'), `import { defineInvariant } from '${SRC}';\nexport default defineInvariant({ id: 'good', kind: 'state', summary: 's', source: 't', check: () => true });\n`);
    await expect(discoverInvariants(dir)).rejects.toThrow(/bad\.ts: cannot load: "half-written"/);
    const found = await discoverInvariants(dir, { tolerant: true });
    expect(found.map((x) => x.invariant.id)).toEqual(['good']);
    expect(brokenProperties().map((b) => [b.name, b.file])).toEqual([['bad', 'properties/bad.ts'], ['other', 'properties/other.ts']]);
  });
});
