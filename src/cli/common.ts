/**
 * What several commands share: reading integer flags, the exit-status text of `--help`, the
 * designs and invariants a command was asked for (knowing which user files could not be
 * loaded), and the one-line warnings about those files.
 */
import { allDesigns, brokenDesigns } from '../check/designs.ts';
import { brokenProperties, discoverInvariants, type Discovered } from '../check/discover.ts';
import { InputError, inputErrors } from '../check/errors.ts';
import { designByName } from '../check/session.ts';
import type { Design } from '../kernel/index.ts';

/** An integer flag in [min, max], `def` when absent; a one-line InputError otherwise. */
export function intFlag(flag: string, v: string | undefined, def: number, min: number, max: number): number {
  if (v === undefined) return def;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new InputError(inputErrors.badFlag(flag, v, `an integer from ${min} to ${max}`));
  return Number(v);
}

/** The exit-status paragraph of a command's help. */
export function exitHelp(one: string): string {
  return `\nExit status:\n  0  ${'success'}\n  1  ${one}\n  2  bad input: a bad flag, an unknown name, a malformed file (one line on stderr)\n`;
}

/** Writes one warning line per user file that could not be loaded (once per process). */
let warned = false;
export function warnBrokenFiles(): void {
  if (warned) return;
  warned = true;
  for (const b of [...brokenDesigns(), ...brokenProperties()]) process.stderr.write(`entrycheck: warning: ${inputErrors.skippedFile(b.message)}\n`);
}

/** The design named `name`, or an InputError: unknown (with a suggestion) or its file is broken. */
export function designNamed(name: string): Design {
  const b = brokenDesigns().find((x) => x.name === name);
  if (b !== undefined && !allDesigns().some((d) => d.name === name)) throw new InputError(inputErrors.brokenFile('design', name, b.message));
  return designByName(name);
}

/** Every invariant that loaded (broken property files warned about). */
export async function loadInvariants(): Promise<Discovered[]> {
  const all = await discoverInvariants(undefined, { tolerant: true });
  warnBrokenFiles();
  return all;
}

/** The invariants `ids` names, in that order, or all of them; an unknown or broken one is an InputError. */
export function selectInvariants(all: readonly Discovered[], ids: readonly string[] | undefined): Discovered[] {
  if (ids === undefined) return [...all];
  return ids.map((id) => {
    const d = all.find((x) => x.invariant.id === id);
    if (d !== undefined) return d;
    const b = brokenProperties().find((x) => x.name === id);
    if (b !== undefined) throw new InputError(inputErrors.brokenFile('invariant', id, b.message));
    throw new InputError(inputErrors.unknownInvariant(id, all.map((x) => x.invariant.id)));
  });
}
