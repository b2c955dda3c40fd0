/**
 * A schema's complaint as one line: the field's path (`events[3].frame.rip`) and "expected X,
 * got Y". zod's own messages quote unknown keys and values raw (a key with a newline breaks the
 * line) and say "received"; here every value from the file goes through `described`/`shown`,
 * and a union says what each alternative wanted, or follows the one that got furthest.
 */
import type { z } from 'zod';
import { didYouMean, issueTexts as T } from './errors.ts';
import { described, shown } from './shown.ts';

/** One issue of a zod error (`input` is present when parsed with `reportInput: true`). */
export type Issue = z.core.$ZodIssue;

const TYPES: Readonly<Record<string, string>> = {
  string: 'a string', number: 'a number', int: 'an integer', boolean: 'true or false', object: 'an object', array: 'an array',
  null: 'null', bigint: 'a hex string', record: 'an object', tuple: 'an array',
};

/** `events[3].frame.rip`; a key that is not a plain name is quoted and escaped. */
export function pathText(path: readonly PropertyKey[]): string {
  return path.map((p, k) => {
    if (typeof p === 'number') return `[${p}]`;
    const s = String(p);
    return /^[A-Za-z_$][\w$]*$/.test(s) ? `${k > 0 ? '.' : ''}${s}` : `[${shown(s, 40)}]`;
  }).join('');
}

const unit = (origin: string): string => (origin === 'array' ? ' items' : origin === 'string' ? ' characters' : '');

/** What a leaf issue wanted, without "expected". */
function expectation(i: Issue): string {
  // The schemas of this project write their own messages as "expected ..."; zod's never start so.
  if (i.message.startsWith('expected ')) return i.message.slice('expected '.length);
  switch (i.code) {
    case 'invalid_type': return TYPES[i.expected] ?? i.expected;
    case 'invalid_value': return T.oneOf(i.values);
    case 'too_big': return i.inclusive === false ? T.below(i.maximum) : T.atMost(i.maximum, unit(i.origin));
    case 'too_small': return i.inclusive === false ? T.above(i.minimum) : T.atLeast(i.minimum, unit(i.origin));
    case 'invalid_union': return 'options' in i && i.options ? T.oneOf(i.options) : 'one of the alternatives';
    case 'invalid_format': return i.pattern ? T.pattern(i.pattern) : 'a valid value';
    default: return 'a valid value';
  }
}

/** What the file held, for "got ...": sizes rather than contents where the size is the point. */
function got(i: Issue): string {
  const v = i.input;
  if ((i.code === 'too_big' || i.code === 'too_small') && (typeof v === 'string' || Array.isArray(v))) return String(v.length);
  return described(v);
}

/** The branch of a union that got furthest: its first issue has the longest path. */
function furthest(i: Extract<Issue, { code: 'invalid_union' }>): Issue | undefined {
  let best: Issue | undefined;
  for (const branch of i.errors) {
    const first = branch[0];
    if (first !== undefined && first.path.length > (best?.path.length ?? 0)) best = first;
  }
  return best;
}

/** One issue as [path, why]; `keys` are the field names the schema knows (for "did you mean"). */
export function issueText(i: Issue, prefix: readonly PropertyKey[] = [], keys: readonly string[] = []): [string, string] {
  const path = [...prefix, ...i.path];
  if (i.code === 'unrecognized_keys') return [pathText(path), T.unknownField(i.keys[0] ?? '', i.keys.length - 1, keys)];
  if (i.code === 'invalid_union') {
    if (i.discriminator !== undefined) {
      // The discriminator's value is what was wrong; zod reports the whole object as input.
      const input = i.input as Record<string, unknown> | undefined;
      const v = input !== null && typeof input === 'object' ? input[i.discriminator] : undefined;
      const options = 'options' in i && Array.isArray(i.options) ? i.options.filter((o): o is string => typeof o === 'string') : [];
      const hint = typeof v === 'string' ? didYouMean(v, options) : '';
      return [pathText(path), v === undefined ? T.missing(expectation(i)) : `${T.expectedGot(expectation(i), described(v))}${hint}`];
    }
    const deeper = furthest(i);
    if (deeper !== undefined) return issueText(deeper, path, keys);
    const wants = [...new Set(i.errors.map((b) => (b[0] ? expectation(b[0]) : '')).filter(Boolean))];
    return [pathText(path), T.expectedGot(wants.join(' or ') || 'one of the alternatives', described(i.input))];
  }
  if (i.code === 'invalid_key' || i.code === 'invalid_element') {
    const inner = i.issues[0];
    if (inner) return issueText(inner, path, keys);
  }
  if (i.input === undefined && (i.code === 'invalid_type' || i.code === 'invalid_value')) return [pathText(path), T.missing(expectation(i))];
  return [pathText(path), T.expectedGot(expectation(i), got(i))];
}
