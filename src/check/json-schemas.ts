/**
 * JSON Schemas (draft 2020-12) generated from the zod schemas: the three file formats users
 * write (what entrycheck accepts, so `io: 'input'`: defaults are optional) and every `--json`
 * output (what it prints). `npm run schemas` writes them under schemas/; a test checks that the
 * committed files are what this produces. An editor pointed at one by a file's "$schema"
 * completes and checks fields; entrycheck itself validates with zod, which also checks what a
 * JSON Schema cannot say (IRQ vector 0x80 is refused, symbols are resolved).
 */
import { z } from 'zod';
import { counterexampleSchema } from './counterexample.ts';
import { expectedSchema } from './expected.ts';
import { cosimOutputSchema, listOutputSchema, replayOutputSchema, runOutputSchema } from './output-schemas.ts';
import { exploreOutputSchema, mutateOutputSchema } from './output-schemas-search.ts';
import { traceSchema } from './trace-file.ts';

/** One schema file: its name under schemas/, the zod schema, and which side of it users see. */
interface SchemaFile {
  readonly file: string;
  readonly schema: z.ZodType;
  readonly io: 'input' | 'output';
  readonly title: string;
  readonly description: string;
}

/** Every generated schema (schemas/README.md lists them). */
export const SCHEMA_FILES: readonly SchemaFile[] = [
  { file: 'trace.schema.json', schema: traceSchema, io: 'input', title: 'entrycheck trace file (entrycheck/trace@1)', description: 'A trace to replay: design, vendor, paging, initial overrides and events. Values are hex strings or symbols such as "$next".' },
  { file: 'counterexample.schema.json', schema: counterexampleSchema, io: 'input', title: 'entrycheck counterexample file (entrycheck/counterexample@1)', description: 'A saved minimal trace with the invariant it violates, the design and its full knobs, and the failure.' },
  { file: 'expected-verdicts.schema.json', schema: expectedSchema, io: 'input', title: 'entrycheck expected verdicts (entrycheck/expected@1)', description: 'Cells expected to be violated (or, for sanity claims, to hold), each with a one-line reason.' },
  { file: 'run-output.schema.json', schema: runOutputSchema, io: 'output', title: 'entrycheck run --json', description: 'Every cell (invariant, design, vendor, paging) with its verdict and expected verdict, and the coverage of the random search.' },
  { file: 'replay-output.schema.json', schema: replayOutputSchema, io: 'output', title: 'entrycheck replay --json', description: 'Per file (an array for several): the steps with the fields each changed, the observations, and for counterexamples the violations. 64-bit values are hex strings.' },
  { file: 'list-output.schema.json', schema: listOutputSchema, io: 'output', title: 'entrycheck list --json', description: 'The designs with their knobs, and the invariants with their summaries.' },
  { file: 'cosim-output.schema.json', schema: cosimOutputSchema, io: 'output', title: 'entrycheck cosim --json', description: 'A co-simulation report, the re-run saved files (--replay), or {skipped, reason} where co-simulation cannot run.' },
  { file: 'explore-output.schema.json', schema: exploreOutputSchema, io: 'output', title: 'entrycheck explore --json', description: 'What was explored (design, cell, depth, alphabet, shard), distinct states and traces, and the first (shortest) violation with its saved file, or null.' },
  { file: 'mutate-output.schema.json', schema: mutateOutputSchema, io: 'output', title: 'entrycheck mutate --json', description: 'The mutation score of the invariants on a design, and every mutant: killed (by which invariant, with its minimal trace), survived (with a trace that tells it apart) or suspected equivalent.' },
];

/** The JSON Schema of one file, as an object. */
export function jsonSchemaOf(f: SchemaFile): Record<string, unknown> {
  const generated = z.toJSONSchema(f.schema, { io: f.io, target: 'draft-2020-12', unrepresentable: 'throw' }) as Record<string, unknown>;
  const { $schema, ...rest } = generated;
  // Title and description first, so a person opening the file sees what it is.
  return { $schema, title: f.title, description: f.description, ...rest };
}

/** Every schema file's name and text (2-space JSON with a trailing newline). */
export function renderSchemas(): Array<{ file: string; text: string }> {
  return SCHEMA_FILES.map((f) => ({ file: f.file, text: `${JSON.stringify(jsonSchemaOf(f), null, 2)}\n` }));
}
