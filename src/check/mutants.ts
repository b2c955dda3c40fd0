/**
 * Single-condition mutants of a design, derived from the knob schema alone (so a knob added to
 * the schema is mutated without anyone listing it): every boolean knob flipped (a check removed
 * or added, an IST choice moved, a fix undone), every enumerated knob moved one step either way
 * along its declared order (a RIP test one step weaker or stronger, an exit-work test weakened),
 * and every bit set in a bigint mask cleared (each flag FMASK clears, dropped).
 */
import { z } from 'zod';
import { FLAG_NAMES } from '../isa/rflags.ts';
import { knobsSchema, OPTIONAL_KNOB_DEFAULTS, type Design, type Knobs } from '../kernel/index.ts';

/**
 * Knobs that switch a feature or describe the environment rather than decide a check: changing
 * one gives a different correct kernel, not a weakened one, so they are not mutated. Every other
 * knob, including any added to the schema later, is.
 */
export const FEATURE_KNOBS: ReadonlySet<string> = new Set([
  'fsgsbase', 'preemptKernel', 'rseq', 'nmiReadsUserMemory', 'faultingInstrumentation', 'kernelWatchpointSignal',
]);

/** One mutant: the design with one knob changed. */
export interface Mutant {
  /** A design name: the base's, "__", the knob path and its new value ("linux-6.7__sysretchecks.csisusercs-false"). */
  readonly name: string;
  /** What changed, for people ("sysretChecks.csIsUserCs: true -> false"). */
  readonly change: string;
  readonly design: Design;
  /** The knob changed (its path in the knobs) and its new value; a pair (pairOf) has its second one's. */
  readonly path: readonly string[];
  readonly value: unknown;
}

type Path = readonly string[];

/** Sets `value` at `path` in a copy of `o`. */
function setAt(o: Record<string, unknown>, path: Path, value: unknown): Record<string, unknown> {
  const [head, ...rest] = path as [string, ...string[]];
  return { ...o, [head]: rest.length === 0 ? value : setAt(o[head] as Record<string, unknown>, rest, value) };
}

const show = (v: unknown): string => (typeof v === 'bigint' ? `0x${v.toString(16)}` : String(v));
const slug = (s: string): string => s.toLowerCase().replace(/[^a-z0-9.]+/g, '-').replace(/^-|-$/g, '');

function flagName(bit: bigint): string {
  return FLAG_NAMES.find(([b]) => b === bit)?.[1] ?? `bit ${bit.toString(2).length - 1}`;
}

const defaultOf = (knob: string): unknown => (OPTIONAL_KNOB_DEFAULTS as Record<string, unknown>)[knob];

/** Every single-knob change of `knobs` the schema allows, as [path, new value, description]. */
function changes(schema: z.ZodType, value: unknown, path: Path): Array<readonly [Path, unknown, string]> {
  const at = path.join('.');
  const def = (schema as unknown as { def: { type: string; shape?: Record<string, z.ZodType>; innerType?: z.ZodType; entries?: Record<string, string> } }).def;
  switch (def.type) {
    case 'object': {
      const shape = def.shape ?? {};
      return Object.keys(shape).filter((k) => !(path.length === 0 && FEATURE_KNOBS.has(k)))
        .flatMap((k) => changes(shape[k] as z.ZodType, (value as Record<string, unknown>)?.[k], [...path, k]));
    }
    // An absent optional knob is mutated from what its absence means (a top-level knob only).
    case 'optional': {
      const v = value ?? (path.length === 1 ? defaultOf(path[0] as string) : undefined);
      return v === undefined ? [] : changes(def.innerType as z.ZodType, v, path);
    }
    case 'boolean': return [[path, !value, `${at}: ${show(value)} -> ${show(!value)}`]];
    case 'enum': {
      const order = Object.values(def.entries ?? {});
      const i = order.indexOf(value as string);
      return [i - 1, i + 1].filter((j) => j >= 0 && j < order.length).map((j) => [path, order[j], `${at}: ${show(value)} -> ${order[j]}`] as const);
    }
    case 'bigint': {
      const out: Array<readonly [Path, unknown, string]> = [];
      for (let b = 0n; b < 64n; b++) {
        const bit = 1n << b;
        if (((value as bigint) & bit) !== 0n) out.push([path, (value as bigint) & ~bit, `${at}: ${flagName(bit)} dropped (${show(value)} -> ${show((value as bigint) & ~bit)})`]);
      }
      return out;
    }
    default: return [];
  }
}

/** The single-condition mutants of `base`, in knob-schema order. */
export function mutantsOf(base: Design): Mutant[] {
  return changes(knobsSchema, base.knobs, []).map(([path, v, change]) => {
    const name = `${base.name}__${slug(path.join('.'))}-${slug(show(v))}`;
    return { name, change, path, value: v, design: { ...base, name, source: `${base.name} with ${change}`, knobs: setAt(base.knobs as unknown as Record<string, unknown>, path, v) as unknown as Knobs } };
  });
}

/**
 * Mutants `a` and `b` of one base changed together: a flaw that needs both changes (each alone
 * harmless, or unseen) is a double mutant. Two changes of one mask knob clear both bits; two of
 * another knob cannot be made together (null).
 */
export function pairOf(a: Mutant, b: Mutant): Mutant | null {
  let value = b.value;
  if (a.path.join('.') === b.path.join('.')) {
    if (typeof a.value !== 'bigint' || typeof b.value !== 'bigint') return null;
    value = a.value & b.value;
  }
  const name = `${a.name}+${b.name.slice(b.name.indexOf('__') + 2)}`;
  const change = `${a.change} and ${b.change}`;
  const knobs = setAt(a.design.knobs as unknown as Record<string, unknown>, b.path, value) as unknown as Knobs;
  return { name, change, path: b.path, value, design: { ...a.design, name, source: `${a.design.source} and ${b.change}`, knobs } };
}
