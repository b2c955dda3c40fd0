/**
 * JSON with 64-bit values: bigints are written as "0x..." hex strings (DESIGN.md section 1), keys
 * in a stable order, so the same data always gives the same bytes.
 */

/** Serialises with bigints as hex strings and a trailing newline. */
export function stringify(value: unknown, indent = 2): string {
  return `${JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v), indent)}\n`;
}

/** Parses JSON, returning the error message instead of throwing. */
export function parseJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}
