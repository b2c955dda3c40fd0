/**
 * Validation of the files users hand us: JSON text checked against a zod schema, the first
 * problem reported as one line naming the file and the field (the InputError of errors.ts).
 */
import type { z } from 'zod';
import { InputError, inputErrors } from './errors.ts';
import { parseJson } from './json.ts';
import { schemaKeys } from './schema-keys.ts';
import { issueText } from './zod-issue.ts';

export { readText } from './read-file.ts';

/** One line for the first problem zod found. */
export function zodLine(file: string, err: z.ZodError, schema?: z.ZodType): string {
  const issue = err.issues[0];
  if (issue === undefined) return inputErrors.field(file, '', 'expected a valid file, got one zod rejects without saying why');
  const [path, why] = issueText(issue, [], schema ? schemaKeys(schema) : []);
  return inputErrors.field(file, path, why);
}

/** Checks an already parsed value against a schema; throws a one-line InputError. */
export function validate<S extends z.ZodType>(schema: S, value: unknown, file: string): z.output<S> {
  // reportInput: the offending value goes into "got ..." (escaped and cut there).
  const r = schema.safeParse(value, { reportInput: true });
  if (!r.success) throw new InputError(zodLine(file, r.error, schema));
  return r.data;
}

/** Parses JSON text; throws a one-line InputError (line, column, expected, got) when it is not JSON. */
export function parseJsonFile(text: string, file: string): unknown {
  const j = parseJson(text);
  if (!j.ok) throw new InputError(inputErrors.notJson(file, j.error.line, j.error.column, j.error.expected, j.error.got));
  return j.value;
}

/** Parses JSON text and checks it against a schema; throws a one-line InputError. */
export function parseValidated<S extends z.ZodType>(schema: S, text: string, file: string): z.output<S> {
  return validate(schema, parseJsonFile(text, file), file);
}
