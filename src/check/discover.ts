/**
 * Finding the invariants: every .ts file under properties/ whose default export was made with
 * defineInvariant. Adding an invariant is adding a file; nothing else needs an edit. Files under
 * properties/_sanity/ are reachability claims (expected to be violated). A property file is the
 * user's code: one that is not a regular file, does not load, or exports something else is a
 * one-line InputError naming it. With `tolerant`, such a file blocks only itself: it is left out
 * and recorded (`brokenProperties()`), and the other invariants load.
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';
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

/** A user's file that could not be loaded: where, the name it presumably defines (its file name), and why. */
export interface BrokenFile {
  readonly file: string;
  readonly name: string;
  readonly message: string;
}

let broken: BrokenFile[] = [];

/** The property files the last tolerant discovery left out. */
export function brokenProperties(): readonly BrokenFile[] {
  return broken;
}

/** Loads one property file as an invariant (not yet checked against the others). */
async function loadOne(file: string, rel: string, shown: string): Promise<Discovered> {
  const inv = (await importInvariant(file, shown)) as Invariant | undefined;
  if (inv === undefined || inv === null || typeof inv !== 'object' || typeof inv.id !== 'string' || typeof inv.check !== 'function') {
    throw new InputError(inputErrors.designFile(shown, 'default', 'expected an invariant made with defineInvariant'));
  }
  checkPathName('invariant', inv.id);
  const sanity = inv.sanity || rel.split(sep)[0] === '_sanity';
  return { invariant: { ...inv, sanity }, file: rel };
}

/**
 * Loads every invariant, sorted by id. A file without a proper default export, that does not
 * load, or that repeats an id is an InputError, or with `tolerant` is left out and recorded.
 */
export async function discoverInvariants(dir = PROPERTIES_DIR, o: { tolerant?: boolean } = {}): Promise<Discovered[]> {
  const out: Discovered[] = [];
  const bad: BrokenFile[] = [];
  for (const file of tsFiles(dir)) {
    const rel = relative(dir, file);
    const shown = `properties/${rel}`;
    try {
      const d = await loadOne(file, rel, shown);
      if (out.some((x) => x.invariant.id === d.invariant.id)) throw new InputError(inputErrors.duplicate(shown, 'id', 'invariant', d.invariant.id));
      out.push(d);
    } catch (e) {
      if (!(e instanceof InputError) || o.tolerant !== true) throw e;
      bad.push({ file: shown, name: basename(file, '.ts'), message: e.message });
    }
  }
  if (o.tolerant === true) broken = bad;
  return out.sort((a, b) => (a.invariant.id < b.invariant.id ? -1 : a.invariant.id > b.invariant.id ? 1 : 0));
}
