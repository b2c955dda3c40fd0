/**
 * The counterexample file `entrycheck/counterexample@1`: the explicit minimal trace (events,
 * not seeds: replay must not depend on fast-check's version) with everything needed to replay
 * and review it. Files are written atomically (temp file + rename); the same trace gives the same
 * file name and bytes; a `.txt` for people is written beside it. The invariant id and the design
 * name become the path, so both are checked when a file is read and again when a path is made.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { knobsSchema, type Design, type InitialOverrides } from '../kernel/index.ts';
import type { Event } from '../model/index.ts';
import { allDesigns } from './designs.ts';
import { stringify } from './json.ts';
import { checkPathName, designNameSchema, invariantIdSchema, schemaRefSchema, textSchema } from './names.ts';
import { toTraceEvents } from './operands.ts';
import { checkPages, eventsSchema, initialSchema, resolveInitial, type TraceFile } from './trace-file.ts';
import { readText } from './validate.ts';
import { parseValidated } from './validate.ts';

/** The format tag. */
export const COUNTEREXAMPLE_FORMAT = 'entrycheck/counterexample@1';
/** The tool version written into files. */
export const TOOL_VERSION = 'entrycheck 0.1.0';

const hexBig = z.string().regex(/^0x[0-9a-fA-F]{1,16}$/, 'expected a hex string').transform((s) => BigInt(s));
const fileKnobs = knobsSchema.extend({ fmask: hexBig });

/** fast-check's seeds are 32-bit integers (a larger number is folded into that range). */
export const SEED_MIN = -(2 ** 31);
/** The largest seed fast-check uses as given. */
export const SEED_MAX = 2 ** 31 - 1;

/** Zod schema of a counterexample file. */
export const counterexampleSchema = z.strictObject({
  $schema: schemaRefSchema,
  format: z.literal(COUNTEREXAMPLE_FORMAT),
  tool: textSchema,
  invariant: invariantIdSchema,
  design: z.strictObject({ name: designNameSchema, source: textSchema, reconstructed: z.boolean(), knobs: fileKnobs }),
  vendor: z.enum(['intel', 'amd']),
  paging: z.union([z.literal(4), z.literal(5)]),
  seed: z.number().int().min(SEED_MIN).max(SEED_MAX),
  path: textSchema.nullable(),
  // The initial state's overrides, as a trace file's (absent: the model's own initial state).
  initial: initialSchema.optional(),
  events: eventsSchema,
  // `where`: the kernel micro-step of a micro-step check or fork point; `threw`: the invariant's
  // own check threw on this trace (a saved error, not a verdict).
  failure: z.strictObject({ step: z.number().int().min(0), message: textSchema, where: textSchema.optional(), threw: z.boolean().optional() }),
  expect: z.enum(['violated', 'holds']),
}).superRefine(checkPages);

/** A parsed counterexample. */
export type CounterexampleFile = z.infer<typeof counterexampleSchema>;

/** What the runner hands the store. */
export interface Counterexample {
  readonly invariant: string;
  readonly design: Design;
  readonly vendor: 'intel' | 'amd';
  readonly paging: 4 | 5;
  readonly seed: number;
  readonly path: string | null;
  /** Overrides of the initial state the trace starts from (absent or empty: the model's own). */
  readonly initial?: InitialOverrides;
  readonly events: readonly Event[];
  readonly failure: { readonly step: number; readonly message: string; readonly where?: string; readonly threw?: boolean };
}

/** The JSON object written for a counterexample. */
export function toFileObject(c: Counterexample): unknown {
  return {
    format: COUNTEREXAMPLE_FORMAT, tool: TOOL_VERSION, invariant: c.invariant,
    design: { name: c.design.name, source: c.design.source, reconstructed: c.design.reconstructed, knobs: c.design.knobs },
    // Only the fields the file format has (a Violation can carry more, which the strict schema
    // would reject on reading the file back); `where` only as text, `threw` only when true.
    vendor: c.vendor, paging: c.paging, seed: c.seed, path: c.path, ...initialField(c.initial), events: c.events,
    failure: {
      step: c.failure.step, message: c.failure.message,
      ...(typeof c.failure.where === 'string' ? { where: c.failure.where } : {}), ...(c.failure.threw === true ? { threw: true } : {}),
    },
    expect: 'violated',
  };
}

/**
 * Initial-state overrides as a file or JSON output holds them (bigints become hex when written):
 * only the fields that override something, and no `initial` at all when none does.
 */
export function initialField(o: InitialOverrides | undefined): { initial?: InitialOverrides } {
  const set = Object.entries(o ?? {}).filter(([, v]) => v !== undefined && !(typeof v === 'object' && Object.keys(v as object).length === 0));
  return set.length > 0 ? { initial: Object.fromEntries(set) as InitialOverrides } : {};
}

/** Short content hash of what identifies the trace (not where it was found). */
export function traceHash(c: Counterexample): string {
  // The overrides only when there are some: the hashes of files without them stay as they were.
  const key = stringify({ i: c.invariant, d: c.design.name, k: c.design.knobs, v: c.vendor, p: c.paging, ...initialField(c.initial), e: c.events }, 0);
  return createHash('sha256').update(key).digest('hex').slice(0, 10);
}

/** counterexamples/<invariant>/<design>-<vendor>-<paging>-<hash>.json */
export function counterexamplePath(dir: string, c: Counterexample): string {
  // Designs made in code (variant()) reach here without passing a file's schema.
  checkPathName('invariant', c.invariant);
  checkPathName('design', c.design.name);
  return join(dir, c.invariant, `${c.design.name}-${c.vendor}-${c.paging}-${traceHash(c)}.json`);
}

/** Writes a file atomically: a temp file beside it, then a rename. */
export function writeAtomic(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

/**
 * Writes the .txt of a saved counterexample when it is missing: a run killed between the JSON
 * and its .txt left half a pair, and the run started again only replays the JSON.
 */
export function completePair(file: string, renderTxt: (file: string, c: Counterexample) => string): void {
  const txt = file.replace(/\.json$/, '.txt');
  if (existsSync(txt)) return;
  const f = parseCounterexample(readText(file), file);
  // A saved trace holds resolved events (no symbols): the conversion gives back their values.
  const events = toTraceEvents(f.events, file) as Event[];
  const initial = initialOf(f, file);
  writeAtomic(txt, renderTxt(file, { invariant: f.invariant, design: designOf(f), vendor: f.vendor, paging: f.paging, seed: f.seed, path: f.path, ...(initial ? { initial } : {}), events, failure: f.failure }));
}

/** Saves a counterexample (JSON, then the .txt beside it); keeps an existing file of the same trace. */
export function saveCounterexample(dir: string, c: Counterexample, renderTxt: (file: string, c: Counterexample) => string): string {
  const file = counterexamplePath(dir, c);
  if (!existsSync(file)) writeAtomic(file, stringify(toFileObject(c)));
  const txt = file.replace(/\.json$/, '.txt');
  if (!existsSync(txt)) writeAtomic(txt, renderTxt(file, c));
  return file;
}

/** Parses a counterexample file's text (one-line InputError naming the file and field). */
export function parseCounterexample(text: string, file: string): CounterexampleFile {
  return parseValidated(counterexampleSchema, text, file);
}

/**
 * The design a counterexample was found on, rebuilt from its recorded knobs. A design's predicate
 * overrides are code, not data, so the file cannot hold them: they come from the known design of
 * the same name (a built-in or one loaded from designs/), or the replay would run the knob-built
 * checks, another kernel than the one the counterexample was found on.
 */
export function designOf(f: CounterexampleFile, known: readonly Design[] = allDesigns()): Design {
  const overrides = known.find((d) => d.name === f.design.name)?.overrides;
  return {
    name: f.design.name, source: f.design.source, reconstructed: f.design.reconstructed, knobs: f.design.knobs,
    ...(overrides !== undefined ? { overrides } : {}),
  };
}

/** A counterexample seen as a trace file (for replay). */
export function asTrace(f: CounterexampleFile): TraceFile {
  return { format: 'entrycheck/trace@1', design: f.design.name, vendor: f.vendor, paging: f.paging, ...(f.initial ? { initial: f.initial } : {}), events: f.events };
}

/** The initial-state overrides a counterexample's trace starts from (undefined: the model's own). */
export function initialOf(f: CounterexampleFile, file: string): InitialOverrides | undefined {
  return f.initial === undefined ? undefined : resolveInitial(asTrace(f), file);
}
