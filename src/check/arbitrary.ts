/**
 * The trace arbitrary: lists of trace events (in file form, so "$next"-style values are resolved
 * where each event runs), weighted so that deep states are reached (interrupts and NMIs at every
 * micro-step position, faults inside handlers, ptrace stops followed by register writes, signal
 * frames with hostile values) and values biased to the edges of DESIGN.md section 5.
 */
import fc from 'fast-check';
import { USER_REGS } from '../model/index.ts';
import type { RawEvent } from './trace-file.ts';

const h = (v: bigint): string => `0x${v.toString(16)}`;

/** Addresses at the edges: canonical boundaries for 48 and 57 bits, the guard page, the vsyscall page, 1 << i. */
export const EDGE_ADDRESSES: readonly string[] = [
  '0x7fffffffffff', '0x800000000000', '0x7ffffffff000', '0x7fffffffeffe', '$task_size_max', '$task_size_max-2',
  '0xffff800000000000', '0xffff7fffffffffff', '0xffffffffff600000', '0xffffffffffffffff', '0x0',
  '0xffffffffffffff', '0x100000000000000', '0xff00000000000000', '0xfeffffffffffffff',
  ...Array.from({ length: 17 }, (_, i) => h(1n << BigInt(47 + i))),
];
/** Ordinary, mapped and interesting user addresses. */
export const USER_ADDRESSES: readonly string[] = [
  '$next', '$rip', '$user_code', '$user_data', '$user_demand', '$user_demand+0x1000', '$user_stack', '$user_stack_top',
  '$rseq_cs', '$rseq_cs+0x10', '$rseq_abort', '$landing_pad', '$nmi_stack-0x28', '$nmi_stack-0x100', '$percpu',
  '0x500000', '0x1000',
];
/** RFLAGS values: TF, RF, NT, AC, IOPL, DF, IF in useful combinations. */
export const RFLAGS_VALUES: readonly string[] = ['0x202', '0x302', '0x10202', '0x10302', '0x4202', '0x40202', '0x3202', '0x602', '0x2', '0x100', '0x246', '0x200202', '0x20202'];
/** Segment selectors: NULL, the Linux user and kernel selectors, an unused GDT slot, LDT entries. */
export const SELECTORS: readonly string[] = ['0x33', '0x2b', '0x23', '0x0', '0x3b', '0x10', '0x18', '0x7', '0xf', '0x3'];

const addr = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...USER_ADDRESSES) }, { weight: 2, arbitrary: fc.constantFrom(...EDGE_ADDRESSES) });
const value = fc.oneof(
  { weight: 3, arbitrary: addr },
  { weight: 1, arbitrary: fc.constantFrom(...RFLAGS_VALUES) },
  { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map(h) },
  { weight: 1, arbitrary: fc.constantFrom('0x0', '0x1', '0x2', '0xa', '0xb', '0x13') },
);
/** Micro-step positions: small ones often, anywhere in a path sometimes. */
const after = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 8 }) }, { weight: 3, arbitrary: fc.integer({ min: 0, max: 60 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 200 }) });

/** A hostile register frame (for rt_sigreturn and ptrace SETREGS). */
const frame = fc.record({
  rip: fc.oneof(addr, fc.constant('$next')), rsp: addr, rflags: fc.constantFrom(...RFLAGS_VALUES),
  cs: fc.constantFrom(...SELECTORS), ss: fc.constantFrom(...SELECTORS), rcx: fc.oneof(addr, fc.constant('$next')),
  r11: fc.constantFrom(...RFLAGS_VALUES), rax: value,
}, { requiredKeys: [] });

const syscall = fc.oneof(
  { weight: 4, arbitrary: fc.constant<RawEvent>({ type: 'user.syscall', nr: 'getpid' }) },
  { weight: 2, arbitrary: fc.constant<RawEvent>({ type: 'user.syscall', nr: 'sched_yield' }) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('0x0', '0x1', '0x2', '0x3'), fc.constantFrom('0xa', '0xb', '0x5', '0xc')).map(([p, s]): RawEvent => ({ type: 'user.syscall', nr: 'kill', args: [p, s] })) },
  { weight: 3, arbitrary: frame.map((f): RawEvent => ({ type: 'user.syscall', nr: 'rt_sigreturn', frame: f })) },
  { weight: 1, arbitrary: fc.constant<RawEvent>({ type: 'user.syscall', nr: 'rt_sigreturn' }) },
  { weight: 2, arbitrary: fc.constantFrom<RawEvent>({ type: 'user.syscall', nr: 'fork' }, { type: 'user.syscall', nr: 'clone' }) },
  { weight: 2, arbitrary: fc.tuple(addr, fc.constantFrom('0x1', '0x10', '0x1000')).map(([b, n]): RawEvent => ({ type: 'user.syscall', nr: 'write', args: ['0x1', b, n] })) },
  { weight: 1, arbitrary: fc.constantFrom<RawEvent>({ type: 'user.syscall', nr: 'pause' }, { type: 'user.syscall', nr: 'nanosleep' }) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 0, max: 3 }), fc.constantFrom('0x0', '0x1', '0x3')).map(([i, f]): RawEvent => ({ type: 'user.syscall', nr: 'modify_ldt', args: ['0x1', `0x${i.toString(16)}`, f] })) },
);
const compat = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom<RawEvent>({ type: 'user.int80', nr: 'getpid' }, { type: 'user.int80', nr: 'fork' }, { type: 'user.int80', nr: 'nanosleep' }) },
  { weight: 1, arbitrary: frame.map((f): RawEvent => ({ type: 'user.int80', nr: 'rt_sigreturn', frame: f })) },
  { weight: 2, arbitrary: fc.constantFrom<RawEvent>({ type: 'user.sysenter', nr: 'getpid' }, { type: 'user.sysenter', nr: 'nanosleep' }, { type: 'user.sysenter', nr: 'write', args: ['0x1', '0x0', '0x1'] }) },
);
const plain = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...USER_REGS), value).map(([reg, v]): RawEvent => ({ type: 'user.setReg', reg, value: v })) },
  { weight: 2, arbitrary: fc.constant<RawEvent>({ type: 'user.setReg', reg: 'rcx', value: '$next' }) },
  { weight: 2, arbitrary: fc.constantFrom(...RFLAGS_VALUES).map((f): RawEvent => ({ type: 'user.popf', flags: f })) },
  { weight: 2, arbitrary: fc.constant<RawEvent>({ type: 'user.nop' }) },
  { weight: 2, arbitrary: fc.tuple(addr, fc.boolean()).map(([a, w]): RawEvent => ({ type: 'user.access', addr: a, write: w })) },
  { weight: 1, arbitrary: fc.constant<RawEvent>({ type: 'user.movSs', watched: true }) },
  { weight: 1, arbitrary: fc.constant<RawEvent>({ type: 'user.int3' }) },
  { weight: 1, arbitrary: addr.map((t): RawEvent => ({ type: 'user.jump', target: t })) },
);
const hw = fc.oneof(
  { weight: 3, arbitrary: after.map((a): RawEvent => ({ type: 'hw.irq', after: a })) },
  { weight: 3, arbitrary: after.map((a): RawEvent => ({ type: 'hw.nmi', after: a })) },
);
const tracer = fc.oneof(
  { weight: 2, arbitrary: fc.record({ syscalls: fc.boolean(), fork: fc.boolean() }).map((o): RawEvent => ({ type: 'tracer.attach', options: o })) },
  { weight: 3, arbitrary: frame.map((f): RawEvent => ({ type: 'tracer.setRegs', regs: f })) },
  { weight: 2, arbitrary: fc.constant<RawEvent>({ type: 'tracer.singleStep' }) },
  { weight: 2, arbitrary: fc.constant<RawEvent>({ type: 'tracer.cont' }) },
  { weight: 1, arbitrary: fc.constant<RawEvent>({ type: 'tracer.watch', addr: '$user_data' }) },
);
const sched = fc.oneof(
  fc.integer({ min: 1, max: 3 }).map((task): RawEvent => ({ type: 'sched.wake', task })),
  fc.tuple(fc.integer({ min: 1, max: 3 }), fc.constantFrom(10, 12, 11)).map(([task, signal]): RawEvent => ({ type: 'sched.signal', task, signal })),
);

/** One event of the trace arbitrary. */
export const eventArbitrary: fc.Arbitrary<RawEvent> = fc.oneof(
  { weight: 6, arbitrary: syscall },
  { weight: 2, arbitrary: compat },
  { weight: 5, arbitrary: plain },
  { weight: 5, arbitrary: hw },
  { weight: 3, arbitrary: tracer },
  { weight: 1, arbitrary: sched },
);

/**
 * Short event sequences that reach deep states a random walk rarely finds: a fault inside an
 * NMI inside a #PF entry, a ptrace stop followed by a register write, a single-stepped syscall,
 * a watched MOV SS before a kernel entry, preemption inside an rseq critical section, the
 * "movq $stuck_here, %rcx; pushfq; popq %r11" pattern under TF (linux-entry-history 1.1).
 */
const chunk = fc.oneof(
  { weight: 2, arbitrary: fc.tuple(fc.integer({ min: 0, max: 14 }), fc.constantFrom('$user_demand', '$user_demand+0x2000', '0x500000')).map(([k, a]): RawEvent[] => [{ type: 'hw.nmi', after: k }, { type: 'user.access', addr: a, write: false }]) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('$user_demand+0x3000', '0x500000', '$user_demand+0x5000'), fc.integer({ min: 4, max: 40 })).map(([sp, k]): RawEvent[] => [{ type: 'user.setReg', reg: 'rsp', value: sp }, { type: 'hw.nmi', after: 0 }, { type: 'hw.nmi', after: k }, { type: 'user.nop' }]) },
  { weight: 2, arbitrary: fc.tuple(fc.boolean(), fc.oneof(frame, fc.constant({})), fc.boolean()).map(([fork, f, stepping]): RawEvent[] => [
    { type: 'tracer.attach', options: fork ? { fork: true } : { syscalls: true } }, { type: 'user.syscall', nr: fork ? 'fork' : 'getpid' },
    { type: 'tracer.setRegs', regs: f }, { type: stepping ? 'tracer.singleStep' : 'tracer.cont' },
    // Whoever runs next yields, so the tracee gets the CPU back and takes its exit (CVE-2014-4699).
    fork ? { type: 'user.syscall', nr: 'sched_yield' } : { type: 'hw.irq', after: 0 }]) },
  { weight: 1, arbitrary: fc.constantFrom<RawEvent[]>(
    [{ type: 'tracer.attach', options: { syscalls: true } }, { type: 'user.syscall', nr: 'getpid' }, { type: 'tracer.singleStep' }, { type: 'hw.irq', after: 0 }, { type: 'user.syscall', nr: 'getpid' }, { type: 'user.nop' }],
    [{ type: 'tracer.attach' }, { type: 'tracer.watch', addr: '$user_data' }, { type: 'user.movSs', watched: true }, { type: 'user.int3' }],
    [{ type: 'tracer.attach' }, { type: 'tracer.watch', addr: '$user_data' }, { type: 'user.movSs', watched: true }, { type: 'user.syscall', nr: 'getpid' }],
    [{ type: 'user.jump', target: '$rseq_cs' }, { type: 'hw.irq', after: 0 }, { type: 'user.nop' }],
    [{ type: 'user.popf', flags: '0x302' }, { type: 'user.setReg', reg: 'rcx', value: '$next+10' }, { type: 'user.setReg', reg: 'r11', value: '0x302' }, { type: 'user.nop' }],
    [{ type: 'sched.signal', task: 1, signal: 10 }, { type: 'user.nop' }],
    [{ type: 'tracer.attach', options: { fork: true } }, { type: 'user.syscall', nr: 'fork' }, { type: 'tracer.cont' }, { type: 'user.syscall', nr: 'sched_yield' }, { type: 'user.nop' }],
    [{ type: 'user.int80', nr: 'fork' }, { type: 'user.syscall', nr: 'sched_yield' }, { type: 'user.syscall', nr: 'sched_yield' }, { type: 'user.nop' }],
    // A debugger single-stepping "movq $stuck_here, %rcx; pushfq; popq %r11; stuck_here:" (B4).
    [{ type: 'tracer.attach', options: { syscalls: true } }, { type: 'user.syscall', nr: 'getpid' }, { type: 'tracer.cont' }, { type: 'tracer.singleStep' },
      { type: 'user.setReg', reg: 'rcx', value: '$next+10' }, { type: 'tracer.singleStep' }, { type: 'user.setReg', reg: 'r11', value: '0x302' },
      { type: 'tracer.singleStep' }, { type: 'tracer.singleStep' }],
  ) },
  { weight: 1, arbitrary: fc.constantFrom<RawEvent[]>(
    // A 32-bit LDT code segment, then an NMI while another CPU removes it (CVE-2015-5157).
    [{ type: 'user.syscall', nr: 'modify_ldt', args: ['0x1', '0x0', '0x3'] }, { type: 'user.syscall', nr: 'rt_sigreturn', frame: { cs: '0x7', rip: '0x400200', rsp: '0xffffc000' } },
      { type: 'hw.nmi', after: 0 }, { type: 'hw.remoteLdt', after: 2, index: 0 }, { type: 'user.nop' }],
    // A not-present LDT data segment as SS (CVE-2014-9322).
    [{ type: 'user.syscall', nr: 'modify_ldt', args: ['0x1', '0x0', '0x0'] }, { type: 'user.syscall', nr: 'rt_sigreturn', frame: { ss: '0x7' } }],
    // A kernel-half GS base, then an NMI at the SYSCALL entry (FSGSBASE, B25).
    [{ type: 'user.wrgsbase', value: '0xffff888000001000' }, { type: 'hw.nmi', after: 1 }, { type: 'user.syscall', nr: 'getpid' }],
    // SYSENTER with TF set (B26) and a SYSCALL at the top of the user half (CVE-2006-0744).
    [{ type: 'user.popf', flags: '0x302' }, { type: 'user.sysenter', nr: 'getpid' }, { type: 'user.nop' }],
    [{ type: 'user.jump', target: '$user_half_end-2' }, { type: 'user.syscall', nr: 'getpid' }],
  ) },
  { weight: 1, arbitrary: fc.integer({ min: 2, max: 6 }).map((k): RawEvent[] => [
    // Preempted between saving the user RSP in the per-CPU scratch slot and pushing it (B22).
    { type: 'user.syscall', nr: 'fork' }, { type: 'user.nop' }, { type: 'user.syscall', nr: 'getpid' }, { type: 'hw.irq', after: k },
    { type: 'user.syscall', nr: 'sched_yield' }, { type: 'user.setReg', reg: 'rsp', value: '$user_stack-0x4000' }, { type: 'user.syscall', nr: 'getpid' },
    { type: 'user.syscall', nr: 'sched_yield' }, { type: 'user.nop' }]) },
  // A system call, then an interrupt or NMI at a uniformly chosen micro-step of its entry or exit.
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom<RawEvent>({ type: 'user.syscall', nr: 'getpid' }, { type: 'user.syscall', nr: 'sched_yield' },
    { type: 'user.sysenter', nr: 'getpid' }, { type: 'user.int80', nr: 'getpid' }), fc.constantFrom<'hw.irq' | 'hw.nmi'>('hw.irq', 'hw.nmi'), fc.integer({ min: 0, max: 80 }))
    .map(([sc, kind, k]): RawEvent[] => [sc, { type: kind, after: k }, { type: 'user.nop' }]) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('$nmi_stack-0x28', '$nmi_stack-0x100', '$nmi_stack-0x800'), fc.integer({ min: 1, max: 6 }))
    .map(([sp, k]): RawEvent[] => [{ type: 'user.setReg', reg: 'rsp', value: sp }, { type: 'hw.nmi', after: k }, { type: 'user.syscall', nr: 'getpid' }]) },
);

/** A trace: 1 to `maxLength` events, single events mixed with the deep-state chunks. */
export function traceArbitrary(maxLength = 16): fc.Arbitrary<RawEvent[]> {
  const piece = fc.oneof({ weight: 8, arbitrary: eventArbitrary.map((e) => [e]) }, { weight: 2, arbitrary: chunk });
  return fc.array(piece, { minLength: 1, maxLength: Math.ceil(maxLength / 2) }).map((ps) => ps.flat().slice(0, maxLength));
}
