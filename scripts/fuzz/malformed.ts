/**
 * Malformed input files, by class, as fast-check arbitraries: each starts from a valid trace or
 * counterexample and breaks it in one way that makes it invalid by construction (a proper prefix
 * of a JSON object is never JSON, an unknown key is never accepted by a strict schema, ...), so
 * that every file must give exit status 2. Shared by the tests (a few hundred files) and by
 * `npm run soak` (ten thousand). Non-regular files (FIFOs, devices, folders) are made by
 * writeMalformed.
 */
import fc from 'fast-check';
import { eventArbitrary } from '../../src/check/arbitrary.ts';
import { COUNTEREXAMPLE_FORMAT, TOOL_VERSION } from '../../src/check/counterexample.ts';
import { MAX_EVENTS, MAX_FILE_BYTES } from '../../src/check/limits.ts';
import { TRACE_FORMAT } from '../../src/check/trace-file.ts';
import { DESIGNS } from '../../src/kernel/index.ts';

/** What a malformed file is: its text or bytes, or a kind of non-regular file. */
export type Malformed =
  | { readonly cls: string; readonly text: string }
  | { readonly cls: string; readonly bytes: Uint8Array }
  | { readonly cls: string; readonly special: 'fifo' | 'dev-zero' | 'folder' | 'dangling-link' | 'link-loop' };

type Doc = Record<string, unknown>;
/** Invariant ids that exist (a counterexample must name one to be valid before it is broken). */
const INVARIANTS = ['compat-status', 'cr2-coherence', 'exit-work', 'nmi-safety', 'sysret-iret-equivalence'];
const hexKnobs = (k: object): Doc => JSON.parse(JSON.stringify(k, (_k, v: unknown) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v))) as Doc;

const events = fc.array(eventArbitrary, { minLength: 1, maxLength: 8 });
const common = { vendor: fc.constantFrom('intel', 'amd'), paging: fc.constantFrom(4, 5), events };

/** A valid trace file. */
export const validTrace: fc.Arbitrary<Doc> = fc.record({ format: fc.constant(TRACE_FORMAT), design: fc.constantFrom(...DESIGNS.map((d) => d.name)), ...common });

/** A valid counterexample file. */
export const validCounterexample: fc.Arbitrary<Doc> = fc.record({
  format: fc.constant(COUNTEREXAMPLE_FORMAT), tool: fc.constant(TOOL_VERSION), invariant: fc.constantFrom(...INVARIANTS),
  design: fc.constantFrom(...DESIGNS).map((d) => ({ name: d.name, source: d.source, reconstructed: d.reconstructed, knobs: hexKnobs(d.knobs) })),
  ...common, seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }), path: fc.constant('0:1'),
  failure: fc.record({ step: fc.nat(8), message: fc.string() }), expect: fc.constant('violated'),
});

const valid = fc.oneof(validTrace, validCounterexample);
const isCe = (d: Doc): boolean => d.format === COUNTEREXAMPLE_FORMAT;
const json = (d: unknown): string => JSON.stringify(d, null, 1);
const TOP_KEYS = new Set(['$schema', 'format', 'design', 'vendor', 'paging', 'initial', 'events', 'note', 'tool', 'invariant', 'seed', 'path', 'failure', 'expect']);
const EVENT_KEYS = new Set(['type', 'reg', 'value', 'flags', 'addr', 'write', 'watched', 'nr', 'args', 'frame', 'target', 'after', 'vector', 'index', 'options', 'regs', 'task', 'signal']);
const EVENT_TYPES = new Set(['user.setReg', 'user.popf', 'user.nop', 'user.access', 'user.movSs', 'user.syscall', 'user.sysenter', 'user.int80', 'user.int3', 'user.jump',
  'user.wrgsbase', 'hw.irq', 'hw.nmi', 'hw.remoteLdt', 'tracer.attach', 'tracer.setRegs', 'tracer.singleStep', 'tracer.cont', 'tracer.watch', 'sched.wake', 'sched.signal']);

/** Strings with what breaks lines and terminals: newlines, escape sequences, C1 controls, bidi overrides, NUL. */
export const hostileString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.array(fc.constantFrom('\n', '\r', '\x1b[31m', '\x1b]0;title\x07', '\u009b2J', '\u202e', '\u2028', '\0', '../', 'a', '"', '\\'), { minLength: 1, maxLength: 12 }).map((a) => a.join('')),
);
/** Names that are not design names or invariant ids: traversal, hostile characters, too long. */
const badName = fc.oneof(
  fc.constantFrom('../../../x', '..', '.', '/etc/passwd', 'a/b', 'a\\b', '', '-x', '.hidden', 'Linux-6.7', 'linux 6.7', 'x\ny'),
  hostileString.map((s) => `a${s}/`),
  fc.integer({ min: 65, max: 200_000 }).map((n) => 'a'.repeat(n)),
);
const wrongTypeValue = (current: unknown): fc.Arbitrary<unknown> =>
  fc.constantFrom<unknown>(7, true, null, [], {}, 'x', 1.5).filter((v) => typeof v !== typeof current || (v === null) !== (current === null) || Array.isArray(v) !== Array.isArray(current));

const withEvent = (d: Doc, i: number, e: unknown): Doc => ({ ...d, events: (d.events as unknown[]).map((x, k) => (k === i % (d.events as unknown[]).length ? e : x)) });

/** Every class: name, and the arbitrary of its files. */
export const CLASSES: Readonly<Record<string, fc.Arbitrary<Malformed>>> = {
  'truncated JSON': fc.tuple(valid, fc.double({ min: 0, max: 1, noNaN: true })).map(([d, f]) => { const t = json(d); return { cls: '', text: t.slice(0, Math.floor(f * (t.length - 1))) }; }),
  'not JSON': fc.tuple(fc.constantFrom('x', '}', ']', ',', "'", '#', '\0', 'NaN', 'undefined', '{,'), fc.string({ unit: 'binary', maxLength: 200 })).map(([a, b]) => ({ cls: '', text: a + b })),
  'raw control character in a string': fc.tuple(valid, fc.constantFrom('\n', '\t', '\x1b', '\0')).map(([d, c]) => ({ cls: '', text: json({ ...d, note: 'x' }).replace('"x"', `"x${c}y"`) })),
  'not UTF-8': fc.tuple(valid, fc.constantFrom([0xc3, 0x28], [0xff], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80])).map(([d, bad]) => {
    const t = json({ ...d, note: 'X' });
    const at = t.indexOf('"X"') + 1;
    return { cls: '', bytes: Buffer.concat([Buffer.from(t.slice(0, at)), Buffer.from(bad), Buffer.from(t.slice(at))]) };
  }),
  'JSON but not an object': fc.constantFrom('[]', '7', '"trace"', 'null', 'true', '[{"format":"entrycheck/trace@1"}]').map((text) => ({ cls: '', text })),
  'deep nesting': fc.tuple(validTrace, fc.integer({ min: 1000, max: 200_000 }), fc.boolean())
    .map(([d, n, closed]) => ({ cls: '', text: json({ ...d, initial: 0 }).replace('"initial": 0', `"initial": ${'['.repeat(n)}${closed ? ']'.repeat(n) : ''}`) })),
  'wrong format tag': fc.tuple(valid, fc.oneof(hostileString, fc.constantFrom('entrycheck/trace@2', 'entrycheck/counterexample@2', 'entrycheck/cosim@1'))
    .filter((f) => f !== TRACE_FORMAT && f !== COUNTEREXAMPLE_FORMAT)).map(([d, f]) => ({ cls: '', text: json({ ...d, format: f }) })),
  'wrong type': fc.tuple(valid, fc.constantFrom('design', 'vendor', 'paging', 'events', 'format', '$schema')).chain(([d, k]) => wrongTypeValue(d[k] ?? 'string').map((v) => ({ cls: '', text: json({ ...d, [k]: v }) }))),
  'missing field': fc.tuple(valid, fc.constantFrom('format', 'design', 'vendor', 'paging', 'events')).map(([d, k]) => { const { [k]: _gone, ...rest } = d; return { cls: '', text: json(rest) }; }),
  'unknown field': fc.tuple(valid, fc.oneof(hostileString, fc.string()).filter((k) => !TOP_KEYS.has(k) && !EVENT_KEYS.has(k) && k !== '__proto__'), fc.boolean(), fc.nat())
    .map(([d, k, inEvent, i]) => ({ cls: '', text: json(inEvent ? withEvent(d, i, { ...(d.events as Doc[])[i % (d.events as Doc[]).length], [k]: 1 }) : { ...d, [k]: 1 }) })),
  'unknown event type': fc.tuple(valid, fc.oneof(hostileString, fc.string()).filter((t) => !EVENT_TYPES.has(t)), fc.nat()).map(([d, t, i]) => ({ cls: '', text: json(withEvent(d, i, { type: t })) })),
  'event field out of range': fc.tuple(valid, fc.oneof(
    fc.oneof(fc.integer({ min: 10_001, max: 2 ** 40 }), fc.integer({ min: -(2 ** 40), max: -1 }), fc.constant(0.5)).map((after) => ({ type: 'hw.nmi', after })),
    fc.constantFrom({ type: 'hw.irq', after: 0, vector: 0x80 }, { type: 'hw.irq', after: 0, vector: 3 }, { type: 'sched.signal', task: 1, signal: 32 }, { type: 'hw.remoteLdt', after: 0, index: 16 }),
    fc.constantFrom('0xzz', '0x', '0x12345678901234567', '$', '$next+', '123', '$BIG', `$${'a'.repeat(33)}`).map((value) => ({ type: 'user.setReg', reg: 'rax', value })),
    fc.constantFrom({ type: 'user.syscall' }, { type: 'user.syscall', nr: 'reboot' }, { type: 'user.setReg', reg: 'rip', value: '0x1' }, { type: 'user.syscall', nr: 'getpid', args: Array(7).fill('0x0') }),
  ), fc.nat()).map(([d, e, i]) => ({ cls: '', text: json(withEvent(d, i, e)) })),
  'bad design name': fc.tuple(valid, badName).map(([d, n]) => ({ cls: '', text: json(isCe(d) ? { ...d, design: { ...(d.design as Doc), name: n } } : { ...d, design: n }) })),
  'bad invariant id': fc.tuple(validCounterexample, badName).map(([d, n]) => ({ cls: '', text: json({ ...d, invariant: n }) })),
  'unknown design': fc.tuple(validTrace, fc.stringMatching(/^[a-z0-9]{1,20}$/)).map(([d, s]) => ({ cls: '', text: json({ ...d, design: `zz-${s}` }) })),
  'unknown invariant': fc.tuple(validCounterexample, fc.stringMatching(/^[a-z0-9]{1,20}$/)).map(([d, s]) => ({ cls: '', text: json({ ...d, invariant: `zz-${s}` }) })),
  'unknown symbol': fc.tuple(validTrace, fc.stringMatching(/^[a-z0-9_]{1,20}$/), fc.constantFrom('', '+0x10', '-2')).map(([d, s, off]) => ({ cls: '', text: json({ ...d, initial: { regs: { rax: `$zz_${s}${off}` } } }) })),
  '$rip outside an event': validTrace.map((d) => ({ cls: '', text: json({ ...d, initial: { gsBase: '$rip' } }) })),
  'pages beyond the bound': fc.tuple(validTrace, fc.bigInt({ min: 0n, max: 2n ** 63n }), fc.bigInt({ min: 4097n * 4096n, max: 2n ** 63n }), fc.boolean()).map(([d, a, span, reversed]) => {
    const [start, end] = reversed ? [a + 1n, a] : [a, a + span];
    return { cls: '', text: json({ ...d, initial: { pages: [{ start: `0x${start.toString(16)}`, end: `0x${end.toString(16)}`, kind: 'demand' }] } }) };
  }),
  'seed outside 32 bits': fc.tuple(validCounterexample, fc.oneof(fc.integer({ min: 2 ** 31, max: Number.MAX_SAFE_INTEGER }), fc.constant(1.5), fc.constant(-(2 ** 31) - 1))).map(([d, seed]) => ({ cls: '', text: json({ ...d, seed }) })),
  'bad knob': fc.tuple(validCounterexample, fc.constantFrom<[string, unknown]>(['fmask', 47104], ['fmask', '0xzz'], ['sysretWhere', 'sometimes'], ['pfGate', null], ['ist', true])).map(([d, [k, v]]) => {
    const design = d.design as Doc;
    return { cls: '', text: json({ ...d, design: { ...design, knobs: { ...(design.knobs as Doc), [k]: v } } }) };
  }),
  'too many events': fc.tuple(valid, fc.integer({ min: MAX_EVENTS + 1, max: MAX_EVENTS + 200 })).map(([d, n]) => ({ cls: '', text: JSON.stringify({ ...d, events: Array.from({ length: n }, () => ({ type: 'user.nop' })) }) })),
  'larger than the limit': fc.tuple(valid, fc.integer({ min: 1, max: MAX_FILE_BYTES })).map(([d, extra]) => ({ cls: '', text: json({ ...d, note: 'n'.repeat(MAX_FILE_BYTES + extra) }) })),
  'not a regular file': fc.constantFrom('fifo', 'dev-zero', 'folder', 'dangling-link', 'link-loop').map((special) => ({ cls: '', special } as const)),
};

/** Files of every class, tagged with their class (weights: the soak's mix). */
export const malformedFile: fc.Arbitrary<Malformed> = fc.oneof(...Object.entries(CLASSES).map(([cls, arb]) => ({
  // The few very large files are written, not parsed; fewer of them keep the soak's disk use small.
  weight: cls === 'larger than the limit' ? 1 : cls === 'not a regular file' ? 2 : 5,
  arbitrary: arb.map((m): Malformed => ({ ...m, cls })),
})));
