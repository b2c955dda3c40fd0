/**
 * State fingerprints for bounded-exhaustive exploration: two states get the same fingerprint
 * exactly when `sameFuture` (../same-future.ts) would call them equal, up to hash collisions: the
 * clock, CPU-written memory and activation ids are left out, armed countdowns count by the time
 * they have left, NMI bookkeeping by which of "last delivered" and "last handled" is later.
 * Every object's hash is cached by identity: the states of one exploration share every subtree
 * nobody wrote, so hashing a successor state costs only what its event changed.
 */
import type { MachineState } from '../../model/index.ts';

const SKIP = new Set(['clock', 'mem', 'nextActId', 'id', 'nmiLastDelivered', 'nmiLastHandled', 'armed']);
const cache = new WeakMap<object, string>();

/** 64-bit FNV-1a of a string, as 16 hex digits (two 32-bit lanes). */
export function hash64(s: string): string {
  let a = 0x811c9dc5;
  let b = 0xcbf29ce4;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193) ^ (a >>> 15);
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}

/** The hash of any value the model keeps in a state (plain data: objects, arrays, scalars). */
export function valueHash(v: unknown): string {
  switch (typeof v) {
    case 'bigint': return `n${v.toString(16)}`;
    case 'number': return `d${v}`;
    case 'string': return `s${v.length}:${v}`;
    case 'boolean': return v ? 't' : 'f';
    case 'undefined': return 'u';
    case 'object': break;
    default: return 'x';
  }
  if (v === null) return 'z';
  const hit = cache.get(v);
  if (hit !== undefined) return hit;
  let body: string;
  if (Array.isArray(v)) body = `[${v.map(valueHash).join(',')}]`;
  else if (v instanceof Map) body = `M{${[...v].map(([k, x]) => `${valueHash(k)}=${valueHash(x)}`).sort().join(',')}}`;
  else if (v instanceof Set) body = `S{${[...v].map(valueHash).sort().join(',')}}`;
  else {
    const keys = Object.keys(v).filter((k) => !SKIP.has(k)).sort();
    body = `{${keys.map((k) => `${k}=${valueHash((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  const h = body.length <= 32 ? body : `#${hash64(body)}`;
  cache.set(v, h);
  return h;
}

/** The fingerprint of a machine state: equal for states with the same future. */
export function stateFingerprint(m: MachineState): string {
  const armed = m.hw.armed.map((x) => `${x.kind}/${x.vector}/${x.due - m.clock}`).join(',');
  const order = Math.sign(m.hw.nmiLastDelivered - m.k.percpu.nmiLastHandled);
  return hash64(`${valueHash(m.cpu)}|${valueHash(m.k)}|${valueHash(m.hw)}|${armed}|${order}`);
}
