/**
 * Every design the checker knows: the built-in presets and proposals, plus the user's own under
 * designs/ (one .ts file each, default export a Design, usually made with `variant`). Loaded once
 * per process (main thread and each worker) before designs are looked up by name. A design file
 * is the user's code: whatever is wrong with it (not a regular file, does not load, a bad name or
 * knob, a name taken) is a one-line InputError naming the file, never an internal error. With
 * `tolerant`, a broken file blocks only itself: it is left out and recorded (`brokenDesigns()`).
 */
import { existsSync, readdirSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import type { BrokenFile } from './discover.ts';
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

let broken: BrokenFile[] = [];

/** The design files the last tolerant load left out. */
export function brokenDesigns(): readonly BrokenFile[] {
  return broken;
}

/** Loads and checks one design file. */
async function loadOne(file: string, found: readonly Design[]): Promise<Design> {
  const d = await importDesign(file);
  if (d === null || typeof d !== 'object') throw new InputError(inputErrors.designFile(file, 'default', 'expected a Design (name, source, reconstructed, knobs)'));
  validate(designFileSchema, d, file);
  const design = d as Design;
  if (DESIGNS.some((x) => x.name === design.name) || found.some((x) => x.name === design.name)) {
    throw new InputError(inputErrors.duplicate(file, 'name', 'design', design.name));
  }
  return design;
}

/**
 * Loads designs/*.ts (once); a file with a bad design is a one-line InputError, or with
 * `tolerant` is left out and recorded.
 */
export async function loadDesigns(dir = DESIGNS_DIR, o: { tolerant?: boolean } = {}): Promise<readonly Design[]> {
  const found: Design[] = [];
  const bad: BrokenFile[] = [];
  const names = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')).sort() : [];
  for (const name of names) {
    const file = join(dir, name);
    try {
      found.push(await loadOne(file, found));
    } catch (e) {
      if (!(e instanceof InputError) || o.tolerant !== true) throw e;
      bad.push({ file: relative(process.cwd(), file) || file, name: basename(name, '.ts'), message: e.message });
    }
  }
  extra = found;
  if (o.tolerant === true) broken = bad;
  return allDesigns();
}

/** Built-in designs followed by the loaded user designs. */
export function allDesigns(): readonly Design[] {
  return [...DESIGNS, ...extra];
}

/** The design a file names in `path`, or a one-line InputError naming the file and the field. */
export function designNamedIn(name: string, file: string, path: string): Design {
  const d = allDesigns().find((x) => x.name === name);
  const b = broken.find((x) => x.name === name);
  if (d === undefined && b !== undefined) throw new InputError(inputErrors.brokenFile('design', name, b.message));
  if (d === undefined) throw new InputError(inputErrors.unknownDesignIn(file, path, name, allDesigns().map((x) => x.name)));
  return d;
}
