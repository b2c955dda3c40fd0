/**
 * The shapes of every `--json` output, as zod schemas: what tools reading entrycheck may rely
 * on. They describe what src/cli/run.ts, replay.ts (src/report/replay-report.ts), list.ts and
 * cosim.ts (src/cosim/report.ts) print after `stringify` (bigints as "0x..." hex strings), and
 * are strict: a field added there without adding it here fails the tests that parse real output
 * with these schemas. schemas/*-output.schema.json are generated from them.
 */
import { z } from 'zod';
import { knobsSchema } from '../kernel/index.ts';
import { eventSchema, initialSchema } from './trace-file.ts';

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
  /** The expected verdict's reason (expected-verdicts.json), null for cells that are simply expected to hold. */
  why: z.string().nullable(),
  /** A reachability claim (properties/_sanity): expected to be violated. */
  sanity: z.boolean(),
  runs: int,
  counterexample: z.strictObject({ file: z.string(), length: int }).nullable(),
  error: z.string().optional(),
});
const counts = z.record(z.string(), int);

/** `entrycheck run --json`. */
export const runOutputSchema = z.strictObject({
  ok: z.boolean(),
  /** The run's seed and budget, and its shard ("I/N"; "all/N" for N shards merged by entrycheck merge). */
  params: z.strictObject({ seed: int, runs: int, shard: z.string().regex(/^(\d+|all)\/\d+$/) }),
  cells: z.array(cellSchema),
  coverage: z.strictObject({
    traces: int, events: counts, depth: counts, entries: counts, exits: counts,
    /** Design -> decision -> its conditions and the distinct condition vectors seen (bit i: condition i; the next bit: the outcome). */
    decisions: z.record(z.string(), z.record(z.string(), z.strictObject({ conditions: z.array(z.string()), vectors: z.array(int) }))),
  }),
  /** Decision coverage worked out from coverage.decisions: per design and decision, each condition seen true, false, and shown to decide the outcome alone (MC/DC). */
  mcdc: z.record(z.string(), z.record(z.string(), z.strictObject({
    outcomes: z.array(z.boolean()),
    conditions: z.array(z.strictObject({ condition: z.string(), seenTrue: z.boolean(), seenFalse: z.boolean(), independent: z.boolean() })),
  }))),
  /**
   * The guided search's traces judged, their events and kernel micro-steps; the exhaustive phase's
   * traces judged and distinct states (added up over groups and starts); and the CPU time of the
   * whole process (all threads), milliseconds.
   */
  stats: z.strictObject({ traces: int, events: int, microSteps: int, exploredTraces: int, exploredStates: int, cpuMs: int }),
  /** Design and property files that could not be loaded and were left out (the run is then not ok). */
  broken: z.array(z.strictObject({ file: z.string(), message: z.string() })),
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
  z.strictObject({ ...at, kind: z.literal('user-resume'), task: int, view: z.strictObject({ regs, rflags: hex, cs: segment, ss: segment, gsBase: hex }) }),
  z.strictObject({ ...at, kind: z.literal('ptrace-stop'), task: int, why: z.string(), rip: hex }),
  z.strictObject({
    ...at, kind: z.literal('kernel-failure'),
    what: z.enum(['unhandled-fault', 'user-stack', 'user-gs', 'double-fault', 'shutdown', 'hang', 'bug']), detail: z.string(),
  }),
  z.strictObject({ ...at, kind: z.literal('syscall-return'), task: int, nr: z.string(), value: hex }),
]);

/** A state field's value (src/report/fields.ts): registers, CR2, GS base as hex; CPL, task as numbers; segments, tasks, pending and armed events as objects; contexts as names. */
const fieldValue = z.union([
  hex, int, z.boolean(), z.string(), z.array(z.string()), segment,
  z.strictObject({ mode: z.string(), compat: z.boolean(), flags: z.array(z.string()), tsCompat: z.boolean() }),
  z.strictObject({ nmi: z.boolean(), irq: z.array(int) }),
  z.array(z.strictObject({ kind: z.enum(['irq', 'nmi', 'ldt', 'mce']), vector: int, in: int })),
]);
/** What a step or micro-step changed: each field before and after (null: the field did not exist). */
const changes = z.record(z.string(), z.strictObject({ before: fieldValue.nullable(), after: fieldValue.nullable() }));

const replayReportSchema = z.strictObject({
  /** The file, or "seed S path P" for replay --seed --path. */
  file: z.string(),
  design: z.string(), vendor, paging,
  /** What the trace's start overrides in the model's initial state (a trace file's or counterexample's `initial`); absent when nothing. */
  initial: initialSchema.optional(),
  steps: z.array(z.strictObject({
    index: int,
    /** The event as it ran (symbols resolved, values hex); null for the final drain. */
    event: eventSchema.nullable(),
    text: z.string(),
    skipped: z.boolean(),
    changes,
    /** With --verbose: every kernel micro-step of this event. */
    micro: z.array(z.strictObject({ index: int, at: z.string(), rip: hex, path: z.string(), name: z.string(), changes })).optional(),
  })),
  observations: z.array(observationSchema),
  /** Every violated invariant (reachability claims marked sanity), [] when none. */
  violations: z.array(z.strictObject({
    invariant: z.string(), step: int, message: z.string(),
    /** The message with the fields that are equal on both sides left out. */
    brief: z.string(),
    sanity: z.boolean(),
    /** The violation a counterexample file recorded. */
    recorded: z.boolean(),
    /** The kernel micro-step, for micro-step checks and fork points. */
    where: z.string().nullable(),
    /** With --verbose: the index of that micro-step in steps[].micro[].index. */
    micro: int.nullable(),
  })),
  /** Invariants whose own check threw. */
  errors: z.array(z.strictObject({ invariant: z.string(), message: z.string(), recorded: z.boolean() })),
  /** Invariants judged that hold. */
  holds: z.array(z.string()),
  /** A counterexample's recorded failure and whether it reproduced; null for a plain trace. */
  recorded: z.strictObject({ invariant: z.string(), step: int, reproduced: z.boolean() }).nullable(),
  summary: z.strictObject({ violated: int, sanityReached: int, threw: int, hold: int }),
  /** The exit status this file gives (1: the recorded violation reproduces; for a plain trace, a real violation or a throw). */
  status: z.union([z.literal(0), z.literal(1)]),
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
  /** Design and property files that could not be loaded, and why. */
  broken: z.array(z.strictObject({ file: z.string(), message: z.string() })),
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
