/**
 * Bad argument lists, as a fast-check arbitrary: a valid command line of each command with one
 * defect injected (a seed outside fast-check's range, an unknown design with hostile
 * characters, a bad choice, an unknown option, a missing value, an unreadable file...), so each
 * must exit 2 before any work starts. Shared by the fuzz test and `npm run soak`.
 */
import fc from 'fast-check';
import { hostileString } from './malformed.ts';

/** Strings that are never a valid value for the flag they are given to. */
const notInt = fc.oneof(hostileString.map((s) => `x${s}`), fc.constantFrom('', '-', '1.5', '0x10', '1e3', ' 1', '+1', '١٢'));
const badSeed = fc.oneof(
  notInt,
  fc.bigInt({ min: 2n ** 31n, max: 2n ** 70n }).map(String),
  fc.bigInt({ min: -(2n ** 70n), max: -(2n ** 31n) - 1n }).map(String),
  fc.constant('18446744073709551616'),
);
const unknownName = fc.oneof(hostileString.map((s) => `Z${s}`), fc.stringMatching(/^[a-z0-9]{1,12}$/).map((s) => `zz-${s}`), fc.integer({ min: 65, max: 100_000 }).map((n) => 'Q'.repeat(n)));
const unknownOption = fc.oneof(fc.constantFrom('--desgn', '--sed', '--jsonn', '-x', '--out-dir'), hostileString.map((s) => `--zz${s}`));

/** One defect: the flags it adds (replacing the base's value of the same flag). */
type Defect = Record<string, string | string[] | null>;

/** A bad command line and its class (command and defect). */
export interface BadArgs {
  readonly cls: string;
  readonly args: string[];
}

/** The flag a defect sets, or "unknown option". */
const defectName = (d: Defect): string => { const k = Object.keys(d)[0] ?? ''; return k.startsWith('--zz') || !KNOWN.has(k) ? 'unknown option' : k; };
const KNOWN = new Set(['--seed', '--runs', '--shard', '--design', '--property', '--vendor', '--paging', '--traces', '--timeout', '--min-agreement']);

const runDefect: fc.Arbitrary<Defect> = fc.oneof(
  badSeed.map((v) => ({ '--seed': v })),
  fc.oneof(notInt, fc.constantFrom('0', '-1')).map((v) => ({ '--runs': v })),
  fc.oneof(notInt, fc.constantFrom('0/1', '3/2', '1/0', 'a/b', '1/', '/2')).map((v) => ({ '--shard': v })),
  unknownName.map((v) => ({ '--design': [v] })),
  unknownName.map((v) => ({ '--property': [v] })),
  fc.oneof(hostileString, fc.constantFrom('arm', 'INTEL', '')).map((v) => ({ '--vendor': v })),
  fc.oneof(hostileString, fc.constantFrom('3', '6', '4.0', '')).map((v) => ({ '--paging': v })),
  unknownOption.map((v) => ({ [v]: null })),
);
const replayDefect: fc.Arbitrary<Defect> = fc.oneof(
  unknownName.map((v) => ({ '--design': v })),
  fc.constantFrom('arm', 'both', '').map((v) => ({ '--vendor': v })),
  fc.constantFrom('3', 'both', '').map((v) => ({ '--paging': v })),
  unknownOption.map((v) => ({ [v]: null })),
);
const cosimDefect: fc.Arbitrary<Defect> = fc.oneof(
  badSeed.map((v) => ({ '--seed': v })),
  fc.oneof(notInt, fc.constantFrom('0', '10000001')).map((v) => ({ '--traces': v })),
  fc.oneof(notInt, fc.constantFrom('0', '601')).map((v) => ({ '--timeout': v })),
  fc.oneof(notInt, fc.constantFrom('101', '-1')).map((v) => ({ '--min-agreement': v })),
  unknownName.map((v) => ({ '--design': v })),
);

function line(command: string, base: Record<string, string | string[]>, defect: Defect, tail: readonly string[] = []): BadArgs {
  const flags: Record<string, string | string[] | null> = { ...base, ...defect };
  const args = [command, ...tail, ...Object.entries(flags).flatMap(([k, v]) => (v === null ? [k] : Array.isArray(v) ? [k, ...v] : [k, v]))];
  return { cls: `args: ${command} ${defectName(defect)}`, args };
}

/** A bad command line; `out` is a folder that must stay empty, `file` a valid trace. */
export function badArgs(out: string, file: string): fc.Arbitrary<BadArgs> {
  const run = { '--design': ['linux-6.7'], '--property': ['compat-status'], '--vendor': 'intel', '--paging': '4', '--runs': '1', '--seed': '1', '--out': out, '--json': [] };
  return fc.oneof(
    { weight: 4, arbitrary: runDefect.map((d) => line('run', run, d)) },
    { weight: 2, arbitrary: replayDefect.map((d) => line('replay', { '--json': [] }, d, [file])) },
    { weight: 1, arbitrary: fc.oneof(hostileString, fc.constantFrom('/no/such/file.json', '')).map((f) => ({ cls: 'args: replay missing file', args: ['replay', `/no/such/dir/${f}`] })) },
    { weight: 2, arbitrary: cosimDefect.map((d) => line('cosim', { '--traces': '1', '--out': out }, d)) },
    { weight: 1, arbitrary: fc.oneof(fc.constant(['list', 'extra']), unknownOption.map((o) => ['list', o])).map((a) => ({ cls: a[1] === 'extra' ? 'args: list extra argument' : 'args: list unknown option', args: [...a] })) },
    { weight: 1, arbitrary: fc.oneof(hostileString, fc.constantFrom('runn', 'explore', 'RUN')).filter((c) => !['help', 'run', 'replay', 'list', 'cosim'].includes(c) && !c.startsWith('-'))
      .map((c) => ({ cls: 'args: unknown command', args: [c] })) },
  );
}
