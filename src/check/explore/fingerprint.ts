/**
 * State fingerprints for bounded-exhaustive exploration: two states get the same fingerprint
 * exactly when `sameFuture` (../same-future.ts) would call them equal, up to hash collisions: the
 * clock, CPU-written memory and activation ids are left out, armed countdowns count as a set by
 * the time they have left, NMI bookkeeping by which of "last delivered" and "last handled" is later.
 *
 * Hashes are 64 bits in two 32-bit lanes, computed on numbers (no text is built): an object's
 * hash is the lane-wise sum of its (key, value) pairs' mixed hashes, so key order does not matter
 * and no key list is sorted; arrays mix in order. A state object's hash is cached by identity:
 * the states of one exploration share every subtree nobody wrote, so hashing a successor state
 * costs only what its event changed.
 */
import type { MachineState } from '../../model/index.ts';
import { armedKey } from '../same-future.ts';

const SKIP = new Set(['clock', 'mem', 'nextActId', 'id', 'nmiLastDelivered', 'nmiLastHandled', 'armed']);
// Weak, so it keeps no state alive. An insertion is the dearest part of hashing an object, so
// only objects that hold objects, or many scalars, get one (see hashInto); a strong Map with a
// size bound was 2% of explore's time faster and held half as much memory again at depth 4.
const cache = new WeakMap<object, readonly [number, number]>();
/** A leaf with this many keys is cached too: rehashing it costs more than an insertion (pt_regs, the register file). */
const LEAF_CACHED = 8;
const strings = new Map<string, readonly [number, number]>();
/**
 * An object key: its hash, whether sameFuture leaves it out (one lookup per key), and the last
 * state object hashed under that key with its hash. Consecutive states share most objects, so
 * this one-entry cache answers the small leaves (a selector, a task's ptrace state) that are not
 * worth a WeakMap entry by one comparison.
 */
interface Key { readonly h1: number; readonly h2: number; readonly skip: boolean; last: object | null; l1: number; l2: number }
const keys = new Map<string, Key>();
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

// The two lanes of the last hash computed (returned through these to avoid a pair per value).
let H1 = 0;
let H2 = 0;
// Objects entered so far: a leaf is an object whose hashing entered no other.
let visits = 0;
// Whether hashing may add cache entries (traceKey's `reused`).
let insert = true;

/** murmur3's finaliser: every input bit reaches every output bit. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}

/** Sets the lanes from two words and a type tag. */
function lanes(a: number, b: number, tag: number): void {
  H1 = mix(a ^ Math.imul(tag, 0x9e3779b1) ^ mix(b));
  H2 = mix(b + Math.imul(tag ^ a, 0x27d4eb2f) + 0x165667b1);
}

function hashString(s: string): void {
  const hit = strings.get(s);
  if (hit !== undefined) { H1 = hit[0]; H2 = hit[1]; return; }
  let a = 0x811c9dc5;
  let b = 0xcbf29ce4 ^ s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193) ^ (a >>> 15);
  }
  lanes(a, b, 3);
  // Keys and enum-like values repeat; bound the table in case a state holds free text.
  if (strings.size < 4096) strings.set(s, [H1, H2]);
}

function keyOf(k: string): Key {
  const hit = keys.get(k);
  if (hit !== undefined) return hit;
  hashString(k);
  const key: Key = { h1: H1, h2: H2, skip: SKIP.has(k), last: null, l1: 0, l2: 0 };
  // Records keyed by address or offset could grow the table without end.
  if (keys.size < 65536) keys.set(k, key);
  return key;
}

function hashBigint(v: bigint): void {
  // Number() is exact below 2^53 and allocates no BigInt (most user values); above, split exactly.
  const d = Number(v);
  if (d >= 0 && d < 9007199254740992) {
    lanes(d >>> 0, (d / 4294967296) >>> 0, 5);
  } else if (v >= 0n && v <= 0xffffffffffffffffn) {
    lanes(Number(v & 0xffffffffn), Number(v >> 32n), 6);
  } else {
    hashString(v.toString(16));
    lanes(H1, H2, 7);
  }
}

/** Hashes `v` into H1/H2; `skip` leaves out the keys sameFuture ignores and caches by identity. */
function hashInto(v: unknown, skip: boolean): void {
  switch (typeof v) {
    case 'bigint': hashBigint(v); return;
    case 'number':
      // -0 hashes as 0: sameFuture compares with ===.
      if ((v | 0) === v) { lanes(v | 0, 0, 1); return; }
      f64[0] = v;
      lanes(u32[0] as number, u32[1] as number, 2);
      return;
    case 'string': hashString(v); return;
    case 'boolean': lanes(v ? 1 : 0, 0, 4); return;
    case 'undefined': lanes(0, 0, 13); return;
    case 'object': break;
    default: lanes(0, 0, 8); return;
  }
  if (v === null) { lanes(0, 0, 9); return; }
  const mark = ++visits;
  if (skip) {
    const hit = cache.get(v);
    if (hit !== undefined) { H1 = hit[0]; H2 = hit[1]; return; }
  }
  let a = 0;
  let b = 0;
  let tag: number;
  let size = 0;
  if (Array.isArray(v)) {
    // Ordered: each element folds into the running lanes.
    for (let i = 0; i < v.length; i++) {
      hashInto(v[i], skip);
      a = mix(Math.imul(a, 0x01000193) ^ H1);
      b = mix(b + Math.imul(H2, 0x9e3779b1) + i);
    }
    tag = 10 + v.length;
  } else if (v instanceof Map || v instanceof Set) {
    // Unordered: the lane-wise sum of each entry's mixed hash.
    for (const e of v) {
      const [k, x] = v instanceof Map ? e as [unknown, unknown] : [e, true];
      hashInto(k, skip);
      const k1 = H1;
      const k2 = H2;
      hashInto(x, skip);
      a = (a + mix(k1 ^ Math.imul(H1, 0x85ebca6b) ^ H2)) | 0;
      b = (b + mix(k2 + Math.imul(H2, 0xc2b2ae35) + k1)) | 0;
    }
    tag = v instanceof Map ? 0x4d000000 + v.size : 0x53000000 + v.size;
  } else {
    let n = 0;
    for (const k in v) {
      const key = keyOf(k);
      if (skip && key.skip) continue;
      const k1 = key.h1;
      const k2 = key.h2;
      const x = (v as Record<string, unknown>)[k];
      if (skip && typeof x === 'object' && x !== null) {
        if (key.last === x) {
          H1 = key.l1;
          H2 = key.l2;
          // Counted as entered, as hashInto would: the parent holds an object, so it is cached.
          ++visits;
        } else {
          hashInto(x, skip);
          key.last = x;
          key.l1 = H1;
          key.l2 = H2;
        }
      } else {
        hashInto(x, skip);
      }
      a = (a + mix(k1 ^ Math.imul(H1, 0x85ebca6b) ^ H2)) | 0;
      b = (b + mix(k2 + Math.imul(H2, 0xc2b2ae35) + k1)) | 0;
      n++;
    }
    tag = 0x4f000000 + n;
    size = n;
  }
  lanes(a, b, tag);
  // Only an object holding objects (or a big leaf) is worth an entry: a small leaf rehashes faster than it is cached.
  if (skip && insert && (visits !== mark || size >= LEAF_CACHED)) {
    cache.set(v, [H1, H2]);
  }
}

const hex = (x: number): string => (x >>> 0).toString(16).padStart(8, '0');

/** The hash of any value the model keeps in a state (plain data: objects, arrays, maps, sets, scalars), as 16 hex digits. */
export function valueHash(v: unknown): string {
  hashInto(v, true);
  return hex(H1) + hex(H2);
}

/** The hash of plain data taken whole (no key left out, nothing cached: monitor memos are copied per trace). */
export function dataHash(v: unknown): string {
  hashInto(v, false);
  return hex(H1) + hex(H2);
}

// The running lanes of a fold (stateLanes, traceKey): each part's H1/H2 mixed in order.
let A = 0;
let B = 0;
function fold(): void {
  A = mix(Math.imul(A, 0x01000193) ^ H1);
  B = mix(B + Math.imul(H2, 0x9e3779b1) + 1);
}

/** Sets H1/H2 to the hash of a machine state (what sameFuture compares). */
function stateLanes(m: MachineState): void {
  const a0 = A;
  const b0 = B;
  A = 0;
  B = 0;
  hashInto(m.cpu, true); fold();
  hashInto(m.k, true); fold();
  hashInto(m.hw, true); fold();
  if (m.hw.armed.length > 0) { hashString(armedKey(m)); fold(); }
  lanes(Math.sign(m.hw.nmiLastDelivered - m.k.percpu.nmiLastHandled), 0, 12); fold();
  H1 = A;
  H2 = B;
  A = a0;
  B = b0;
}

/** The fingerprint of a machine state: equal for states with the same future. */
export function stateFingerprint(m: MachineState): string {
  stateLanes(m);
  return hex(H1) + hex(H2);
}

/**
 * The key of an exploration state: an end state, its monitors' memos (plain data, hashed whole)
 * and the states of the comparisons still open, in order. Four 16-bit characters: a Set key,
 * never shown. `reused` false says no state will be built from this one (the last level): its
 * new objects then get no cache entries, which would cost more than hashing them (a WeakMap
 * insertion is about 0.8 us, and a state has some thirty new objects).
 */
export function traceKey(end: MachineState, memos: unknown, open: readonly MachineState[], reused = true): string {
  insert = reused;
  A = 0;
  B = 0;
  stateLanes(end); fold();
  hashInto(memos, false); fold();
  for (const m of open) { stateLanes(m); fold(); }
  lanes(A, B, 14 + open.length);
  insert = true;
  return String.fromCharCode(H1 & 0xffff, H1 >>> 16, H2 & 0xffff, H2 >>> 16);
}
