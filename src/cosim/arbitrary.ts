/**
 * Random user-level traces over the co-simulation subset (docs/cosim.md, "What is generated"),
 * with values biased to the edges: canonical boundaries (2^47 - 1, 2^47, TASK_SIZE_MAX, the
 * sign-extended halves, 1 << i), RFLAGS with TF, AC, NT, DF, RF and the arithmetic flags,
 * RCX == RIP and R11 == RFLAGS coincidences in forged frames and ptrace register writes.
 *
 * Every address the generator uses is one whose mapping is the same in the model and in the
 * harness's child (the model's regions, or addresses that are unmapped or non-canonical in
 * both), so that a difference is the model's or the kernel's, never the layout's.
 */
import fc from 'fast-check';
import { USER_REGS, type Event, type SigFrame, type UserReg } from '../model/index.ts';
import { USER_CODE, USER_DATA, USER_DEMAND, USER_STACK_TOP } from '../kernel/index.ts';
import { taskSizeMax } from '../isa/index.ts';

// The harness maps the same regions as the model's layout (src/kernel/layout.ts); traces use
// 4-level paging, which is all the host gives a user process.
const TASK_SIZE_MAX = taskSizeMax(4);
const CODE = USER_CODE;
const DATA = USER_DATA;
const DEMAND = USER_DEMAND;
const STACK_TOP = USER_STACK_TOP;
/** The watched location (in the data region, on a page user.access never touches). */
const WATCH_ADDR = DATA + 0xf800n;

/** Addresses at the canonical edges; unmapped or non-canonical on both sides. */
export const EDGE_ADDRESSES: readonly bigint[] = [
  (1n << 47n) - 1n, 1n << 47n, TASK_SIZE_MAX, TASK_SIZE_MAX - 1n, TASK_SIZE_MAX + 8n, 0xffff_8000_0000_0000n,
  0xffff_7fff_ffff_ffffn, 0xffff_ffff_ffff_ffffn, 0xffff_ffff_8100_0000n, 0n, 0x1000n, 0x50_0000n, DATA + 0x10000n,
  ...Array.from({ length: 17 }, (_, i) => 1n << BigInt(47 + i)),
];
/** Edge addresses that fault on any access (TASK_SIZE_MAX - 1 is the top of the user stack). */
const FAULTING: readonly bigint[] = EDGE_ADDRESSES.filter((a) => a !== TASK_SIZE_MAX - 1n);

/** RFLAGS images: TF, RF, NT, AC, DF, IOPL, ID, VIF/VIP and arithmetic flags, alone and mixed. */
export const RFLAGS_VALUES: readonly bigint[] = [
  0x202n, 0x302n, 0x10202n, 0x10302n, 0x4202n, 0x40202n, 0x602n, 0x2n, 0x246n, 0xad7n, 0x200202n, 0x3202n,
  0x180202n, 0x44ed7n, 0x4c7n, 0x40602n, 0x4302n,
];
/** Selectors for forged CS/SS: user, kernel, NULL, LDT; never the 32-bit user CS (see docs/cosim.md). */
export const SELECTORS: readonly number[] = [0x33, 0x2b, 0x0, 0x3, 0x10, 0x18, 0x13, 0x1b, 0x7, 0xf, 0x3b];

const pick = <T>(xs: readonly T[]): fc.Arbitrary<T> => fc.constantFrom(...xs);
const offset = (base: bigint, span: number): fc.Arbitrary<bigint> => fc.integer({ min: 0, max: span - 1 }).map((o) => base + BigInt(o));

/** Any 64-bit value, mostly an edge. */
const anyValue = fc.oneof(
  { weight: 3, arbitrary: pick(EDGE_ADDRESSES) },
  { weight: 1, arbitrary: pick(RFLAGS_VALUES) },
  { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }) },
  { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: 0xffffn }) },
  { weight: 1, arbitrary: offset(CODE, 0x1000) },
);
/**
 * A stack pointer in the stack region, with room for a signal frame below it (never in the data
 * region: the kernel's frames there would be bytes the model's abstract memory does not hold).
 */
const goodStack = fc.oneof(
  { weight: 3, arbitrary: pick([STACK_TOP - 0x1000n, STACK_TOP - 0x8000n, STACK_TOP - 0x1003n]) },
  { weight: 1, arbitrary: offset(STACK_TOP - 0x18000n, 0x16000) },
);
const anyStack = fc.oneof({ weight: 3, arbitrary: goodStack }, { weight: 1, arbitrary: pick(EDGE_ADDRESSES) });
/** A code address where execution can go on (in the code region, away from the handler). */
const codeAddr = offset(CODE + 0x100n, 0x900);
const anyRip = fc.oneof({ weight: 3, arbitrary: codeAddr }, { weight: 2, arbitrary: pick(EDGE_ADDRESSES) }, { weight: 1, arbitrary: pick([DATA, DEMAND]) });
/** Addresses user.access may touch: the data and demand regions, or addresses that fault the same way on both sides. */
const accessAddr = fc.oneof(
  { weight: 2, arbitrary: offset(DATA, 0xf000) },
  { weight: 2, arbitrary: offset(DEMAND, 0x10000) },
  { weight: 3, arbitrary: pick(EDGE_ADDRESSES) },
);
const gprNoRsp = USER_REGS.filter((r) => r !== 'rsp') as UserReg[];

/** A forged register frame: a few fields, with RCX == RIP and R11 == RFLAGS coincidences. */
const frame: fc.Arbitrary<SigFrame> = fc.record({
  rip: anyRip, rsp: anyStack, rflags: pick(RFLAGS_VALUES), cs: pick(SELECTORS), ss: pick(SELECTORS),
  rax: anyValue, rdi: anyValue, r11: pick(RFLAGS_VALUES), coincide: fc.boolean(),
}, { requiredKeys: ['coincide'] }).map(({ coincide, ...f }) => {
  const out: Record<string, bigint | number> = { ...f };
  if (coincide && f.rip !== undefined) out.rcx = f.rip;
  if (coincide && f.rflags !== undefined) out.r11 = f.rflags;
  return out as SigFrame;
});
/**
 * Ptrace register writes: like a frame, with selectors whose RPL is 3 most of the time; never
 * RDI (at a kill() entry stop it would be the target pid, and the harness refuses any target but
 * the child itself) and never RSP (at an rt_sigreturn entry stop it would move the frame to
 * memory whose contents the model does not hold: docs/cosim.md, "abstract memory").
 */
const ptraceRegs: fc.Arbitrary<SigFrame> = frame.map(({ rdi: _rdi, rsp: _rsp, ...f }) => {
  const out: Record<string, bigint | number> = { ...f };
  if (typeof f.cs === 'number' && (f.cs & 3) !== 3 && f.cs !== 0x10) out.cs = f.cs | 3;
  if (typeof f.ss === 'number' && (f.ss & 3) !== 3 && f.ss !== 0x18) out.ss = f.ss | 3;
  return out as SigFrame;
});

/** Options: what the machine supports. */
export interface CosimGenOptions {
  /** int $0x80 from 64-bit code works (IA32 emulation). */
  readonly int80: boolean;
  /** Most chunks per trace. */
  readonly maxChunks?: number;
}

const ev = <E extends Event>(e: E): Event[] => [e];
const HANDLED = [4, 5, 7, 10, 11, 12];

/** A signal that will be delivered: kill(self), int3, a fault, or a TF trap. */
const trigger: fc.Arbitrary<Event[]> = fc.oneof(
  pick(HANDLED).chain((s) => fc.constantFrom(0n, 1n).map((pid) => ev({ type: 'user.syscall', nr: 'kill', args: [pid, BigInt(s)] }))),
  fc.constant(ev({ type: 'user.int3' })),
  fc.tuple(pick(FAULTING), fc.boolean()).map(([addr, write]) => ev({ type: 'user.access', addr, write })),
  fc.constant<Event[]>([{ type: 'user.popf', flags: 0x302n }, { type: 'user.nop' }]),
);

/** One piece of a trace. */
function chunk(o: CosimGenOptions): fc.Arbitrary<Event[]> {
  const simple = fc.oneof(
    { weight: 4, arbitrary: fc.tuple(pick(gprNoRsp), anyValue).map(([reg, value]) => ev({ type: 'user.setReg', reg, value })) },
    { weight: 1, arbitrary: anyStack.map((value) => ev({ type: 'user.setReg', reg: 'rsp', value })) },
    { weight: 3, arbitrary: pick(RFLAGS_VALUES).map((flags) => ev({ type: 'user.popf', flags })) },
    { weight: 2, arbitrary: fc.constant(ev({ type: 'user.nop' })) },
    { weight: 3, arbitrary: fc.tuple(accessAddr, fc.boolean()).map(([addr, write]) => ev({ type: 'user.access', addr, write })) },
    { weight: 1, arbitrary: offset(CODE, 0x10000).map((addr) => ev({ type: 'user.access', addr, write: true })) },
    { weight: 2, arbitrary: pick(['getpid', 'sched_yield'] as const).map((nr) => ev({ type: 'user.syscall', nr })) },
    { weight: 1, arbitrary: fc.constant(ev({ type: 'user.int3' })) },
  );
  const handlerBody = fc.array(fc.oneof(
    fc.tuple(pick(gprNoRsp), anyValue).map(([reg, value]): Event => ({ type: 'user.setReg', reg, value })),
    fc.constant<Event>({ type: 'user.nop' }),
    fc.constant<Event>({ type: 'user.syscall', nr: 'getpid' }),
  ), { maxLength: 3 });
  const signal = fc.tuple(trigger, handlerBody, fc.option(frame, { nil: undefined }))
    .map(([t, body, f]): Event[] => [...t, ...body, { type: 'user.syscall', nr: 'rt_sigreturn', ...(f ? { frame: f } : {}) }]);
  const fatal = fc.constantFrom(0n, 1n).map((pid) => ev({ type: 'user.syscall', nr: 'kill', args: [pid, 15n] }));
  const movSs = fc.tuple(fc.boolean(), fc.oneof(
    fc.constant<Event>({ type: 'user.syscall', nr: 'getpid' }),
    fc.constant<Event>({ type: 'user.nop' }),
    fc.constant<Event>({ type: 'user.int3' }),
    ...(o.int80 ? [fc.constant<Event>({ type: 'user.int80', nr: 'getpid' })] : []),
  )).map(([watched, next]): Event[] => [
    { type: 'tracer.attach', options: { syscalls: false } }, { type: 'tracer.watch', addr: WATCH_ADDR }, { type: 'user.movSs', watched }, next,
  ]);
  const tracerStep = fc.oneof(
    { weight: 2, arbitrary: ptraceRegs.map((regs): Event => ({ type: 'tracer.setRegs', regs })) },
    { weight: 2, arbitrary: fc.constant<Event>({ type: 'tracer.singleStep' }) },
    { weight: 3, arbitrary: fc.constant<Event>({ type: 'tracer.cont' }) },
    { weight: 1, arbitrary: fc.constant<Event>({ type: 'user.nop' }) },
  );
  const ptrace = fc.tuple(fc.array(tracerStep, { minLength: 1, maxLength: 5 }), pick(['getpid', 'sched_yield'] as const))
    .map(([steps, nr]): Event[] => [{ type: 'user.syscall', nr }, ...steps]);
  const int80 = pick(['getpid', 'sched_yield'] as const).map((nr) => ev({ type: 'user.int80', nr }));
  return fc.oneof(
    { weight: 10, arbitrary: simple },
    { weight: 4, arbitrary: signal },
    { weight: 1, arbitrary: fatal },
    { weight: 2, arbitrary: movSs },
    { weight: 3, arbitrary: ptrace },
    ...(o.int80 ? [{ weight: 1, arbitrary: int80 }] : []),
  );
}

/** A co-simulation trace: an optional ptrace attach, then chunks, then a final nop. */
export function cosimTrace(o: CosimGenOptions): fc.Arbitrary<Event[]> {
  return fc.tuple(fc.option(fc.boolean(), { nil: undefined }), fc.array(chunk(o), { minLength: 1, maxLength: o.maxChunks ?? 6 }))
    .map(([attach, chunks]) => [
      ...(attach === undefined ? [] : [{ type: 'tracer.attach', options: { syscalls: attach } } as Event]),
      ...chunks.flat(),
      { type: 'user.nop' } as Event,
    ]);
}

/** `n` traces, the same ones for the same seed. */
export function sampleTraces(n: number, seed: number, o: CosimGenOptions): Event[][] {
  return n <= 0 ? [] : fc.sample(cosimTrace(o), { numRuns: n, seed });
}
