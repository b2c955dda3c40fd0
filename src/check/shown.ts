/**
 * How a user's value appears inside a one-line error: quoted, with every control character,
 * line separator and bidirectional override escaped (so a name cannot break the line, move the
 * cursor or colour the terminal), and cut to a few dozen characters (a 50 MB name is counted,
 * not printed).
 */
import { MAX_LINE, MAX_SHOWN } from './limits.ts';

/**
 * Characters JSON.stringify leaves alone that still upset a terminal or a line-based reader:
 * DEL, the C1 controls (CSI is 0x9b), U+2028/2029, and the bidirectional marks and overrides.
 */
const UNSAFE = /[\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;

const hex4 = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** Escapes a string for one line (without quotes): JSON escapes plus the characters above. */
export function escaped(s: string): string {
  return JSON.stringify(s).slice(1, -1).replace(UNSAFE, hex4);
}

/** Cuts `s` to `max` characters without splitting a surrogate pair. */
function cut(s: string, max: number): string {
  let end = Math.min(max, s.length);
  const last = s.charCodeAt(end - 1);
  if (end < s.length && last >= 0xd800 && last <= 0xdbff) end--;
  return s.slice(0, end);
}

/** A user's string as quoted, escaped text; longer than `max`, its start and its length. */
export function shown(s: string, max = MAX_SHOWN): string {
  if (s.length <= max) return `"${escaped(s)}"`;
  return `"${escaped(cut(s, max))}..." (${s.length} characters)`;
}

/**
 * A file name as the user typed it: bare when it is plain printable text, quoted and escaped
 * otherwise; a long one keeps its end (the file's own name) and says how long it was.
 */
export function shownPath(file: string, max = 160): string {
  const plain = /^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/.test(file) && !file.includes('"');
  if (file.length <= max) return plain ? file : `"${escaped(file)}"`;
  return `"...${escaped(file.slice(file.length - max))}" (${file.length} characters)`;
}

/** Any value from a parsed file, described for "got ..." (strings through `shown`). */
export function described(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') return shown(v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'object') return 'an object';
  return typeof v;
}

/**
 * The last guard on a line about to be printed: whatever was not escaped is, and the line is
 * cut to MAX_LINE characters. Texts built with `shown` pass through unchanged.
 */
export function oneLine(s: string): string {
  const flat = s.replace(/[\u0000-\u001f]/g, hex4).replace(UNSAFE, hex4);
  return flat.length <= MAX_LINE ? flat : `${cut(flat, MAX_LINE)}... (${flat.length} characters)`;
}
