/**
 * The `--seed` flag of every command that takes one. fast-check seeds are 32-bit integers: a
 * number outside that range is folded into it (2^32 runs as 0, and a number past 2^53 is
 * rounded before that), so two different flags would silently run the same search. Only
 * decimal integers in the range are accepted; anything else is a one-line error (exit 2).
 */
import { SEED_MAX, SEED_MIN } from '../check/counterexample.ts';
import { InputError, inputErrors } from '../check/errors.ts';

/** The seed a `--seed` value stands for, `def` when absent; a one-line InputError otherwise. */
export function parseSeed(v: string | undefined, def: number, min = SEED_MIN): number {
  if (v === undefined) return def;
  // Compared as BigInt: Number('18446744073709551616') is already rounded.
  const ok = /^-?\d{1,20}$/.test(v) && BigInt(v) >= BigInt(min) && BigInt(v) <= BigInt(SEED_MAX);
  if (!ok) throw new InputError(inputErrors.badFlag('seed', v, `an integer from ${min} to ${SEED_MAX} (fast-check seeds are 32-bit)`));
  return Number(v);
}
