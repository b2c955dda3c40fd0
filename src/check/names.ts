/**
 * Names that become paths: an invariant id names a folder of counterexamples/, a design name
 * starts the file names in it (`<invariant>/<design>-<vendor>-<paging>-<hash>.json`). Both are
 * checked wherever they are accepted (trace and counterexample files, designs/, properties/),
 * and once more where a path is made from them, so that `../../x` can never leave `--out`.
 */
import { z } from 'zod';
import { InputError, inputErrors } from './errors.ts';
import { MAX_NAME, MAX_TEXT } from './limits.ts';

/** Invariant ids: lower-case letters, digits and dashes, as defineInvariant requires. */
export const INVARIANT_ID = /^[a-z0-9][a-z0-9-]*$/;
/** Design names: the same, plus dots and underscores (`linux-6.7`). Never `.`, `..` or a `/`. */
export const DESIGN_NAME = /^[a-z0-9][a-z0-9._-]*$/;

/** Schema of an invariant id in a file. */
export const invariantIdSchema = z.string()
  .max(MAX_NAME, `expected an invariant id of at most ${MAX_NAME} characters`)
  .regex(INVARIANT_ID, 'expected an invariant id (lower-case letters, digits and dashes)');

/** Schema of a design name in a file. */
export const designNameSchema = z.string()
  .max(MAX_NAME, `expected a design name of at most ${MAX_NAME} characters`)
  .regex(DESIGN_NAME, 'expected a design name (lower-case letters, digits, dots, dashes and underscores)');

/** Schema of a bounded free-text field. */
export const textSchema = z.string().max(MAX_TEXT, `expected at most ${MAX_TEXT} characters`);

/** The optional `"$schema"` a file may name (the JSON Schema an editor should check it with). */
export const schemaRefSchema = textSchema.optional();

/** Whether a name may become a path component. */
export function isDesignName(name: string): boolean {
  return name.length <= MAX_NAME && DESIGN_NAME.test(name);
}

/** Throws unless `name` may become part of a path (the last check before a path is made). */
export function checkPathName(what: 'invariant' | 'design', name: string): void {
  const ok = name.length <= MAX_NAME && (what === 'invariant' ? INVARIANT_ID : DESIGN_NAME).test(name);
  if (!ok) throw new InputError(inputErrors.pathName(what, name, what === 'invariant' ? 'lower-case letters, digits and dashes' : 'lower-case letters, digits, dots, dashes and underscores'));
}
