/**
 * Every design the checker knows: the built-in presets and proposals, plus the user's own under
 * designs/ (one .ts file each, default export a Design, usually made with `variant`). Loaded once
 * per process (main thread and each worker) before designs are looked up by name. A design file
 * is the user's code: whatever is wrong with it (not a regular file, does not load, a bad name or
 * knob, a name taken) is a one-line InputError naming the file, never an internal error.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { DESIGNS, knobsSchema, type Design } from '../kernel/index.ts';
import { InputError, inputErrors } from './errors.ts';
import { designNameSchema, textSchema } from './names.ts';
import { checkRegularFile } from './read-file.ts';
import { validate } from './validate.ts';
import { bundledModule } from './worker-url.ts';

/** The designs/ folder of this checkout. */
export const DESIGNS_DIR = new URL('../../designs/', import.meta.url).pathname;

const predicate = z.custom<(...a: never[]) => unknown>((v) => typeof v === 'function', 'expected a function');

/** What the default export of a design file must be (strict: a misspelt `overides` is an error, not ignored). */
export const designFileSchema = z.strictObject({
  name: designNameSchema,
  source: textSchema,
  reconstructed: z.boolean(),
  knobs: knobsSchema,
  overrides: z.strictObject({ sysretEligible: predicate.optional(), compatFastEligible: predicate.optional() }).optional(),
});

let extra: Design[] = [];

/** Imports one design file; anything it throws is a one-line error naming it. */
async function importDesign(file: string): Promise<unknown> {
  checkRegularFile(file);
  try {
    return ((bundledModule(file) ?? await import(pathToFileURL(file).href)) as { default?: unknown }).default;
  } catch (e) {
    throw new InputError(inputErrors.cannotLoad(file, e instanceof Error ? e.message : String(e)));
  }
}

/** Loads designs/*.ts (once); a file with a bad design is a one-line InputError. */
export async function loadDesigns(dir = DESIGNS_DIR): Promise<readonly Design[]> {
  if (!existsSync(dir)) return allDesigns();
  const found: Design[] = [];
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')).sort()) {
    const file = join(dir, name);
    const d = await importDesign(file);
    if (d === null || typeof d !== 'object') throw new InputError(inputErrors.designFile(file, 'default', 'expected a Design (name, source, reconstructed, knobs)'));
    validate(designFileSchema, d, file);
    const design = d as Design;
    if (DESIGNS.some((x) => x.name === design.name) || found.some((x) => x.name === design.name)) {
      throw new InputError(inputErrors.duplicate(file, 'name', 'design', design.name));
    }
    found.push(design);
  }
  extra = found;
  return allDesigns();
}

/** Built-in designs followed by the loaded user designs. */
export function allDesigns(): readonly Design[] {
  return [...DESIGNS, ...extra];
}

/** The design a file names in `path`, or a one-line InputError naming the file and the field. */
export function designNamedIn(name: string, file: string, path: string): Design {
  const d = allDesigns().find((x) => x.name === name);
  if (d === undefined) throw new InputError(inputErrors.unknownDesignIn(file, path, name, allDesigns().map((x) => x.name)));
  return d;
}
