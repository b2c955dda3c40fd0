/**
 * JSON with 64-bit values: bigints are written as "0x..." hex strings (DESIGN.md section 1), keys
 * in a stable order, so the same data always gives the same bytes. Parse errors are a position
 * and "expected X, got Y" (json-error.ts), never an excerpt of the text.
 */
import { locateJsonError, type JsonSyntaxError } from './json-error.ts';

/** Serialises with bigints as hex strings and a trailing newline. */
export function stringify(value: unknown, indent = 2): string {
  return `${JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v), indent)}\n`;
}

/** Parses JSON, returning where and why it is not JSON instead of throwing. */
export function parseJson(text: string): { ok: true; value: unknown } | { ok: false; error: JsonSyntaxError } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    // JSON.parse and the scanner follow the same grammar; should they ever disagree, the
    // scanner's "no error" still gives a one-line answer rather than V8's excerpt.
    return { ok: false, error: locateJsonError(text) ?? { line: 1, column: 1, expected: 'JSON', got: 'text JSON.parse rejects' } };
  }
}
