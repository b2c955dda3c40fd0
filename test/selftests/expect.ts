/**
 * Expectation files of the selftest corpus (test/selftests/expected/NAME.json beside
 * test/selftests/NAME.json): the scenario-file checker of test/scenarios (ordered partial
 * observations, absent ones, kernel micro-steps) plus where the scenario comes from (the
 * selftest file, the stored commit read, the assertion it makes) and partial states after an
 * event (task pt_regs and CPU registers, for assertions about what a tracer or user code reads).
 */
import { z } from 'zod';
import type { TraceRun } from '../../src/check/session.ts';
import { check as checkObservations, expectationSchema, matches, observed } from '../scenarios/expect.ts';

const partial = z.record(z.string(), z.unknown());
/** One selftest expectation file. */
export const selftestSchema = expectationSchema.extend({
  selftest: z.string().regex(/^tools\/testing\/selftests\/x86\/[a-z0-9_]+\.c$/),
  commit: z.string().regex(/^[0-9a-f]{40}$/),
  asserts: z.string(),
  states: z.array(z.strictObject({
    after: z.number().int().min(0), task: z.number().int().min(0).default(1),
    pt: partial.optional(), regs: partial.optional(), cpu: partial.optional(), task_: partial.optional(),
  })).default([]),
  /** Exact counts: how many observations match each pattern (e.g. "exactly one SIGTRAP"). */
  counts: z.array(z.strictObject({ match: partial, n: z.number().int().min(0) })).default([]),
});
/** A parsed selftest expectation. */
export type SelftestExpectation = z.infer<typeof selftestSchema>;

const show = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `0x${x.toString(16)}` : x));

/** Every mismatch: the observation checker's, then each state expectation ("expected X, got Y"). */
export function check(run: TraceRun, e: SelftestExpectation, file: string): string[] {
  const out = checkObservations(run, e, file);
  const obs = observed(run);
  for (const c of e.counts) {
    const n = obs.filter((o) => matches(o, c.match, run.paging, file)).length;
    if (n !== c.n) out.push(`expected ${c.n} observation(s) matching ${show(c.match)}, got ${n}`);
  }
  for (const s of e.states) {
    const m = run.result.states[s.after + 1];
    const t = m?.k.tasks[s.task];
    if (m === undefined || t === undefined) { out.push(`states: no task ${s.task} after event ${s.after}`); continue; }
    const cpu = { ...m.cpu, cs: m.cpu.cs.sel, ss: m.cpu.ss.sel, ssUsable: m.cpu.ss.usable };
    for (const [what, want, got] of [['pt', s.pt, t.regs], ['regs', s.regs, m.cpu.regs], ['cpu', s.cpu, cpu], ['task', s.task_, t]] as const) {
      if (want !== undefined && !matches(got, want, run.paging, file)) {
        const picked = Object.fromEntries(Object.keys(want).map((k) => [k, (got as Record<string, unknown>)[k]]));
        out.push(`expected ${what} of task ${s.task} after event ${s.after} to have ${show(want)}, got ${show(picked)}`);
      }
    }
  }
  return out;
}
