/**
 * The `--json` outputs of the two search commands, `explore` and `mutate`, as zod schemas (the
 * others are in output-schemas.ts, with the same conventions: what the command prints after
 * `stringify`, strict, bigints as "0x..." strings). schemas/explore-output.schema.json and
 * mutate-output.schema.json are generated from them.
 */
import { z } from 'zod';
import { eventSchema, initialSchema } from './trace-file.ts';

const int = z.number().int();
const vendor = z.enum(['intel', 'amd']);
const paging = z.union([z.literal(4), z.literal(5)]);

/** `entrycheck explore --json`. */
export const exploreOutputSchema = z.strictObject({
  format: z.literal('entrycheck/explore@1'),
  design: z.string(), vendor, paging,
  /** The machine the traces start from (check/worlds.ts: `model`, `task2-64` with task 2 a 64-bit process, or `task1-32` with task 1 a 32-bit one and task 2 64-bit). */
  start: z.string(),
  /** The depth asked for, the number of events in the alphabet, the shard explored. */
  depth: int, alphabet: int, shard: z.strictObject({ index: int, count: int }),
  /** --every-boundary: each trace was also extended by an IRQ and an NMI at every boundary of its kernel run that takes one. */
  everyBoundary: z.boolean(),
  /** Every trace up to `depth` was judged (false when a violation or --max-states stopped it). */
  complete: z.boolean(),
  depthDone: int,
  /** Distinct states (by fingerprint) and traces judged. */
  states: int, traces: int, ms: int,
  /** The first violation, a shortest one (breadth first), and the counterexample file saved. */
  found: z.strictObject({ invariant: z.string(), length: int, message: z.string(), file: z.string().optional() }).nullable(),
  /** Invariants whose own check threw, with the message. */
  errors: z.record(z.string(), z.string()),
});

const mutantSchema = z.strictObject({
  mutant: z.string(), change: z.string(), vendor, paging,
  status: z.enum(['killed', 'survived', 'timing', 'shifted', 'repair', 'equivalent']),
  /**
   * Killed: the invariant that did it, its message and minimal trace; baseFails: the invariant
   * fails on the base design too (elsewhere), so the kill may show the base's flaw on a path the mutant opens.
   */
  killer: z.strictObject({
    invariant: z.string(), message: z.string(), events: z.array(eventSchema), baseFails: z.boolean(),
    /** The initial state's overrides the trace starts from, as a trace file's (absent: the model's own). */
    initial: initialSchema.optional(),
  }).optional(),
  /** Survived, timing, shifted or repair: a trace on which user mode sees a difference from the base design (timing and shifted: every such trace has hardware events). */
  differs: z.array(eventSchema).optional(),
  /** Repair: on every trace where they differ the base fails an invariant the mutant holds; this one on `differs`. */
  repairs: z.string().optional(),
  /** A pair of mutants each suspected equivalent alone, changed together (`--pairs`). */
  pair: z.boolean().optional(),
});

/** `entrycheck mutate --json`. */
export const mutateOutputSchema = z.strictObject({
  format: z.literal('entrycheck/mutate@1'),
  design: z.string(), runs: int, seed: int, exploreDepth: int,
  killed: int, survived: int, timing: int, equivalent: int,
  /** Mutants that undo a flaw of the base (status repair): counted, like the equivalent ones, in neither score. */
  repair: int,
  /** Mutants equivalent up to where interrupts land (status shifted): counted in neither score either. */
  shifted: int,
  /** killed / (killed + survived + timing). */
  score: z.number(),
  /** killed / (killed + survived): an upper bound (some timing-only survivors are flaws). */
  withoutTiming: z.number(),
  /** The single-condition mutants (the counts and scores above are theirs). */
  mutants: z.array(mutantSchema),
  /** With `--pairs`: each pair of mutants suspected equivalent alone, scored changed together. */
  pairs: z.array(mutantSchema).optional(),
  /** With `--pairs`: the pairs' counts and score, as above. */
  pairScore: z.strictObject({ killed: int, survived: int, timing: int, equivalent: int, repair: int, shifted: int, score: z.number(), withoutTiming: z.number() }).optional(),
});
