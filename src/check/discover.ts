/**
 * Finding the invariants: every .ts file under properties/ whose default export was made with
 * defineInvariant. Adding an invariant is adding a file; nothing else needs an edit. Files under
 * properties/_sanity/ are reachability claims (expected to be violated). A property file is the
 * user's code: one that is not a regular file, does not load, or exports something else is a
 * one-line InputError naming it.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InputError, inputErrors } from './errors.ts';
import type { Invariant } from './invariant.ts';
import { checkPathName } from './names.ts';
import { checkRegularFile } from './read-file.ts';
import { bundledModule } from './worker-url.ts';

/** The properties/ folder of this checkout. */
export const PROPERTIES_DIR = new URL('../../properties/', import.meta.url).pathname;

function tsFiles(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((name) => {
    const p = join(dir, name);
    let isDir: boolean;
    try {
      isDir = statSync(p).isDirectory();
    } catch (e) {
      throw new InputError(inputErrors.readFile(p, (e as NodeJS.ErrnoException).code ?? 'an error'));
    }
    if (isDir) return tsFiles(p);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [p] : [];
  });
}

/** An invariant and the file it came from. */
export interface Discovered {
  readonly invariant: Invariant;
  readonly file: string;
}

/** Imports one property file; anything it throws (a syntax error, a bad id) names the file. */
async function importInvariant(file: string, shown: string): Promise<unknown> {
  checkRegularFile(file);
  try {
    const mod = (bundledModule(file) ?? await import(pathToFileURL(file).href)) as { default?: unknown };
    return mod.default;
  } catch (e) {
    throw new InputError(inputErrors.cannotLoad(shown, e instanceof Error ? e.message : String(e)));
  }
}

/** Loads every invariant, sorted by id; a file without a proper default export or a duplicate id is an InputError. */
export async function discoverInvariants(dir = PROPERTIES_DIR): Promise<Discovered[]> {
  const out: Discovered[] = [];
  for (const file of tsFiles(dir)) {
    const rel = relative(dir, file);
    const shown = `properties/${rel}`;
    const inv = (await importInvariant(file, shown)) as Invariant | undefined;
    if (inv === undefined || inv === null || typeof inv !== 'object' || typeof inv.id !== 'string' || typeof inv.check !== 'function') {
      throw new InputError(inputErrors.designFile(shown, 'default', 'expected an invariant made with defineInvariant'));
    }
    checkPathName('invariant', inv.id);
    const sanity = inv.sanity || rel.split(sep)[0] === '_sanity';
    if (out.some((d) => d.invariant.id === inv.id)) throw new InputError(inputErrors.duplicate(shown, 'id', 'invariant', inv.id));
    out.push({ invariant: { ...inv, sanity }, file: rel });
  }
  return out.sort((a, b) => (a.invariant.id < b.invariant.id ? -1 : a.invariant.id > b.invariant.id ? 1 : 0));
}
