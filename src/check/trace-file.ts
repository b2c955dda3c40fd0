/**
 * The trace file format `entrycheck/trace@1` (a person can write one with a text editor):
 *
 *   {"format": "entrycheck/trace@1", "design": "linux-6.7", "vendor": "intel", "paging": 4,
 *    "initial": {...optional overrides...}, "events": [{"type": "user.syscall", "nr": "getpid"}]}
 *
 * 64-bit values are hex strings ("0x800000000000") or symbols: "$next" (the address after this
 * instruction), "$rip", and named addresses such as "$user_demand" or "$task_size_max", each
 * optionally "+0x10" / "-2". Validation uses zod; the first problem becomes one line naming the
 * file, the event index and the field. A file may name its JSON Schema in "$schema"
 * (schemas/trace.schema.json); the design name is checked like an invariant id (it can become
 * part of a path), a trace holds at most MAX_EVENTS events and its extra pages cover at most
 * MAX_PAGES pages (limits.ts).
 */
import { z } from 'zod';
import { taskSizeMax, userHalfEnd, type Paging } from '../isa/index.ts';
import {
  COMPAT_CODE, COMPAT_STACK_TOP, istTop, LANDING_PAD, PERCPU_BASE, RSEQ_ABORT, RSEQ_CS_START, SIG_HANDLER, TASK1_RSP,
  USER_CODE, USER_DATA, USER_DEMAND, USER_STACK_TOP, VDSO32, type InitialOverrides,
} from '../kernel/index.ts';
import { insnLength, INT_FORMS, SYSCALL_NAMES, USER_REGS, type Event } from '../model/index.ts';
import { InputError, inputErrors } from './errors.ts';
import { MAX_EVENTS } from './limits.ts';
import { designNameSchema, schemaRefSchema, textSchema } from './names.ts';
import { pageProblems } from './page-bounds.ts';
import { parseValidated } from './validate.ts';

/** The format tag of trace files. */
export const TRACE_FORMAT = 'entrycheck/trace@1';

// Bounded lengths: a value is at most 64 bits, so nothing longer can mean anything.
const VALUE = /^(0x[0-9a-fA-F]{1,16}|\$[a-z_0-9]{1,32}([+-](0x[0-9a-fA-F]{1,16}|[0-9]{1,20}))?)$/;
const value = z.string().regex(VALUE, 'expected a hex string like "0x400000" or a symbol like "$next"');
const small = z.union([z.number().int().min(0).max(0xffff), value]);
const after = z.number().int().min(0).max(10_000);
const frameSchema = z.partialRecord(z.enum([...USER_REGS, 'rip', 'rflags', 'cs', 'ss']), small);
/** A forged signal frame may also set the ucontext's uc_flags and uc_sigmask. */
const sigFrameSchema = z.partialRecord(z.enum([...USER_REGS, 'rip', 'rflags', 'cs', 'ss', 'uc_flags', 'sigmask']), small);
const args = z.array(value).max(6);
/** A system call by name, or any number (RAX as given). */
const nrSchema = z.union([z.enum(SYSCALL_NAMES), value]);
const actSchema = z.strictObject({ handler: value, flags: value.optional(), mask: value.optional() });
const stackSchema = z.strictObject({ sp: value, size: value, flags: value.optional() });
const vector = z.number().int().min(0).max(255);

/** Zod schema of one event (values still as strings). */
export const eventSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('user.setReg'), reg: z.enum(USER_REGS), value }),
  z.strictObject({ type: z.literal('user.popf'), flags: value }),
  z.strictObject({ type: z.literal('user.nop') }),
  z.strictObject({ type: z.literal('user.access'), addr: value, write: z.boolean().default(false) }),
  z.strictObject({ type: z.literal('user.movSs'), watched: z.boolean().default(true) }),
  z.strictObject({
    type: z.literal('user.syscall'), nr: nrSchema, args: args.optional(), frame: sigFrameSchema.optional(),
    act: actSchema.optional(), stack: stackSchema.optional(), raw: z.boolean().optional(),
  }),
  z.strictObject({ type: z.literal('user.sysenter'), nr: nrSchema.optional(), args: args.optional(), ebp: value.optional(), raw: z.boolean().optional() }),
  z.strictObject({
    type: z.literal('user.int80'), nr: nrSchema, args: args.optional(), frame: sigFrameSchema.optional(),
    act: actSchema.optional(), stack: stackSchema.optional(),
  }),
  z.strictObject({ type: z.literal('user.int3') }),
  z.strictObject({ type: z.literal('user.int'), vector, form: z.enum(INT_FORMS).optional() }).refine(
    (e) => ({ cd: true, cc: e.vector === 3, icebp: e.vector === 1, into: e.vector === 4 })[e.form ?? 'cd'],
    { message: 'expected vector 3 with form "cc", 1 with "icebp", 4 with "into"', path: ['vector'] },
  ),
  z.strictObject({ type: z.literal('user.cli') }),
  z.strictObject({ type: z.literal('user.pushf') }),
  z.strictObject({ type: z.literal('user.pop'), reg: z.enum(USER_REGS) }),
  z.strictObject({ type: z.literal('user.jump'), target: value }),
  z.strictObject({ type: z.literal('user.wrgsbase'), value }),
  z.strictObject({ type: z.literal('hw.irq'), after, vector: z.number().int().min(0x20).max(0xff).refine((v) => v !== 0x80, 'expected a vector other than 0x80 (the int $0x80 gate)').optional() }),
  z.strictObject({ type: z.literal('hw.nmi'), after }),
  z.strictObject({ type: z.literal('hw.remoteLdt'), after, index: z.number().int().min(0).max(15) }),
  z.strictObject({ type: z.literal('hw.mce'), after }),
  z.strictObject({ type: z.literal('tracer.attach'), options: z.strictObject({ syscalls: z.boolean().optional(), fork: z.boolean().optional() }).optional() }),
  z.strictObject({ type: z.literal('tracer.setRegs'), regs: frameSchema }),
  z.strictObject({ type: z.literal('tracer.singleStep') }),
  z.strictObject({ type: z.literal('tracer.cont') }),
  z.strictObject({ type: z.literal('tracer.watch'), addr: value }),
  z.strictObject({ type: z.literal('tracer.break'), addr: value }),
  z.strictObject({ type: z.literal('tracer.detach') }),
  z.strictObject({ type: z.literal('sched.wake'), task: z.number().int().min(0).max(8) }),
  z.strictObject({ type: z.literal('sched.signal'), task: z.number().int().min(0).max(8), signal: z.number().int().min(1).max(31) }),
]);

/** An event as written in a file (values unresolved). */
export type RawEvent = z.infer<typeof eventSchema>;

const pageKind = z.enum(['code', 'data', 'demand', 'readonly', 'unmapped']);
/** Zod schema of a trace's initial-state overrides (a trace file's `initial`, a counterexample's too). */
export const initialSchema = z.strictObject({
  regs: z.partialRecord(z.enum([...USER_REGS, 'rip']), value).optional(),
  rflags: value.optional(),
  gsBase: value.optional(),
  pages: z.array(z.strictObject({ start: value, end: value, kind: pageKind })).max(64).optional(),
  task2Is64: z.boolean().optional(),
  task1Is32: z.boolean().optional(),
  handled: z.array(z.number().int().min(1).max(31)).optional(),
});

/** Zod schema of a trace's event list: at most MAX_EVENTS. */
export const eventsSchema = z.array(eventSchema).max(MAX_EVENTS, `expected at most ${MAX_EVENTS} events`);

/** Zod schema of a whole trace file. */
export const traceSchema = z.strictObject({
  $schema: schemaRefSchema,
  format: z.literal(TRACE_FORMAT),
  design: designNameSchema,
  vendor: z.enum(['intel', 'amd']),
  paging: z.union([z.literal(4), z.literal(5)]),
  initial: initialSchema.optional(),
  events: eventsSchema,
  note: textSchema.optional(),
}).superRefine(checkPages);

/** The page ranges of a file's `initial` checked against its paging mode (a superRefine of both file schemas). */
export function checkPages(t: { readonly paging: Paging; readonly initial?: { readonly pages?: ReadonlyArray<{ start: string; end: string }> | undefined } | undefined }, ctx: z.RefinementCtx): void {
  for (const p of pageProblems(t.initial?.pages ?? [], symbols(t.paging))) ctx.addIssue({ code: 'custom', path: ['initial', 'pages', ...p.path], message: p.message, input: p.got });
}

/** A parsed trace file. */
export type TraceFile = z.infer<typeof traceSchema>;

/** Parses and validates a trace file's text; throws an InputError with one line. */
export function parseTrace(text: string, file: string): TraceFile {
  return parseValidated(traceSchema, text, file);
}

/** Named addresses a value may start with. */
export function symbols(paging: Paging): Record<string, bigint> {
  return {
    user_code: USER_CODE, user_data: USER_DATA, user_demand: USER_DEMAND, user_stack: TASK1_RSP, user_stack_top: USER_STACK_TOP,
    compat_code: COMPAT_CODE, compat_stack_top: COMPAT_STACK_TOP, vdso32: VDSO32, landing_pad: LANDING_PAD,
    rseq_cs: RSEQ_CS_START, rseq_abort: RSEQ_ABORT, sig_handler: SIG_HANDLER, task_size_max: taskSizeMax(paging),
    user_half_end: userHalfEnd(paging), nmi_stack: istTop(2), percpu: PERCPU_BASE, null: 0n,
  };
}

/** Resolves one value string. `here` supplies $rip and $next (undefined outside an event). */
export function resolveValue(s: string | number | bigint, paging: Paging, where: string, file: string, here?: { rip: bigint; next: bigint }): bigint {
  if (typeof s === 'bigint') return s;
  if (typeof s === 'number') return BigInt(s);
  if (s.startsWith('0x')) return BigInt(s);
  const m = /^\$([a-z_0-9]+)(?:([+-])(0x[0-9a-fA-F]+|[0-9]+))?$/.exec(s);
  const name = m?.[1] ?? '';
  const table: Record<string, bigint> = { ...symbols(paging), ...(here ? { rip: here.rip, next: here.next } : {}) };
  const base = table[name];
  if (base === undefined) throw new InputError(inputErrors.badSymbol(file, where, `$${name}`, Object.keys(table)));
  const off = m?.[3] === undefined ? 0n : BigInt(m[3]);
  return (m?.[2] === '-' ? base - off : base + off) & ((1n << 64n) - 1n);
}

/** Resolves the initial overrides. */
export function resolveInitial(t: TraceFile, file: string): InitialOverrides {
  const i = t.initial ?? {};
  const v = (s: string, p: string): bigint => resolveValue(s, t.paging, `initial.${p}`, file);
  const regs: Record<string, bigint> = {};
  for (const [k, s] of Object.entries(i.regs ?? {})) regs[k] = v(s as string, `regs.${k}`);
  return {
    regs,
    ...(i.rflags ? { rflags: v(i.rflags, 'rflags') } : {}),
    ...(i.gsBase ? { gsBase: v(i.gsBase, 'gsBase') } : {}),
    ...(i.pages ? { pages: i.pages.map((p, n) => ({ start: v(p.start, `pages[${n}].start`), end: v(p.end, `pages[${n}].end`), kind: p.kind })) } : {}),
    ...(i.task2Is64 !== undefined ? { task2Is64: i.task2Is64 } : {}),
    ...(i.task1Is32 !== undefined ? { task1Is32: i.task1Is32 } : {}),
    ...(i.handled ? { handled: i.handled } : {}),
  };
}

/** A system call number as a file gives it: a name, or a value. */
function nrValue(nr: string, v: (s: string, field: string) => bigint): (typeof SYSCALL_NAMES)[number] | bigint {
  return (SYSCALL_NAMES as readonly string[]).includes(nr) ? nr as (typeof SYSCALL_NAMES)[number] : v(nr, 'nr');
}

/** Resolves the values of one event at a point where RIP is `rip`. */
export function resolveEvent(e: RawEvent, paging: Paging, index: number, file: string, rip: bigint): Event {
  const len = e.type.startsWith('user.') ? insnLength(e as { type: string }) : 0n;
  const here = { rip, next: rip + len };
  const v = (s: string | number | bigint, field: string): bigint => resolveValue(s, paging, `events[${index}].${field}`, file, here);
  const frame = (f: Record<string, string | number> | undefined, field: string) => {
    if (f === undefined) return undefined;
    const out: Record<string, bigint | number> = {};
    for (const [k, s] of Object.entries(f)) out[k] = k === 'cs' || k === 'ss' ? Number(v(s, `${field}.${k}`) & 0xffffn) : v(s, `${field}.${k}`);
    return out;
  };
  switch (e.type) {
    case 'user.setReg': return { ...e, value: v(e.value, 'value') };
    case 'user.popf': return { ...e, flags: v(e.flags, 'flags') };
    case 'user.access': return { ...e, addr: v(e.addr, 'addr') };
    case 'user.jump': return { ...e, target: v(e.target, 'target') };
    case 'user.wrgsbase': return { ...e, value: v(e.value, 'value') };
    case 'tracer.watch':
    case 'tracer.break': return { ...e, addr: v(e.addr, 'addr') };
    case 'user.syscall':
    case 'user.int80': {
      const args = e.args?.map((a, n) => v(a, `args[${n}]`));
      const fr = frame(e.frame as Record<string, string | number> | undefined, 'frame');
      const act = e.act ? { handler: v(e.act.handler, 'act.handler'), ...(e.act.flags ? { flags: v(e.act.flags, 'act.flags') } : {}), ...(e.act.mask ? { mask: v(e.act.mask, 'act.mask') } : {}) } : undefined;
      const stack = e.stack ? { sp: v(e.stack.sp, 'stack.sp'), size: v(e.stack.size, 'stack.size'), ...(e.stack.flags ? { flags: v(e.stack.flags, 'stack.flags') } : {}) } : undefined;
      return {
        type: e.type, nr: nrValue(e.nr, v), ...(args ? { args } : {}), ...(fr ? { frame: fr } : {}), ...(act ? { act } : {}), ...(stack ? { stack } : {}),
        ...('raw' in e && e.raw ? { raw: true } : {}),
      } as Event;
    }
    case 'user.sysenter': {
      const args = e.args?.map((a, n) => v(a, `args[${n}]`));
      return {
        type: e.type, ...(e.nr !== undefined ? { nr: nrValue(e.nr, v) } : {}), ...(args ? { args } : {}),
        ...(e.ebp !== undefined ? { ebp: v(e.ebp, 'ebp') } : {}), ...(e.raw ? { raw: true } : {}),
      } as Event;
    }
    case 'tracer.setRegs': return { type: e.type, regs: frame(e.regs as Record<string, string | number>, 'regs') ?? {} } as Event;
    default: return e as Event;
  }
}
