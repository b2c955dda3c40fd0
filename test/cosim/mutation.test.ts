/**
 * Mutation-testing the oracle: every single-condition mutant of linux-6.7's SYSRET and SYSRETL
 * tests (src/cosim/mutants.ts) runs on the same generated traces as the machine; each one the
 * host's vendor can tell apart must lose agreement within 3,000 traces, and linux-6.7 itself
 * must keep it. The mutants no host (or not this vendor) can tell apart are checked to be
 * exactly that: the mutant's exit choice did differ, and still nothing user-visible did.
 * Runs where the harness can (x86-64 Linux, a C compiler, ptrace); the vendor is in the title.
 */
import { describe, expect, it } from 'vitest';
import { compareRuns, type Comparison } from '../../src/cosim/compare.ts';
import { detectPlatform } from '../../src/cosim/detect.ts';
import { runModel } from '../../src/cosim/model-run.ts';
import { MUTANTS, type Mutant } from '../../src/cosim/mutants.ts';
import { hostOf, runGenerated, vdsoPair } from '../../src/cosim/run.ts';
import type { SideRun } from '../../src/cosim/types.ts';

const platform = detectPlatform();
const vendor = platform.ok ? platform.vendor : 'no harness';
const TRACES = 3000;
const SEED = 1;

interface Outcome {
  readonly mutant: Mutant;
  /** Index of the first trace that disagrees, or null. */
  detectedAt: number | null;
  first: Comparison | null;
  firstModel: SideRun | null;
  firstReal: SideRun | null;
  /** Traces whose exit instructions differ from linux-6.7's (the condition was reached). */
  exitDiffers: number;
}

const exitsOf = (r: SideRun): string => r.records.map((x) => (x.exits ?? []).join()).join('|');

async function mutate(): Promise<{ base: number; outcomes: Outcome[] }> {
  if (!platform.ok) throw new Error('unreachable');
  const outcomes: Outcome[] = MUTANTS.map((mutant) => ({ mutant, detectedAt: null, first: null, firstModel: null, firstReal: null, exitDiffers: 0 }));
  let base = 0;
  await runGenerated(platform, TRACES, SEED, {}, (index, g, real) => {
    if (!compareRuns(g.events, g.model, real, { vdso: vdsoPair(platform, outcomes[0]?.mutant.design ?? MUTANTS[0]!.design) }).agree) base++;
    for (const o of outcomes) {
      if (o.detectedAt !== null) continue;
      const model = runModel(o.mutant.design, platform.vendor, platform.paging, g.events, hostOf(platform));
      if (exitsOf(model) !== exitsOf(g.model)) o.exitDiffers++;
      const c = compareRuns(g.events, model, real, { vdso: vdsoPair(platform, o.mutant.design) });
      if (!c.agree) Object.assign(o, { detectedAt: index, first: c, firstModel: model, firstReal: real });
    }
  });
  return { base, outcomes };
}

/** The AMD RIP mutants differ only in when the fetch fault comes (see mutants.ts RIP_WHY). */
function onlyDeferredFault(o: Outcome): boolean {
  const d = o.first?.differences[0];
  if (!d || !o.firstModel || !o.firstReal) return false;
  const m = o.firstModel.records[d.event];
  const r = o.firstReal.records[d.event];
  const rip = m?.regs?.[16] ?? 0n;
  const nonCanonical = rip >= 1n << 47n && rip < 0xffff_8000_0000_0000n;
  return m?.state === 'boundary' && m.signals.length === 0 && nonCanonical && r?.signals[0]?.signo === 11 && r.signals[0].rip === rip;
}

describe(`mutation testing the co-simulation oracle (${vendor})`, () => {
  it.skipIf(!platform.ok)(`detects every exit-condition mutant ${vendor} can tell apart within ${TRACES} traces`, async () => {
    const { base, outcomes } = await mutate();
    expect(base, 'linux-6.7 itself disagrees').toBe(0);
    for (const o of outcomes) {
      const visible = o.mutant.visibleOn.includes(vendor as 'intel' | 'amd');
      if (visible) {
        expect.soft(o.detectedAt, `${o.mutant.name} not detected`).not.toBeNull();
      } else if (o.detectedAt !== null) {
        // Told apart although no user-visible difference exists on this vendor: only the RIP
        // mutants on AMD, through the model's lazy fetch fault after a SYSRET to a
        // non-canonical RIP (a real AMD CPU faults there at once, in user mode).
        expect.soft(o.mutant.name, `${o.mutant.name} detected where no difference should exist`).toMatch(/^sysret-rip/);
        expect.soft(onlyDeferredFault(o), `${o.mutant.name}: detected by something else than the deferred fetch fault`).toBe(true);
      } else if (o.mutant.name === 'sysret-rip-task-size-off-by-one') {
        // The equivalent mutant: its SYSRET at TASK_SIZE_MAX was taken, and nobody could tell.
        expect.soft(o.exitDiffers, `${o.mutant.name}: never reached`).toBeGreaterThan(0);
      } else {
        // RF/TF and VM at a 32-bit fast call's return are not generated (mutants.ts says why).
        expect.soft(o.exitDiffers, `${o.mutant.name}: its condition was reached`).toBe(0);
      }
    }
  }, 600_000);
});
