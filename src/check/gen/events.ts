/**
 * One arbitrary per event type of the trace vocabulary (DESIGN.md section 2.3), its fields drawn
 * from the boundary domains of values.ts. The table is keyed by event type, so a new event in the
 * vocabulary does not type-check until it has a generator. Nothing here names a bug: register
 * frames are a valid frame with one (sometimes two) fields moved to a boundary, which is how a
 * check with several conditions gets to see each condition decide on its own.
 */
import fc from 'fast-check';
import { SYSCALL_NAMES, USER_INSN_LEN, USER_REGS } from '../../model/index.ts';
import type { RawEvent } from '../trace-file.ts';
import { COMPAT_FAST_ABLE, EDGE_ADDRESSES, LAYOUT_ADDRESSES, LENGTHS, MAX_AFTER, RFLAGS_VALUES, SELECTORS, SMALL, SYSRET_ABLE, USER_SELECTORS } from './values.ts';

type Of<T extends RawEvent['type']> = Extract<RawEvent, { type: T }>;
type Frame = Record<string, string | number>;

const hex = (v: bigint): string => `0x${v.toString(16)}`;
/** Instruction lengths of the user vocabulary: an instruction ending exactly at an edge starts len bytes below it. */
const LENS = [...new Set(Object.values(USER_INSN_LEN))];

/** Addresses: the layout's (mostly) and the predicates' edges. */
export const address: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...LAYOUT_ADDRESSES) },
  { weight: 2, arbitrary: fc.constantFrom(...EDGE_ADDRESSES) },
);
/** Jump targets: addresses, and instructions that end at the top of the user half or at TASK_SIZE_MAX. */
const target = fc.oneof(
  { weight: 3, arbitrary: address },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('$user_half_end', '$task_size_max'), fc.constantFrom(...LENS)).map(([s, n]) => `${s}-${n}`) },
);
const rflags = fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...RFLAGS_VALUES) }, { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: 0x3fffffn }).map(hex) });
const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map(hex);
/** Any 64-bit value: addresses, flags, small integers, lengths, random. */
export const value: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: address }, { weight: 1, arbitrary: rflags }, { weight: 2, arbitrary: fc.constantFrom(...SMALL) },
  { weight: 1, arbitrary: fc.constantFrom(...LENGTHS) }, { weight: 1, arbitrary: u64 },
);
const arg = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...SMALL) }, { weight: 2, arbitrary: address }, { weight: 1, arbitrary: fc.constantFrom(...LENGTHS) }, { weight: 1, arbitrary: u64 });
/**
 * What the generator knows of the state an event goes into: the LDT slots that hold a descriptor
 * (a selector naming a descriptor that exists is where the descriptor checks start to differ),
 * and whether user code runs in 32-bit code (where a fast system call is the vDSO's, and its
 * return is SYSRETL or SYSEXIT with checks of its own).
 */
export interface GenContext {
  readonly ldt: readonly number[];
  readonly compat?: boolean;
}
const selectorIn = (ctx: GenContext): fc.Arbitrary<number> => fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom(...USER_SELECTORS) }, { weight: 3, arbitrary: fc.constantFrom(...SELECTORS) },
  ...(ctx.ldt.length > 0 ? [{ weight: 3, arbitrary: fc.tuple(fc.constantFrom(...ctx.ldt), fc.integer({ min: 0, max: 3 })).map(([i, rpl]) => (i << 3) | 4 | rpl) }] : []),
);
/** Instruction boundaries before a hardware event fires: the first few often, any micro-step of a path uniformly. */
export const after: fc.Arbitrary<number> = fc.oneof({ weight: 2, arbitrary: fc.integer({ min: 0, max: 8 }) }, { weight: 3, arbitrary: fc.integer({ min: 0, max: MAX_AFTER }) });

/**
 * `v` one bit away at bit `k`: an equality test's boundary (a comparison of fewer bits than the
 * register has accepts exactly these). A number gets bit k flipped; a symbol gets 2^k added to
 * its offset (bit k of a layout address below 2^40 is clear for k >= 40, so that flips it too).
 */
export function bitAway(v: string, k: number): string {
  const b = 1n << BigInt(k);
  if (v.startsWith('0x')) return hex(BigInt(v) ^ b);
  const m = /^(\$[a-z_0-9]+)(?:([+-])(0x[0-9a-f]+|[0-9]+))?$/.exec(v);
  if (m === null) return v;
  const off = BigInt.asUintN(64, (m[2] === '-' ? -BigInt(m[3] as string) : BigInt(m[3] ?? '0')) + b);
  return `${m[1]}+${hex(off)}`;
}
/** A bit: any, or (as often) the top bit of a narrower comparison (8, 16, 32, 48 or 57 bits) or the one above it. */
const bit = fc.oneof(fc.integer({ min: 0, max: 63 }), fc.constantFrom(7, 8, 15, 16, 31, 32, 47, 48, 56, 57, 63));

/**
 * One field group of a register frame moved to a boundary. RIP and RCX move together, and RFLAGS
 * and R11, since SYSRET loads RIP from RCX and RFLAGS from R11 (reference section 4.2): with the
 * pair moved, every other condition of a fast return still holds; each also moves alone.
 */
const movedIn = (selector: fc.Arbitrary<number>, compat: boolean): fc.Arbitrary<Frame> => fc.oneof(
  // The compat checks' equality: the IP against the vDSO's landing pad, one bit away.
  ...(compat ? [{ weight: 2, arbitrary: bit.map((k) => ({ rip: bitAway('$landing_pad', k) })) }] : []),
  { weight: 3, arbitrary: target.map((v) => ({ rip: v, rcx: v })) },
  { weight: 1, arbitrary: target.map((v) => ({ rcx: v })) },
  { weight: 1, arbitrary: target.map((v) => ({ rip: v })) },
  // RCX = RIP and R11 = RFLAGS at their boundary: the two one bit apart, at every bit.
  { weight: 1, arbitrary: fc.tuple(target, bit).map(([v, k]) => ({ rip: v, rcx: bitAway(v, k) })) },
  { weight: 1, arbitrary: fc.tuple(rflags, bit).map(([v, k]) => ({ rflags: v, r11: bitAway(v, k) })) },
  { weight: 3, arbitrary: rflags.map((v) => ({ rflags: v, r11: v })) },
  { weight: 1, arbitrary: rflags.map((v) => ({ r11: v })) },
  { weight: 1, arbitrary: rflags.map((v) => ({ rflags: v })) },
  { weight: 2, arbitrary: selector.map((v) => ({ cs: v })) },
  { weight: 2, arbitrary: selector.map((v) => ({ ss: v })) },
  { weight: 2, arbitrary: address.map((v) => ({ rsp: v })) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...USER_REGS), value).map(([r, v]) => ({ [r]: v })) },
);
const movesIn = (moved: fc.Arbitrary<Frame>, base: Frame): fc.Arbitrary<Frame> => fc.oneof(
  { weight: 6, arbitrary: moved.map((m) => ({ ...base, ...m })) },
  { weight: 2, arbitrary: fc.tuple(moved, moved).map(([a, b]) => ({ ...base, ...a, ...b })) },
  { weight: 1, arbitrary: fc.constant(base) },
);

const args = fc.array(arg, { maxLength: 3 });
/** A system call by name, or now and then by a number (the table's bounds and beyond). */
const nr = fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...SYSCALL_NAMES) as fc.Arbitrary<string> },
  { weight: 1, arbitrary: fc.constantFrom('0x0', '0x1b6', '0x1c0', '0x200', '0xffffffff', '0x100000000', '0xffffffffffffffff') });
/** sigaction flags (SA_SIGINFO, SA_ONSTACK, SA_RESTART, SA_NODEFER, SA_RESETHAND) and handlers (SIG_DFL, SIG_IGN, code). */
const act = fc.record({
  handler: fc.constantFrom('0x0', '0x1', '$sig_handler', '$user_code'),
  flags: fc.constantFrom('0x0', '0x4', '0x8000000', '0x10000000', '0x40000000', '0x80000000', '0x18000004'),
  mask: fc.constantFrom('0x0', '0xffffffffffffffff'),
});
/** sigaltstack: a stack on user memory or at an edge, enabled or SS_DISABLE. */
const altstack = fc.record({ sp: address, size: fc.constantFrom('0x800', '0x2000', '0x10000', '0x0'), flags: fc.constantFrom('0x0', '0x2') });
/**
 * A system call: any call with arguments from the domains, or (one time in three) rt_sigreturn
 * with a forged frame, the one call whose input is a whole register frame: every exit check
 * reads what it restores.
 */
const withFrame = <T extends 'user.syscall' | 'user.int80'>(type: T, sigFrame: fc.Arbitrary<Frame>): fc.Arbitrary<Of<T>> => fc.oneof(
  { weight: 8, arbitrary: fc.tuple(nr, args).map(([n, a]) => ({ type, nr: n, ...(a.length > 0 ? { args: a } : {}) }) as Of<T>) },
  { weight: 4, arbitrary: sigFrame.map((f) => ({ type, nr: 'rt_sigreturn', frame: f }) as Of<T>) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 1, max: 31 }), act).map(([sig, a]) => ({ type, nr: 'rt_sigaction', args: [`0x${sig.toString(16)}`], act: a }) as Of<T>) },
  { weight: 1, arbitrary: altstack.map((st) => ({ type, nr: 'sigaltstack', stack: st }) as Of<T>) },
);

/** The generator of each event type, with its weight among all events. */
export type Generators = { readonly [T in RawEvent['type']]: readonly [number, fc.Arbitrary<Of<T>>] };

function generatorsIn(ctx: GenContext): Generators {
  const compat = ctx.compat === true;
  const moved = movedIn(selectorIn(ctx), compat);
  // A forged signal frame: a fast-returnable frame with one or two field groups moved (in 32-bit
  // code, one the compat exit would return by SYSRETL/SYSEXIT); a tracer's register write: the
  // stopped task's own registers with one or two groups moved.
  const sigFrame = movesIn(moved, compat ? COMPAT_FAST_ABLE : SYSRET_ABLE);
  const regsWrite = movesIn(moved, {});
  return {
    'user.setReg': [4, fc.tuple(fc.constantFrom(...USER_REGS), value).map(([reg, v]) => ({ type: 'user.setReg', reg, value: v }))],
    'user.popf': [2, rflags.map((f) => ({ type: 'user.popf', flags: f }))],
    'user.nop': [2, fc.constant({ type: 'user.nop' })],
    'user.access': [2, fc.tuple(address, fc.boolean()).map(([a, w]) => ({ type: 'user.access', addr: a, write: w }))],
    'user.movSs': [1, fc.boolean().map((w) => ({ type: 'user.movSs', watched: w }))],
    'user.syscall': [8, withFrame('user.syscall', sigFrame)],
    'user.sysenter': [2, fc.tuple(nr, args, fc.option(value, { nil: undefined, freq: 4 })).map(([n, a, ebp]) => ({
      type: 'user.sysenter', nr: n, ...(a.length > 0 ? { args: a } : {}), ...(ebp !== undefined ? { ebp } : {}),
    }))],
    'user.int80': [3, withFrame('user.int80', sigFrame)],
    'user.int3': [1, fc.constant({ type: 'user.int3' })],
    // INT n: the vectors whose gates differ (DPL 3 or not, IST or not) in each encoding.
    'user.int': [1, fc.oneof(
      fc.constantFrom(1, 3, 4, 0x0d, 0x29, 0x81, 0xff).map((vector) => ({ type: 'user.int', vector } as Of<'user.int'>)),
      fc.constantFrom({ type: 'user.int', vector: 3, form: 'cc' }, { type: 'user.int', vector: 1, form: 'icebp' }, { type: 'user.int', vector: 4, form: 'into' }) as fc.Arbitrary<Of<'user.int'>>,
    )],
    'user.cli': [1, fc.constant({ type: 'user.cli' })],
    'user.pushf': [1, fc.constant({ type: 'user.pushf' })],
    'user.pop': [1, fc.constantFrom(...USER_REGS).map((reg) => ({ type: 'user.pop', reg }))],
    'user.jump': [2, target.map((t) => ({ type: 'user.jump', target: t }))],
    'user.wrgsbase': [1, address.map((v) => ({ type: 'user.wrgsbase', value: v }))],
    'hw.irq': [4, after.map((a) => ({ type: 'hw.irq', after: a }))],
    'hw.nmi': [4, after.map((a) => ({ type: 'hw.nmi', after: a }))],
    // Only while no machine check is in progress: the model discards one that arrives with MCIP
    // set (a shutdown on real hardware, SDM Vol. 3B 16.3.1.2).
    'hw.mce': [1, after.map((a) => ({ type: 'hw.mce', after: a }))],
    'hw.remoteLdt': [1, fc.tuple(after, fc.integer({ min: 0, max: 3 })).map(([a, i]) => ({ type: 'hw.remoteLdt', after: a, index: i }))],
    'tracer.attach': [2, fc.record({ syscalls: fc.boolean(), fork: fc.boolean() }).map((o) => ({ type: 'tracer.attach', options: o }))],
    'tracer.setRegs': [3, regsWrite.map((r) => ({ type: 'tracer.setRegs', regs: r }))],
    'tracer.singleStep': [2, fc.constant({ type: 'tracer.singleStep' })],
    'tracer.cont': [2, fc.constant({ type: 'tracer.cont' })],
    'tracer.watch': [1, address.map((a) => ({ type: 'tracer.watch', addr: a }))],
    'tracer.break': [1, fc.oneof(fc.constantFrom('$next', '$rip', '$sig_handler', '$landing_pad'), address).map((a) => ({ type: 'tracer.break', addr: a }))],
    'tracer.detach': [1, fc.constant({ type: 'tracer.detach' })],
    'sched.wake': [1, fc.integer({ min: 1, max: 3 }).map((task) => ({ type: 'sched.wake', task }))],
    'sched.signal': [1, fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 31 })).map(([task, signal]) => ({ type: 'sched.signal', task, signal }))],
  };
}

const byContext = new Map<string, Generators>();
/** The generators for events going into a state with context `ctx` (cached). */
export function generatorsFor(ctx: GenContext): Generators {
  const key = `${ctx.ldt.join(',')}/${ctx.compat === true ? 'c' : ''}`;
  let g = byContext.get(key);
  if (g === undefined) { g = generatorsIn(ctx); byContext.set(key, g); }
  return g;
}

/** The generators with no knowledge of the state. */
export const EVENT_GENERATORS: Generators = generatorsFor({ ldt: [] });

/** One event of any type, weighted by {@link EVENT_GENERATORS}. */
export const eventArbitrary: fc.Arbitrary<RawEvent> = fc.oneof(
  ...Object.values(EVENT_GENERATORS).filter(([weight]) => weight > 0).map(([weight, arbitrary]) => ({ weight, arbitrary: arbitrary as fc.Arbitrary<RawEvent> })),
);
