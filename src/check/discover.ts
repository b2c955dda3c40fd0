/**
 * Finding the invariants: every .ts file under properties/ whose default export was made with
 * defineInvariant. Adding an invariant is adding a file; nothing else needs an edit. Files under
 * properties/_sanity/ are reachability claims (expected to be violated).
 */
import { readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Invariant } from './invariant.ts';

/** The properties/ folder of this checkout. */
export const PROPERTIES_DIR = new URL('../../properties/', import.meta.url).pathname;

function tsFiles(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return tsFiles(p);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [p] : [];
  });
}

/** An invariant and the file it came from. */
export interface Discovered {
  readonly invariant: Invariant;
  readonly file: string;
}

/** Loads every invariant, sorted by id; throws on a file without a proper default export or a duplicate id. */
export async function discoverInvariants(dir = PROPERTIES_DIR): Promise<Discovered[]> {
  const out: Discovered[] = [];
  for (const file of tsFiles(dir)) {
    const mod = (await import(pathToFileURL(file).href)) as { default?: Invariant };
    const inv = mod.default;
    const rel = relative(dir, file);
    if (inv === undefined || typeof inv !== 'object' || typeof inv.id !== 'string' || typeof inv.check !== 'function') {
      throw new Error(`properties/${rel}: the default export must be made with defineInvariant`);
    }
    const sanity = inv.sanity || rel.split(sep)[0] === '_sanity';
    if (out.some((d) => d.invariant.id === inv.id)) throw new Error(`properties/${rel}: invariant id "${inv.id}" is used twice`);
    out.push({ invariant: { ...inv, sanity }, file: rel });
  }
  return out.sort((a, b) => (a.invariant.id < b.invariant.id ? -1 : a.invariant.id > b.invariant.id ? 1 : 0));
}
