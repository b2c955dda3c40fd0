/**
 * The shapes of every `--json` output, as zod schemas: what tools reading entrycheck may rely
 * on. They describe what src/cli/run.ts, replay.ts (src/report/replay-report.ts), list.ts and
 * cosim.ts (src/cosim/report.ts) print after `stringify` (bigints as "0x..." hex strings), and
 * are strict: a field added there without adding it here fails the tests that parse real output
 * with these schemas. schemas/*-output.schema.json are generated from them.
 */
import { z } from 'zod';
import { knobsSchema } from '../kernel/index.ts';

/** A bigint as `stringify` writes it. */
const hex = z.string().regex(/^0x[0-9a-f]+$/, 'expected a hex string');
const int = z.number().int();
const vendor = z.enum(['intel', 'amd']);
const paging = z.union([z.literal(4), z.literal(5)]);

// ---- entrycheck run --json ------------------------------------------------------------------

const cellSchema = z.strictObject({
  invariant: z.string(), design: z.string(), vendor, paging,
  verdict: z.enum(['holds', 'violated', 'error']),
  expected: z.enum(['holds', 'violated']),
  runs: int,
  counterexample: z.strictObject({ file: z.string(), length: int }).nullable(),
  error: z.string().optional(),
});
const counts = z.record(z.string(), int);

/** `entrycheck run --json`. */
export const runOutputSchema = z.strictObject({
  ok: z.boolean(),
  cells: z.array(cellSchema),
  coverage: z.strictObject({ traces: int, events: counts, depth: counts, entries: counts, exits: counts }),
  /** Traces judged, their events, kernel micro-steps, and the CPU time of the whole process (all threads), milliseconds. */
  stats: z.strictObject({ traces: int, events: int, microSteps: int, cpuMs: int }),
});

// ---- entrycheck replay --json ---------------------------------------------------------------

const segment = z.strictObject({ sel: int, usable: z.boolean(), type: z.enum(['code', 'data', 'none']), l: z.boolean(), db: z.boolean(), dpl: int });
const regs = z.record(z.string(), hex);
const at = { at: int };

/** One observation (src/model/observations.ts) with the index of the event it happened in. */
export const observationSchema = z.discriminatedUnion('kind', [
  z.strictObject({ ...at, kind: z.literal('user-insn'), task: int, rip: hex, insn: z.string(), faulted: z.literal(true).optional() }),
  z.strictObject({
    ...at, kind: z.literal('return-to-user'), task: int, via: z.enum(['sysret', 'sysretl', 'sysexit', 'iret']),
    rip: hex, rsp: hex, rflags: hex, cs: int, ss: int,
    view: z.strictObject({ regs, rflags: hex, cs: segment, ss: segment, gsBase: hex }),
    pt: regs,
    act: z.strictObject({ id: int, cause: z.string(), vector: int, insn: hex.optional(), args: regs.optional(), rsp: hex.optional() }).nullable(),
  }),
  z.strictObject({ ...at, kind: z.literal('signal'), task: int, signal: int, code: int, siAddr: hex, rip: hex, fatal: z.boolean(), frame: hex.optional(), ctx: regs.optional() }),
  z.strictObject({ ...at, kind: z.literal('trap'), task: int, rip: hex }),
  z.strictObject({ ...at, kind: z.literal('ptrace-stop'), task: int, why: z.string(), rip: hex }),
  z.strictObject({
    ...at, kind: z.literal('kernel-failure'),
    what: z.enum(['unhandled-fault', 'user-stack', 'user-gs', 'double-fault', 'shutdown', 'hang', 'bug']), detail: z.string(),
  }),
  z.strictObject({ ...at, kind: z.literal('syscall-return'), task: int, nr: z.string(), value: hex }),
]);

const replayReportSchema = z.strictObject({
  file: z.string(),
  design: z.string(), vendor, paging,
  steps: z.array(z.strictObject({ index: int, event: z.string(), skipped: z.boolean(), changes: z.record(z.string(), z.tuple([z.string(), z.string()])) })),
  observations: z.array(observationSchema),
  /** Counterexample files only: every invariant the trace violates. */
  violations: z.array(z.strictObject({ invariant: z.string(), step: int, message: z.string() })).optional(),
});

/** `entrycheck replay --json`: one report for one file, an array for several. */
export const replayOutputSchema = z.union([replayReportSchema, z.array(replayReportSchema)]);

// ---- entrycheck list --json -----------------------------------------------------------------

/** `entrycheck list --json`. */
export const listOutputSchema = z.strictObject({
  designs: z.array(z.strictObject({ name: z.string(), source: z.string(), reconstructed: z.boolean(), knobs: knobsSchema.extend({ fmask: hex }) })),
  invariants: z.array(z.strictObject({
    id: z.string(), kind: z.enum(['state', 'step', 'differential']), summary: z.string(), source: z.string(), sanity: z.boolean(), file: z.string(),
  })),
});

// ---- entrycheck cosim --json ----------------------------------------------------------------

const cosimCounts = z.record(z.string(), int);
const cosimReport = z.strictObject({
  format: z.literal('entrycheck/cosim-report@1'),
  machine: z.strictObject({
    cpu: z.string(), vendor, paging, int80: z.boolean(), kernel: z.string(),
    vdso32: z.strictObject({ vsyscall: z.string(), landing: z.string() }).nullable(),
  }),
  design: z.string(), seed: int, traces: int, agreed: int, agreement: z.number(), minAgreement: z.number(), includePending: z.boolean(),
  elapsedMs: z.number(), out: z.string(),
  masked: cosimCounts, tracesMasked: int,
  stats: z.strictObject({
    traces: int, events: int, skippedModel: int, skippedReal: int, byType: cosimCounts, exits: cosimCounts, tracesWithExit: cosimCounts, tracesCompat: int,
  }),
  classes: z.array(z.strictObject({ class: z.string(), count: int, example: z.string().nullable() })),
});
const cosimSkipped = z.strictObject({ skipped: z.literal(true), reason: z.string() });
const cosimReplay = z.array(z.strictObject({
  file: z.string(), agree: z.boolean(), class: z.string().nullable(),
  differences: z.array(z.strictObject({ event: int, type: z.string(), field: z.string(), model: z.string(), real: z.string() })),
}));

/** `entrycheck cosim --json`: the report, the results of `--replay`, or why it was skipped. */
export const cosimOutputSchema = z.union([cosimReport, cosimReplay, cosimSkipped]);
