/**
 * The traces `replay` and `view` work on: trace files, counterexample files, or the trace a
 * recorded fast-check run generated (`--seed S --path P`, the seed and path a counterexample
 * file records). Every file is read and checked (format, fields, the design it names, the
 * invariant a counterexample names) before anything runs, so bad input gives its one line and
 * nothing else; then each is reviewed (src/check/review.ts).
 */
import { asTrace, COUNTEREXAMPLE_FORMAT, counterexampleSchema, designOf, type CounterexampleFile } from '../check/counterexample.ts';
import { designNamedIn } from '../check/designs.ts';
import type { Discovered } from '../check/discover.ts';
import { InputError, inputErrors, issueTexts } from '../check/errors.ts';
import { toTraceEvents } from '../check/operands.ts';
import { review, type Review } from '../check/review.ts';
import { traceAt } from '../check/search.ts';
import { designByName, kernelOf } from '../check/session.ts';
import { described } from '../check/shown.ts';
import { resolveInitial, TRACE_FORMAT, traceSchema, type TraceFile } from '../check/trace-file.ts';
import { parseJsonFile, readText, validate } from '../check/validate.ts';
import type { Design } from '../kernel/index.ts';
import { designNamed, intFlag, selectInvariants } from './common.ts';
import { parseSeed } from './seed.ts';

/** Options shared by replay and view. */
export interface TraceOptions {
  readonly design?: string;
  readonly vendor?: 'intel' | 'amd';
  readonly paging?: '4' | '5';
  readonly property?: string[];
  readonly seed?: string;
  readonly path?: string;
}

/** One trace to review, checked. */
export interface Loaded {
  /** The file, or "seed S path P" for a recorded fast-check run. */
  readonly file: string;
  readonly trace: TraceFile;
  readonly counterexample?: CounterexampleFile;
}

/** Reads and validates one file: a trace or a counterexample, by its format tag. */
function load(file: string): Loaded {
  const value = parseJsonFile(readText(file), file);
  const format = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as { format?: unknown }).format : undefined;
  if (format === COUNTEREXAMPLE_FORMAT) {
    const ce = validate(counterexampleSchema, value, file);
    return { file, trace: asTrace(ce), counterexample: ce };
  }
  if (format !== TRACE_FORMAT && format !== undefined) {
    throw new InputError(inputErrors.field(file, 'format', issueTexts.expectedGot(issueTexts.oneOf([TRACE_FORMAT, COUNTEREXAMPLE_FORMAT]), described(format))));
  }
  return { file, trace: validate(traceSchema, value, file) };
}

/** The default design, vendor and paging of `--seed/--path` (a search's unit names its own; pass them). */
export const SEED_DEFAULTS = { design: 'linux-6.7', vendor: 'intel', paging: 4, maxLength: 16 } as const;

/**
 * The trace a search generated: `--seed S --path P`. The guided search's traces depend on what
 * earlier ones covered on that cell, so the design, vendor and paging must be the search's.
 */
function fromSeed(o: TraceOptions): Loaded {
  const seed = parseSeed(o.seed, 0);
  const path = intFlag('path', o.path, 0, 0, 10_000_000);
  const design = o.design ?? SEED_DEFAULTS.design;
  const vendor = o.vendor ?? SEED_DEFAULTS.vendor;
  const paging = o.paging ? (Number(o.paging) as 4 | 5) : SEED_DEFAULTS.paging;
  const raw = traceAt({ kernel: kernelOf(designByName(design)), vendor, paging }, seed, path, SEED_DEFAULTS.maxLength);
  const trace: TraceFile = { format: TRACE_FORMAT, design, vendor, paging, events: raw };
  return { file: `seed ${seed} path ${path}`, trace };
}

/** Every trace the command line names, checked; an InputError at the first bad one. */
export function loadTraces(files: readonly string[], o: TraceOptions): Loaded[] {
  if ((o.seed === undefined) !== (o.path === undefined)) throw new InputError(inputErrors.seedAndPath());
  const out = files.map(load);
  if (o.seed !== undefined) out.push(fromSeed(o));
  if (out.length === 0) throw new InputError(inputErrors.nothingToReplay());
  return out;
}

/** The design a trace runs on: --design, a counterexample's recorded knobs, or the known design a trace names. */
function designFor(l: Loaded, forced: Design | undefined): Design {
  if (forced) return forced;
  if (l.counterexample) return designOf(l.counterexample);
  return designNamedIn(l.trace.design, l.file, 'design');
}

/** A checked trace, ready to review. */
export interface Prepared {
  readonly l: Loaded;
  readonly run: () => Review;
}

/** Checks everything each trace needs (design, invariants, symbols) and returns how to review it. */
export function prepare(loaded: readonly Loaded[], all: readonly Discovered[], o: TraceOptions & { readonly micro: boolean }): Prepared[] {
  const forced = o.design !== undefined ? designNamed(o.design) : undefined;
  const chosen = selectInvariants(all, o.property);
  return loaded.map((l) => {
    const design = designFor(l, forced);
    const id = l.counterexample?.invariant;
    let invs = chosen;
    if (id !== undefined && !chosen.some((d) => d.invariant.id === id)) {
      // The recorded invariant is always judged: it decides the exit status.
      const d = all.find((x) => x.invariant.id === id);
      if (d === undefined) throw new InputError(inputErrors.unknownInvariantIn(l.file, 'invariant', id, all.map((x) => x.invariant.id)));
      invs = [...chosen, d].sort((a, b) => (a.invariant.id < b.invariant.id ? -1 : 1));
    }
    const vendor = o.vendor ?? l.trace.vendor;
    const paging = o.paging ? (Number(o.paging) as 4 | 5) : l.trace.paging;
    const initial = resolveInitial({ ...l.trace, paging }, l.file);
    const trace = toTraceEvents(l.trace.events, l.file);
    const ce = l.counterexample;
    return {
      l,
      run: () => review({
        design, vendor, paging, trace, initial, invariants: invs.map((d) => d.invariant), micro: o.micro,
        ...(ce ? { recorded: { invariant: ce.invariant, step: ce.failure.step, ...(ce.failure.threw ? { threw: true } : {}) } } : {}),
      }),
    };
  });
}
