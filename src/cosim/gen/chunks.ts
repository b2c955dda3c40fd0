/**
 * What the generator may do next, per state of the process (guide.ts): a weighted menu of
 * chunks. A chunk is a short plan of steps; each step builds its event from the state it
 * arrives in, or gives up (null) when the state is not the one the plan expected, so planned
 * events are never skipped by the model. docs/cosim.md ("What is generated") lists them.
 */
import type { Event, SigFrame, SyscallName, UserReg } from '../../model/index.ts';
import { USER_REGS } from '../../model/index.ts';
import { compatEntryFrame, compatRegs, COMPAT_CONDITIONS, ERESTART, SYSRET_CONDITIONS, sysretFrame, wildFrame } from './frames.ts';
import type { Guide } from './guide.ts';
import type { Rng } from './rng.ts';
import {
  accessAddr, accessAddr32, anyValue, BENIGN_FLAGS, codeAddr, compatCodeAddr, compatStack, EDGE_RIPS, EDGE_VALUES, FAULTING,
  goodStack, inCode, NON_CANONICAL, onStack, RFLAGS_VALUES, sysenterStack, value32,
} from './values.ts';
import { pushPop, softInt } from './insns.ts';

/** One planned step: the event for the state it arrives in, or null to abandon the plan. */
export type Step = (g: Guide) => Event | null;
/** A short plan. */
export type Chunk = readonly Step[];

/** What the host and the run allow. */
export interface MenuOptions {
  readonly vendor: 'intel' | 'amd';
  /** int $0x80 works (IA32 emulation). */
  readonly int80: boolean;
  /** The 32-bit vDSO is mapped (32-bit fast system calls). */
  readonly vdso: boolean;
  /** Generate what the model is known not to handle yet (docs/cosim.md, "Pending on the model"). */
  readonly includePending: boolean;
}

const TF = 0x100n;
const AC = 0x4_0000n;
/** Where signal handlers start (native/harness.h HANDLER): the harness stops there by an int3 of its own, so no tracer breakpoint. */
const HANDLER_ENTRY = 0x40_0e00n;
const HANDLED = [4, 5, 7, 10, 11, 12];
const GPR64 = USER_REGS.filter((r) => r !== 'rsp') as UserReg[];
/** Registers 32-bit code can load (no REX: r8-r15 are out of reach). */
const GPR32: readonly UserReg[] = ['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp'];

const at = (want: Guide['state'], f: (g: Guide) => Event | null): Step => (g) => (g.state === want ? f(g) : null);
const user = (f: (g: Guide) => Event | null): Step => at('boundary', f);
const tracer = (f: (g: Guide) => Event | null): Step => at('stopped', f);
const ev = (e: Event): Step => user(() => e);
const syscall = (nr: SyscallName, args?: bigint[]): Event => ({ type: 'user.syscall', nr, ...(args ? { args } : {}) });

/**
 * rt_sigreturn, only where the model has a frame at RSP (a handler that kept its stack). A frame
 * saved from 32-bit code may get a forged SS too (force_valid_ss without UC_STRICT_RESTORE_SS:
 * the model's gap strict-restore-ss, fixed); one back to 32-bit code usually keeps a 32-bit
 * stack, the rest of the time it keeps the 64-bit one (IRET drops its upper half: gap
 * compat-rsp-upper-half, fixed).
 */
const sigreturn = (r: Rng, frame: () => SigFrame | undefined): Step => user((g) => {
  if (!g.frameAtRsp || g.compat) return null;
  let f = frame();
  const to32 = f?.cs !== undefined ? f.cs === 0x23 : g.frameFrom32;
  if (f && to32 && f.rsp !== undefined && f.rsp >> 32n !== 0n && r.chance(0.8)) f = { ...f, rsp: compatStack(r) };
  return { type: 'user.syscall', nr: 'rt_sigreturn', ...(f ? { frame: f } : {}) };
});

/** `addr` may hold a signal frame's bytes: within 4 KiB above a frame the model wrote (an XSAVE area and the rt_sigframe fit). */
const nearFrame = (g: Guide, addr: bigint): boolean => g.frames.some((f) => addr + 4n > f && addr < f + 0x1000n);

/** A short handler body that leaves RSP alone. */
function body(r: Rng): Step[] {
  return Array.from({ length: r.int(3) }, () => user((g) => (g.compat ? null : r.weighted<Event>([
    [2, { type: 'user.setReg', reg: r.pick(GPR64), value: anyValue(r) }], [1, { type: 'user.nop' }], [1, syscall('getpid')],
  ]))));
}

/** Something that is sure to deliver a signal, from 64-bit or 32-bit code. */
function trigger(r: Rng, o: MenuOptions, compat: boolean): Step[] {
  const sig = BigInt(r.pick(HANDLED));
  const kill: Event = compat ? { type: 'user.int80', nr: 'kill', args: [r.pick([0n, 1n]), sig] } : syscall('kill', [r.pick([0n, 1n]), sig]);
  return r.weighted<Step[]>([
    [compat && !o.int80 ? 0 : 2, [ev(kill)]],
    [2, [ev({ type: 'user.int3' })]],
    [2, [ev({ type: 'user.access', addr: compat ? r.pick([0n, 0x1000n, 0x50_0000n]) : r.pick(FAULTING), write: r.chance(0.5) })]],
    [1, [ev({ type: 'user.popf', flags: 0x302n }), ev({ type: 'user.nop' })]],
  ]);
}

/** A signal, a handler body and rt_sigreturn with a frame aimed at one exit check. */
function signalChunk(r: Rng, o: MenuOptions, compat: boolean): Chunk {
  const frame = r.weighted<() => SigFrame | undefined>([
    [6, () => sysretFrame(r, r.pick(SYSRET_CONDITIONS))],
    [2, () => wildFrame(r, r.chance(0.7) ? codeAddr(r) : r.pick(EDGE_RIPS), () => (r.chance(0.8) ? goodStack(r) : r.pick(EDGE_VALUES)))],
    [2, () => undefined],
    [compat ? 1 : 3, () => compatEntryFrame(r)],
  ]);
  return [...trigger(r, o, compat), ...body(r), sigreturn(r, frame)];
}

/** The 64-bit system calls a chunk makes (the stops they give a tracer are where frames are aimed). */
function syscall64(r: Rng): Event {
  return r.weighted<Event>([[3, syscall('getpid')], [1, syscall('sched_yield')], [1, syscall('kill', [1n, BigInt(r.pick(HANDLED))])]]);
}

/** A complete 32-bit rt_sigreturn frame (no kernel ever wrote one here: native/frame.c). */
function ia32Frame(r: Rng): SigFrame {
  const to64 = r.chance(0.3);
  const rip = to64 ? codeAddr(r) & 0xffff_ffffn : compatCodeAddr(r);
  const regs = Object.fromEntries((['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp'] as const).map((k) => [k, value32(r)]));
  return { ...regs, rip, rsp: compatStack(r), rflags: r.pick([...BENIGN_FLAGS, 0x302n, 0x10202n]), cs: to64 ? 0x33 : r.pick([0x23, 0x23, 0x2b, 0x1b]), ss: r.pick([0x2b, 0x2b, 0x2b, 0x0]) };
}

/** The 32-bit rt_sigreturn by int $0x80, on a stack user code can write its frame to. */
const ia32Sigreturn = (r: Rng): Step => user((h) => (h.frameAtRsp || !onStack(h.rsp) ? null
  : { type: 'user.int80', nr: 'rt_sigreturn', frame: ia32Frame(r) }));

/** The menu at a 64-bit user boundary. */
export function menu64(r: Rng, o: MenuOptions, g: Guide): Chunk {
  // SYSENTER from 64-bit code: #UD on AMD; on Intel a 32-bit call whose EBP (arg 6) is read
  // from the stack at ESP (gap sysenter64-ebp, fixed in the model).
  const sysenter = o.vendor === 'intel' && o.vdso;
  return r.weighted<() => Chunk>([
    [8, () => [ev(r.weighted<Event>([
      [4, { type: 'user.setReg', reg: r.pick(GPR64), value: anyValue(r) }],
      [1, { type: 'user.setReg', reg: 'rsp', value: r.chance(0.85) ? goodStack(r) : r.pick(EDGE_VALUES) }],
      [2, { type: 'user.popf', flags: r.pick(RFLAGS_VALUES) }],
      [1, { type: 'user.nop' }],
      [3, { type: 'user.access', addr: accessAddr(r), write: r.chance(0.5) }],
      [1, { type: 'user.access', addr: codeAddr(r), write: true }],
      [1, { type: 'user.int3' }],
    ]))]],
    [4, () => [ev(syscall64(r))]],
    [8, () => signalChunk(r, o, false)],
    [g.attached ? 0 : 1, () => [ev({ type: 'tracer.attach', options: { syscalls: r.chance(0.7) } })]],
    // Not while a tracer breakpoint is set on AMD: see docs/cosim.md, Known limits (MOV SS and
    // a breakpoint on the instruction in its shadow; Intel holds it back as the model does).
    [g.breaking && o.vendor === 'amd' ? 0 : 2, () => [
      ...(g.attached ? [] : [ev({ type: 'tracer.attach', options: { syscalls: false } })]),
      ...(g.watching ? [] : [(h: Guide) => (h.attached ? { type: 'tracer.watch', addr: 0x60_f800n } as Event : null)]),
      // Not the watched byte while a breakpoint is set (Intel): its held #DB merges with a
      // breakpoint on the next instruction, which is where the harness ends the event.
      ev({ type: 'user.movSs', watched: !g.breaking && r.chance(0.7) }),
      ev(r.pick<Event>([syscall('getpid'), { type: 'user.nop' }, { type: 'user.int3' }, ...(o.int80 ? [{ type: 'user.int80', nr: 'getpid' } as Event] : [])])),
    ]],
    // The tracer's execute breakpoint (DR3 on the machine) on the next instruction or the one
    // after: a #DB before it runs, SIGTRAP TRAP_HWBKPT, RF set in the handler's frame.
    [1.5, () => [
      ...(g.attached ? [] : [ev({ type: 'tracer.attach', options: { syscalls: r.chance(0.5) } })]),
      (h: Guide) => {
        const addr = h.rip + BigInt(r.pick([0, 0, 1]));
        return h.attached && inCode(h.rip) && addr !== HANDLER_ENTRY ? { type: 'tracer.break', addr } as Event : null;
      },
      ev(r.pick<Event>([{ type: 'user.nop' }, { type: 'user.nop' }, syscall('getpid'), { type: 'user.int3' }, { type: 'user.popf', flags: 0x302n }])),
    ]],
    // A sigreturn to a breakpoint with RF set or clear in the frame: IRET restores RF and the
    // instruction runs; with RF clear the breakpoint fires (SDM Vol. 3 17.3.1.1), and SYSRET,
    // which cannot restore RF, is taken only then.
    [g.attached ? 2 : 0, () => {
      const drawn = codeAddr(r);
      const at = drawn === HANDLER_ENTRY ? drawn + 2n : drawn;
      const rflags = r.chance(0.5) ? 0x10246n : 0x246n;
      const set = user((h) => (h.attached && !h.compat ? { type: 'tracer.break', addr: at } as Event : null));
      return [...trigger(r, o, false), ...body(r), set, sigreturn(r, () => ({ rip: at, rcx: at, rflags, r11: rflags })), ev({ type: 'user.nop' })];
    }],
    // Non-canonical targets #GP on the jump itself (gap jump-non-canonical, fixed).
    [2, () => [ev({ type: 'user.jump', target: r.chance(0.6) ? codeAddr(r) : r.pick(EDGE_RIPS) })]],
    [1, () => [ev({ type: 'user.wrgsbase', value: r.pick([0n, 0x60_0000n, 0x7fff_ffff_f000n, ...NON_CANONICAL, r.u64()]) })]],
    [o.int80 ? 2 : 0, () => [ev({ type: 'user.int80', nr: r.pick(['getpid', 'sched_yield'] as const) })]],
    [o.int80 ? 1 : 0, () => [ia32Sigreturn(r)]],
    [g.frameAtRsp ? 0 : sysenter ? (g.vdsoCall ? 0 : 3) : o.vendor === 'amd' ? 1 : 0, () => {
      // SYSENTER from 64-bit code (Intel) returns to the landing pad in 32-bit code, by SYSRETL,
      // or by IRET with -EFAULT when the read of EBP at (u32)RSP fails. The SYSENTER waits for
      // RSP to be the drawn one: a pending fetch fault can take the setReg's place. Not while a
      // vDSO call is held: the model runs the landing pad's epilogue for that call only.
      const sp = sysenter ? sysenterStack(r) : undefined;
      const nr = r.pick(['getpid', 'getpid', 'sched_yield'] as const);
      // Half the time a byte is stored where arg 6 is read first (user.access stores RAX's low
      // byte: a drawn one, not a pid the two sides see differently).
      const at = (sp ?? 0n) & 0xffff_ffffn;
      const store = at >= 0x60_0000n && at < 0x61_0000n && r.chance(0.5)
        ? [ev({ type: 'user.setReg', reg: 'rax', value: BigInt(r.int(0x100)) }), ev({ type: 'user.access', addr: at, write: true })] : [];
      return [
        ...(sp !== undefined ? [ev({ type: 'user.setReg', reg: 'rsp', value: sp })] : []),
        ...store,
        user((h) => (sp === undefined || (h.rsp === sp && !nearFrame(h, at)) ? { type: 'user.sysenter', nr } : null)),
      ];
    }],
    [0.3, () => [ev(syscall('kill', [r.pick([0n, 1n]), 15n]))]],
    [1.5, () => softInt(r, o.vendor)],
    [1, () => pushPop(r, GPR64)],
  ])();
}

/** The menu at a 32-bit user boundary (CS = __USER32_CS). */
export function menu32(r: Rng, o: MenuOptions, g: Guide): Chunk {
  // A vDSO call: on the compat stack, not single-stepped (any R12-R15 and upper halves: gaps
  // sysretl-r12-r15 and vdso-pops-32-bit, fixed). Not under AC with ESP misaligned: the model's
  // call faults with #AC at the call site, but the harness makes the call by ptrace, so the
  // machine's #AC comes at the vDSO's own push (docs/cosim.md, Known limits).
  const misaligned = (g.rflags & AC) !== 0n && (g.rsp & 3n) !== 0n;
  const canCall = o.vdso && !g.vdsoCall && (g.rflags & TF) === 0n && !misaligned && g.rsp >= 0xfffd_f000n && g.rsp <= 0xffff_d000n;
  return r.weighted<() => Chunk>([
    [6, () => [ev(r.weighted<Event>([
      [4, { type: 'user.setReg', reg: r.pick(GPR32), value: value32(r) }],
      [1, { type: 'user.setReg', reg: 'rsp', value: compatStack(r) }],
      [1, { type: 'user.popf', flags: r.pick(RFLAGS_VALUES) }],
      [1, { type: 'user.nop' }],
      [2, { type: 'user.access', addr: accessAddr32(r), write: r.chance(0.5) }],
      [0.5, { type: 'user.access', addr: compatCodeAddr(r), write: true }],
      [1, { type: 'user.int3' }],
    ]))]],
    [canCall ? 8 : 0, () => [ev(r.weighted<Event>([
      [3, { type: r.chance(0.8) ? 'user.syscall' : 'user.sysenter', nr: 'getpid' } as Event],
      [1, { type: 'user.syscall', nr: 'sched_yield' }],
      [1, { type: 'user.syscall', nr: 'kill', args: [1n, BigInt(r.pick(HANDLED))] }],
    ]))]],
    [o.int80 ? 3 : 0, () => [ev({ type: 'user.int80', nr: r.pick(['getpid', 'sched_yield'] as const) })]],
    [o.int80 ? 1 : 0, () => [ia32Sigreturn(r)]],
    [4, () => signalChunk(r, o, true)],
    [1, () => [ev({ type: 'user.jump', target: compatCodeAddr(r) })]],
    [1.5, () => softInt(r, o.vendor)],
    [1, () => pushPop(r, GPR32)],
  ])();
}

/** A ptrace write leaves RSP alone (at an rt_sigreturn entry stop it would move the frame). */
function withoutRsp(f: SigFrame): SigFrame {
  const { rsp: _rsp, ...rest } = f;
  return rest;
}

/** The menu in a ptrace stop: register writes aimed at the exit checks, continue, single-step. */
export function menuStopped(r: Rng, o: MenuOptions, g: Guide): Chunk {
  const exit = g.stop === 'syscall-exit';
  // No step in the vDSO, nor to a RIP that cannot be fetched: the harness holds the child in its
  // stop there, before PTRACE_SINGLESTEP would run enable_single_step (docs/cosim.md).
  const stepOk = (h: Guide): boolean => !h.vdsoCall && (inCode(h.rip) || h.stop === 'syscall-entry');
  const resume = (step: boolean): Step => tracer((h) => ({ type: step && stepOk(h) ? 'tracer.singleStep' : 'tracer.cont' }));
  const canStep = stepOk(g);
  // Any register may be written at any entry stop: a 32-bit rt_sigreturn leaves R8-R15 as they
  // are, kill takes its signal as an int (gaps ia32-sigreturn-r8-r15 and kill-signal-int, fixed).
  const set = (regs: SigFrame): Step => tracer(() => ({ type: 'tracer.setRegs', regs }));
  if (g.vdsoCall) {
    // A 32-bit fast system call: aim at the compat (SYSRETL) checks, and never step in the vDSO.
    return r.weighted<Chunk>([[exit ? 3 : 0, [set(compatRegs(r, r.pick(COMPAT_CONDITIONS))), resume(false)]], [3, [resume(false)]]]);
  }
  // At an entry stop RSP stays (at rt_sigreturn's it would move the frame), so no 32-bit CS there.
  const ptraceFrame = (): SigFrame => {
    const f: Record<string, bigint | number> = { ...(exit ? sysretFrame(r, r.pick(SYSRET_CONDITIONS)) : withoutRsp(sysretFrame(r, r.pick(SYSRET_CONDITIONS)))) };
    if (typeof f.cs === 'number' && (f.cs & 3) !== 3) f.cs |= 3;
    if (!exit && f.cs === 0x23) f.cs = 0x33;
    return f as SigFrame;
  };
  return r.weighted<Chunk>([
    [exit ? 4 : 1, [set(ptraceFrame()), resume(canStep && r.chance(0.3))]],
    [exit ? 1.5 : 0, [set({ rax: r.pick(ERESTART) }), resume(false)]],
    [exit ? 0.7 : 0, [set(compatEntryFrame(r)), resume(false)]],
    [3, [resume(false)]],
    [canStep ? 2 : 0, [resume(true)]],
  ]);
}
