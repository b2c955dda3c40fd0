/**
 * A deep copy of plain data (objects, arrays, maps, sets, scalars), the hot-path stand-in for
 * `structuredClone` when a continuation keeps its monitors' memos: explore copies them twice per
 * judged trace, and a memo is a handful of small objects, where structuredClone's serialise-then-
 * rebuild costs several times a walk. Aliases and cycles are kept, as structuredClone keeps them.
 */

/** Thrown for a value that cannot be copied (a function, a symbol), as structuredClone throws. */
export class NotPlainData extends Error {}

function copy(v: unknown, seen: Map<object, unknown>): unknown {
  if (typeof v !== 'object' || v === null) {
    if (typeof v === 'function' || typeof v === 'symbol') throw new NotPlainData(typeof v);
    return v;
  }
  const done = seen.get(v);
  if (done !== undefined) return done;
  if (Array.isArray(v)) {
    const out: unknown[] = new Array(v.length);
    seen.set(v, out);
    for (let i = 0; i < v.length; i++) out[i] = copy(v[i], seen);
    return out;
  }
  if (v instanceof Map) {
    const out = new Map();
    seen.set(v, out);
    for (const [k, x] of v) out.set(copy(k, seen), copy(x, seen));
    return out;
  }
  if (v instanceof Set) {
    const out = new Set();
    seen.set(v, out);
    for (const x of v) out.add(copy(x, seen));
    return out;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) {
    // Anything else (a Date, a typed array, a class instance) is copied as structuredClone copies it.
    const out = structuredClone(v);
    seen.set(v, out);
    return out;
  }
  const out: Record<string, unknown> = {};
  seen.set(v, out);
  for (const k of Object.keys(v)) out[k] = copy((v as Record<string, unknown>)[k], seen);
  return out;
}

/** A deep copy of `v`; throws when it holds a function or a symbol ({@link NotPlainData}) or what structuredClone refuses. */
export function copyData<T>(v: T): T {
  return typeof v === 'object' && v !== null ? copy(v, new Map()) as T : v;
}
