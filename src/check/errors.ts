/**
 * Every error text about bad input (files, designs, flags), in one table. Each is one line that
 * names the file or flag and the field, in the form "expected X, got Y"; the CLI prints it and
 * exits with status 2. Every value that came from the user goes through `shown`/`shownPath`
 * (escaped, cut), so no file, name or flag can break the line or make it long.
 */
import { described, oneLine, shown, shownPath } from './shown.ts';
import { closest } from './suggest.ts';

/** " (did you mean "x"?)" when a known name is close to `name`, else nothing. */
export function didYouMean(name: string, names: readonly string[]): string {
  const best = closest(name, names);
  return best.length === 0 ? '' : ` (did you mean ${best.map((b) => shown(b)).join(' or ')}?)`;
}

/** Known names, or the first of them and how many more (a line stays short with many designs). */
function known(names: readonly string[], max = 16): string {
  const head = names.slice(0, max).map((n) => shownPath(n, 40)).join(', ');
  return names.length > max ? `${head} and ${names.length - max} more` : head;
}

/** The first line of an error, with the next one when the first only announces it ("Transform failed with 1 error:"). */
function firstLines(why: string): string {
  const lines = why.split('\n').map((l) => l.trim()).filter(Boolean);
  const first = lines[0] ?? '';
  return first.endsWith(':') && lines[1] !== undefined ? `${first} ${lines[1]}` : first;
}

/** What each errno code means to a person reading the line. */
const ERRNO: Readonly<Record<string, string>> = {
  ENOENT: 'no such file', EACCES: 'permission denied', EPERM: 'permission denied', ENOTDIR: 'a parent is not a folder',
  ELOOP: 'too many symbolic links', ENAMETOOLONG: 'name too long', EISDIR: 'a folder', EMFILE: 'too many open files',
};

/** The texts of the errors about user input. */
export const inputErrors = {
  readFile: (file: string, code: string) => `${shownPath(file)}: cannot read: expected a readable file, got ${code}${ERRNO[code] ? ` (${ERRNO[code]})` : ''}`,
  notRegular: (file: string, kind: string) => `${shownPath(file)}: expected a regular file, got ${kind}`,
  tooLarge: (file: string, max: number, size: number) => `${shownPath(file)}: expected at most ${max} bytes, got ${size}`,
  notUtf8: (file: string) => `${shownPath(file)}: expected UTF-8 text, got bytes that are not`,
  notJson: (file: string, line: number, column: number, expected: string, got: string) =>
    `${shownPath(file)}: not JSON: line ${line}, column ${column}: expected ${expected}, got ${got}`,
  field: (file: string, path: string, why: string) => `${shownPath(file)}: ${path || '(top level)'}: ${why}`,
  unknownDesign: (name: string, names: readonly string[]) =>
    `unknown design ${shown(name)}${didYouMean(name, names) || ` (known: ${known(names)})`}`,
  unknownDesignIn: (file: string, path: string, name: string, names: readonly string[]) =>
    `${shownPath(file)}: ${path}: expected a known design${didYouMean(name, names) ? '' : ` (${known(names)})`}, got ${shown(name)}${didYouMean(name, names)}`,
  unknownInvariant: (id: string, ids: readonly string[]) =>
    `unknown invariant ${shown(id)}${didYouMean(id, ids) || ` (known: ${known(ids)})`}`,
  unknownInvariantIn: (file: string, path: string, id: string, ids: readonly string[]) =>
    `${shownPath(file)}: ${path}: expected a known invariant${didYouMean(id, ids) ? '' : ` (${known(ids)})`}, got ${shown(id)}${didYouMean(id, ids)}`,
  badSymbol: (file: string, path: string, sym: string, symbols: readonly string[] = []) =>
    `${shownPath(file)}: ${path}: expected a known symbol such as "$next" or "$user_code", got ${shown(sym)}${didYouMean(sym, symbols.map((n) => `$${n}`))}`,
  /** An invariant or design file that could not be loaded, named by `--property`/`--design`. */
  brokenFile: (what: string, name: string, why: string) => `${what} ${shown(name)} is not available: ${why}`,
  /** A property or design file that could not be loaded: a warning, the rest goes on. */
  skippedFile: (why: string) => `${why} (skipped: fix it or move it away)`,
  /** replay --seed without --path, or the other way round. */
  seedAndPath: () => '--seed and --path go together: expected both (a recorded fast-check run) or neither',
  /** replay with no file and no --seed/--path. */
  nothingToReplay: () => 'replay: expected a trace or counterexample file, or --seed S --path P',
  /** A file given to merge that is not the output of run --json. */
  notRunOutput: (file: string, why: string) => `${shownPath(file)}: expected the output of entrycheck run --json: ${why}`,
  /** merge: the same cell with two different expectations (shards of different checkouts). */
  mergeConflict: (file: string, cell: string) => `${shownPath(file)}: ${cell}: expected the same expected verdict in every shard, got a different one`,
  tooLongToView: (file: string, max: number, n: number) => `${shownPath(file)}: expected at most ${max} events for a page, got ${n} (replay it, or cut it)`,
  badFlag: (flag: string, value: string, want: string) => `--${flag}: expected ${want}, got ${shown(value)}`,
  /** A user's design or property file (TypeScript) whose export is wrong. */
  designFile: (file: string, path: string, why: string) => `${shownPath(file)}: ${path}: ${why}`,
  cannotLoad: (file: string, why: string) => `${shownPath(file)}: cannot load: ${shown(firstLines(why), 200)}`,
  duplicate: (file: string, path: string, what: string, name: string) => `${shownPath(file)}: ${path}: expected a new ${what} name, got ${shown(name)} (already defined)`,
  pathName: (what: string, name: string, want: string) => `${what} name ${shown(name)}: expected ${want} (it names a file), got other characters or more than 64`,
  /** A saved counterexample under --out that could not be read: renamed, the run goes on (a warning). */
  setAside: (why: string, to: string) => `${oneLine(why)} (set aside as ${shownPath(to)})`,
  /** A unit whose work stopped moving: the watchdog stopped it. */
  stalled: (who: string, seconds: number) => `${who} made no progress for ${seconds} s (a loop?): the unit was stopped`,
  /** A message of the argument parser (commander), made one line. */
  usage: (message: string) => message.replace(/^error: /, '').replace(/\n\(Did you mean/g, ' (did you mean').replace(/\n+$/, ''),
} as const;

/** Parts of the "expected X, got Y" texts built from a schema's complaint (see zod-issue.ts). */
export const issueTexts = {
  expectedGot: (expected: string, got: string) => `expected ${expected}, got ${got}`,
  missing: (expected: string) => `missing: expected ${expected}`,
  unknownField: (key: string, more: number, knownKeys: readonly string[] = []) =>
    `expected only known fields, got ${shown(key)}${more > 0 ? ` and ${more} more` : ''}${didYouMean(key, knownKeys)}`,
  oneOf: (values: readonly unknown[]) => (values.length === 1 ? described(values[0]) : `one of ${values.map(described).join(', ')}`),
  atMost: (n: number | bigint, unit: string) => `at most ${n}${unit}`,
  atLeast: (n: number | bigint, unit: string) => `at least ${n}${unit}`,
  below: (n: number | bigint) => `a number below ${n}`,
  above: (n: number | bigint) => `a number above ${n}`,
  pattern: (pattern: string) => `a string matching ${pattern}`,
} as const;

/** Bad input from a user: reported as one line, exit status 2. The message is made one line here. */
export class InputError extends Error {
  override readonly name = 'InputError';
  constructor(message: string) {
    super(oneLine(message));
  }
}
