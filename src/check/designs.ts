/**
 * Every design the checker knows: the built-in presets and proposals, plus the user's own under
 * designs/ (one .ts file each, default export a Design, usually made with `variant`). Loaded once
 * per process (main thread and each worker) before designs are looked up by name.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DESIGNS, knobsSchema, type Design } from '../kernel/index.ts';
import { InputError, inputErrors } from './errors.ts';
import { validate } from './validate.ts';

/** The designs/ folder of this checkout. */
export const DESIGNS_DIR = new URL('../../designs/', import.meta.url).pathname;

let extra: Design[] = [];

/** Loads designs/*.ts (once); a file with a bad design is a one-line InputError. */
export async function loadDesigns(dir = DESIGNS_DIR): Promise<readonly Design[]> {
  if (!existsSync(dir)) return allDesigns();
  const found: Design[] = [];
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.ts')).sort()) {
    const file = join(dir, name);
    const d = ((await import(pathToFileURL(file).href)) as { default?: Design }).default;
    if (d === undefined || typeof d.name !== 'string') throw new InputError(inputErrors.designFile(file, 'default', 'expected a Design (name, source, reconstructed, knobs)'));
    validate(knobsSchema, d.knobs, `${file} knobs`);
    if (DESIGNS.some((x) => x.name === d.name) || found.some((x) => x.name === d.name)) {
      throw new InputError(inputErrors.designFile(file, 'name', `design "${d.name}" already exists`));
    }
    found.push(d);
  }
  extra = found;
  return allDesigns();
}

/** Built-in designs followed by the loaded user designs. */
export function allDesigns(): readonly Design[] {
  return [...DESIGNS, ...extra];
}
