/**
 * Where JSON text stops being JSON, as a line, a column and "expected X, got Y". V8's own
 * messages quote the text around the error (raw newlines and all) and change between Node
 * versions; this scanner follows RFC 8259 and says the same thing everywhere. It is called only
 * after JSON.parse failed, keeps its nesting in an array (a million `[` do not overflow the
 * stack) and allocates nothing per character.
 */
import { shown } from './shown.ts';

/** The first syntax error of a text. */
export interface JsonSyntaxError {
  /** 1-based line and column (columns count UTF-16 code units, as editors mostly do). */
  readonly line: number;
  readonly column: number;
  readonly expected: string;
  readonly got: string;
}

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isHex = (c: number): boolean => isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);

/** Scans `text`; null when it is valid JSON. */
export function locateJsonError(text: string): JsonSyntaxError | null {
  let i = 0;
  const fail = (expected: string): JsonSyntaxError => {
    let line = 1;
    let start = 0;
    for (let k = text.indexOf('\n'); k !== -1 && k < i; k = text.indexOf('\n', k + 1)) { line++; start = k + 1; }
    return { line, column: i - start + 1, expected, got: i >= text.length ? 'the end of the file' : shown(String.fromCodePoint(text.codePointAt(i) ?? 0)) };
  };
  const skipWs = (): void => { while (i < text.length && WS.has(text.charCodeAt(i))) i++; };
  const digits = (): boolean => {
    if (!isDigit(text.charCodeAt(i))) return false;
    while (isDigit(text.charCodeAt(i))) i++;
    return true;
  };
  /** One scalar or the opening of a container; returns an error, '{' / '[' to open one, or null. */
  const value = (orClose = ''): JsonSyntaxError | '{' | '[' | null => {
    const c = text.charCodeAt(i);
    if (c === 0x7b || c === 0x5b) { i++; return c === 0x7b ? '{' : '['; }
    if (c === 0x22) return string();
    for (const word of ['true', 'false', 'null']) {
      if (c === word.charCodeAt(0)) {
        for (let k = 0; k < word.length; k++, i++) if (text.charCodeAt(i) !== word.charCodeAt(k)) return fail(`"${word}"`);
        return null;
      }
    }
    if (c === 0x2d || isDigit(c)) {
      if (c === 0x2d) i++;
      if (text.charCodeAt(i) === 0x30) i++;
      else if (!digits()) return fail('a digit');
      if (text.charCodeAt(i) === 0x2e) { i++; if (!digits()) return fail('a digit after the decimal point'); }
      if ((text.charCodeAt(i) | 0x20) === 0x65) {
        i++;
        if (text.charCodeAt(i) === 0x2b || text.charCodeAt(i) === 0x2d) i++;
        if (!digits()) return fail('a digit in the exponent');
      }
      return null;
    }
    return fail(`a value (object, array, string, number, true, false or null)${orClose}`);
  };
  const string = (): JsonSyntaxError | null => {
    i++; // the opening quote
    for (;;) {
      if (i >= text.length) return fail('a closing \'"\'');
      const c = text.charCodeAt(i);
      if (c === 0x22) { i++; return null; }
      if (c < 0x20) return fail('an escaped control character (such as \\n) inside a string');
      if (c === 0x5c) {
        const e = text.charCodeAt(i + 1);
        if (e === 0x75) {
          for (let k = 2; k < 6; k++) if (!isHex(text.charCodeAt(i + k))) { i += k; return fail('4 hex digits after \\u'); }
          i += 6;
        } else if ('"\\/bfnrt'.includes(String.fromCharCode(e))) {
          i += 2;
        } else {
          i++;
          return fail('an escape: \\" \\\\ \\/ \\b \\f \\n \\r \\t or \\u');
        }
      } else {
        i++;
      }
    }
  };

  const stack: Array<'{' | '['> = [];
  skipWs();
  let opened = value();
  for (;;) {
    if (opened !== null && typeof opened === 'object') return opened;
    if (opened === '{' || opened === '[') {
      // Just inside a container: its end, or its first member.
      stack.push(opened);
      skipWs();
      const close = opened === '{' ? 0x7d : 0x5d;
      if (text.charCodeAt(i) === close) { i++; stack.pop(); opened = null; continue; }
      if (opened === '{') {
        if (text.charCodeAt(i) !== 0x22) return fail('a property name in double quotes or \'}\'');
        const e = string();
        if (e) return e;
        skipWs();
        if (text.charCodeAt(i) !== 0x3a) return fail('\':\' after the property name');
        i++;
      }
      skipWs();
      opened = value(opened === '[' ? " or ']'" : '');
      continue;
    }
    // A value has just ended: a separator, the container's end, or the end of the text.
    skipWs();
    const top = stack[stack.length - 1];
    if (top === undefined) return i >= text.length ? null : fail('the end of the file after the value');
    const close = top === '{' ? 0x7d : 0x5d;
    const c = text.charCodeAt(i);
    if (c === close) { i++; stack.pop(); continue; }
    if (c !== 0x2c) return fail(top === '{' ? '\',\' or \'}\' after the property value' : '\',\' or \']\' after the array element');
    i++;
    skipWs();
    if (top === '{') {
      if (text.charCodeAt(i) !== 0x22) return fail('a property name in double quotes');
      const e = string();
      if (e) return e;
      skipWs();
      if (text.charCodeAt(i) !== 0x3a) return fail('\':\' after the property name');
      i++;
      skipWs();
    }
    opened = value();
  }
}
