/**
 * Validation of the files users hand us: JSON text checked against a zod schema, the first
 * problem reported as one line naming the file and the field (the InputError of errors.ts).
 */
import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { InputError, inputErrors } from './errors.ts';
import { parseJson } from './json.ts';

/** Reads a file's text or throws a one-line InputError (the errno code, no stack). */
export function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError(inputErrors.readFile(file, (e as NodeJS.ErrnoException).code ?? (e as Error).message));
  }
}

/** One line for the first problem zod found. */
export function zodLine(file: string, err: z.ZodError): string {
  const issue = err.issues[0];
  if (issue === undefined) return inputErrors.field(file, '', 'invalid');
  const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
  return inputErrors.field(file, path, issue.message);
}

/** Checks an already parsed value against a schema; throws a one-line InputError. */
export function validate<S extends z.ZodType>(schema: S, value: unknown, file: string): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw new InputError(zodLine(file, r.error));
  return r.data;
}

/** Parses JSON text; throws a one-line InputError when it is not JSON. */
export function parseJsonFile(text: string, file: string): unknown {
  const j = parseJson(text);
  if (!j.ok) throw new InputError(inputErrors.notJson(file, j.error));
  return j.value;
}

/** Parses JSON text and checks it against a schema; throws a one-line InputError. */
export function parseValidated<S extends z.ZodType>(schema: S, text: string, file: string): z.output<S> {
  return validate(schema, parseJsonFile(text, file), file);
}
