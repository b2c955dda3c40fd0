/**
 * Expected-observation files for the hand-written scenarios (test/scenarios/expected/NAME.json
 * beside test/scenarios/NAME.json; the convention is in test/scenarios/README.md): parsing, the
 * facts a kernel micro-step exposes, and the partial matcher. No assertions here: `check` returns
 * the list of mismatches.
 */
import { z } from 'zod';
import type { Paging } from '../../src/isa/index.ts';
import type { TraceRun } from '../../src/check/session.ts';
import { resolveValue } from '../../src/check/trace-file.ts';
import { isInternal } from '../../src/model/index.ts';

const partial = z.record(z.string(), z.unknown());
export const expectationSchema = z.strictObject({
  about: z.string(),
  on: z.array(z.strictObject({
    design: z.string().optional(), vendor: z.enum(['intel', 'amd']).optional(), paging: z.union([z.literal(4), z.literal(5)]).optional(),
  })).min(1).optional(),
  observations: z.array(partial).default([]),
  absent: z.array(partial).default([]),
  steps: z.array(partial).default([]),
});
/** One expected-observations file. */
export type Expectation = z.infer<typeof expectationSchema>;

/** What a kernel micro-step shows, taken just before it runs. */
function stepFacts(run: TraceRun): Array<Record<string, unknown>> {
  return run.micro.map((r) => ({
    at: r.event, where: run.kernel.describe(r.rip), path: r.step.path, name: r.step.name, task: r.before.k.current,
    cpl: r.before.cpu.cs.sel & 3, gsBase: r.before.cpu.gsBase, rsp: r.before.cpu.regs.rsp, cr2: r.before.cpu.cr2,
    if: (r.before.cpu.rflags & 0x200n) !== 0n,
  }));
}

/** True when `actual` has every field of `want` (recursively); hex strings and "$symbols" are numbers. */
export function matches(actual: unknown, want: unknown, paging: Paging, file: string): boolean {
  if (want !== null && typeof want === 'object' && !Array.isArray(want)) {
    if (actual === null || typeof actual !== 'object') return false;
    return Object.entries(want).every(([k, v]) => matches((actual as Record<string, unknown>)[k], v, paging, file));
  }
  if (typeof want === 'string' && /^(0x|\$)/.test(want)) {
    const v = resolveValue(want, paging, 'expected', file);
    return typeof actual === 'bigint' ? actual === v : typeof actual === 'number' ? BigInt(actual) === v : false;
  }
  if (typeof want === 'number' && typeof actual === 'bigint') return actual === BigInt(want);
  return actual === want;
}

const show = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `0x${x.toString(16)}` : x));

/** Checks `want` as an ordered subsequence of `items`; returns a message for the first miss. */
function inOrder(items: ReadonlyArray<Record<string, unknown>>, want: ReadonlyArray<Record<string, unknown>>, what: string, paging: Paging, file: string): string[] {
  let from = 0;
  for (const [n, w] of want.entries()) {
    const i = items.findIndex((it, j) => j >= from && matches(it, w, paging, file));
    if (i < 0) return [`${what}[${n}] ${show(w)} not found (in order) after item ${from}`];
    from = i + 1;
  }
  return [];
}

/** The observations a scenario is checked against (internal ones left out), each with its event index. */
export function observed(run: TraceRun): Array<Record<string, unknown>> {
  return run.result.observations.filter((t) => !isInternal(t.o)).map((t) => ({ at: t.at, ...t.o }) as Record<string, unknown>);
}

/** Every mismatch between a replayed scenario and its expectation. */
export function check(run: TraceRun, e: Expectation, file: string): string[] {
  const obs = observed(run);
  const out = [
    ...inOrder(obs, e.observations, 'observations', run.paging, file),
    ...inOrder(stepFacts(run), e.steps, 'steps', run.paging, file),
  ];
  for (const [n, w] of e.absent.entries()) {
    const hit = obs.find((o) => matches(o, w, run.paging, file));
    if (hit) out.push(`absent[${n}] ${show(w)} appeared: ${show(hit)}`);
  }
  const listsFailure = e.observations.some((w) => w.kind === 'kernel-failure');
  if (!listsFailure) for (const o of obs) if (o.kind === 'kernel-failure') out.push(`unexpected kernel failure: ${show(o)}`);
  return out;
}
