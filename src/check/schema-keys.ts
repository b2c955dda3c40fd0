/**
 * Every field name a zod schema knows, at any depth: what "did you mean" offers for an unknown
 * field (a misspelt knob, event field or file field). The schemas of the files are plain objects,
 * arrays, unions, records with enum keys and wrappers (optional, default, pipe), which is all
 * this walks; the result is cached per schema.
 */
import type { z } from 'zod';

interface Def {
  readonly type: string;
  readonly shape?: Record<string, z.ZodType>;
  readonly innerType?: z.ZodType;
  readonly element?: z.ZodType;
  readonly options?: readonly z.ZodType[];
  readonly keyType?: z.ZodType;
  readonly valueType?: z.ZodType;
  readonly in?: z.ZodType;
  readonly out?: z.ZodType;
  readonly left?: z.ZodType;
  readonly right?: z.ZodType;
  readonly entries?: Record<string, string>;
}

const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

function walk(s: z.ZodType | undefined, out: Set<string>, seen: Set<z.ZodType>): void {
  if (s === undefined || seen.has(s)) return;
  seen.add(s);
  const d = defOf(s);
  if (d.shape) for (const [k, v] of Object.entries(d.shape)) { out.add(k); walk(v, out, seen); }
  if (d.type === 'record' && d.keyType) {
    const kd = defOf(d.keyType);
    if (kd.entries) for (const k of Object.keys(kd.entries)) out.add(k);
  }
  for (const inner of [d.innerType, d.element, d.valueType, d.in, d.out, d.left, d.right, ...(d.options ?? [])]) walk(inner, out, seen);
}

const cache = new WeakMap<z.ZodType, readonly string[]>();

/** The field names `schema` knows, sorted. */
export function schemaKeys(schema: z.ZodType): readonly string[] {
  let keys = cache.get(schema);
  if (keys === undefined) {
    const out = new Set<string>();
    walk(schema, out, new Set());
    keys = [...out].sort();
    cache.set(schema, keys);
  }
  return keys;
}
