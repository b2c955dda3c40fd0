/**
 * Every error text the ISA layer can raise, in one table (immer's style): callers and tests
 * match on the code, people read the message.
 */
export const isaErrors = {
  notU64: (what: string, value: unknown) =>
    `${what}: expected a 64-bit quantity (bigint in 0..2^64-1), got ${describe(value)}`,
  notVendor: (value: unknown) => `vendor: expected "intel" or "amd", got ${describe(value)}`,
  notPaging: (value: unknown) => `paging: expected 4 or 5, got ${describe(value)}`,
  badRflags: (value: bigint) =>
    `rflags: reserved bits must be fixed (bit 1 set; bits 3, 5, 15, 22-63 clear), got 0x${value.toString(16)}`,
  badVector: (value: unknown) => `vector: expected an integer 0..255, got ${describe(value)}`,
  badSelector: (value: unknown) => `selector: expected an integer 0..0xffff, got ${describe(value)}`,
  badIst: (value: unknown) => `IST index: expected an integer 0..7, got ${describe(value)}`,
  noGate: (vector: number) => `IDT: no gate for vector ${vector}`,
} as const;

function describe(value: unknown): string {
  if (typeof value === 'bigint') return `${value < 0n ? '-' : ''}0x${(value < 0n ? -value : value).toString(16)}n`;
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null) return 'null';
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object';
  return `${typeof value} ${String(value)}`;
}

/** The error thrown for bad input to an ISA function: a programming or file error, never a CPU fault. */
export class IsaInputError extends Error {
  override readonly name = 'IsaInputError';
}
