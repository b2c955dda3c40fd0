/**
 * What one event did on the model, in the record shape both sides share (types.ts): the
 * observations the model emitted and the state after the event, read as the harness reads the
 * real process (PTRACE_GETREGS at a stop, the user registers at a boundary, the signal frame at
 * the handler's first instruction).
 */
import { rf } from '../isa/index.ts';
import { atUserBoundary, TIF, USER_REGS, type MachineState, type Observation, type PtRegs, type Task } from '../model/index.ts';
import type { CtxName, EventRecord, SigRecord } from './types.ts';

/** The model's pid of the co-simulated process. */
export const MODEL_PID = 1;

/** The sigcontext registers the model's frames hold, by the same names (its frame is a pt_regs). */
const CTX_FROM_PT: ReadonlyArray<CtxName & keyof PtRegs> = [
  'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15', 'rdi', 'rsi', 'rbp', 'rbx', 'rdx', 'rax', 'rcx', 'rsp', 'rip', 'rflags', 'cs', 'ss',
];

/** A register as 64 bits hold it. */
const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);

/**
 * The frame's other fields as a 64-bit frame holds them (setup_sigcontext, signal_64.c): uc_flags;
 * err, trapno and cr2 from thread.{error_code, trap_nr, cr2}; the blocked set in oldmask and
 * uc_sigmask (Linux's encoding, bit n - 1 for signal n; the model's is bit n); FS and GS 0.
 */
function frameExtras(ctx: Readonly<Record<string, bigint>>): Partial<Record<CtxName, bigint>> {
  const mask = (ctx.mask ?? 0n) >> 1n;
  // err and trapno of a signal no fault raised (kill) are whatever the last fault left: on the
  // machine, the harness's own int3 after every event and its internal single steps (trap_nr 3
  // or 1, error 0). Rule "stale trap info": the model gives them only for a fault's signal.
  const trap = ctx.fault === 1n ? { err: ctx.err ?? 0n, trapno: ctx.trapno ?? 0n } : {};
  return { uc_flags: ctx.ucFlags ?? 0n, ...trap, cr2: ctx.cr2 ?? 0n, oldmask: mask, sigmask: mask, gs: 0n, fs: 0n };
}

/** Per signal frame: rsi = frame + 0x100, rdx = frame + 0x200 (the model's layout, kernel/signal-delivery.ts). */
function sigRecord(o: Extract<Observation, { kind: 'signal' }>): SigRecord {
  const base = { signo: o.signal, code: o.code, addr: u64(o.siAddr), rip: u64(o.rip), fatal: o.fatal };
  if (o.frame === undefined || o.fatal) return base;
  const saved = o.ctx;
  const ctx = saved ? { ...Object.fromEntries(CTX_FROM_PT.map((f) => [f, u64(saved[f] ?? 0n)])), ...frameExtras(saved) } : undefined;
  return { ...base, frame: { rsp: o.frame, rsi: o.frame + 0x100n, rdx: o.frame + 0x200n }, ...(ctx ? { ctx } : {}) };
}

/** The record of one event: `obs` are its observations, `m` the state after it. */
export function recordOf(skipped: boolean, obs: readonly Observation[], m: MachineState): EventRecord {
  const t = m.k.tasks[MODEL_PID] as Task;
  const signals: SigRecord[] = [];
  const traps: bigint[] = [];
  const exits: string[] = [];
  for (const o of obs) {
    if (o.kind === 'signal' && o.task === MODEL_PID) signals.push(sigRecord(o));
    if (o.kind === 'ptrace-stop' && o.task === MODEL_PID && o.why === 'singlestep') traps.push(u64(o.rip));
    if (o.kind === 'return-to-user' && o.task === MODEL_PID) exits.push(o.via);
  }
  const common = { skipped, signals, traps, ...(exits.length > 0 ? { exits } : {}) };
  if (m.k.halted !== null) {
    const h = m.k.halted;
    return { ...common, state: 'halted', note: 'what' in h ? `${h.what}: ${h.detail}` : String(h.kind) };
  }
  if (t.mode === 'dead') return { ...common, state: 'dead' };
  // The harness reads registers with PTRACE_GETREGS, which hides a TF that ptrace set
  // (get_flags, TIF_FORCED_TF): the model's registers are shown the same way.
  const shown = (flags: bigint): bigint => ((t.tif & TIF.FORCED_TF) !== 0 ? flags & ~rf.TF : flags);
  const vdso = t.vsyscall ? { vdsoCall: { rbp: t.vsyscall.rbp } } : {};
  if (atUserBoundary(m) && m.k.current === MODEL_PID) {
    const c = m.cpu;
    const regs = [...USER_REGS.map((r) => c.regs[r]), c.regs.rip, shown(c.rflags), BigInt(c.cs.sel), BigInt(c.ss.sel)].map(u64);
    return { ...common, state: 'boundary', regs, extra: { gs_base: c.gsBase }, ...vdso };
  }
  if (t.mode === 'stopped') {
    const p = t.regs;
    const regs = [...USER_REGS.map((r) => p[r]), p.rip, shown(p.rflags), p.cs, p.ss].map(u64);
    return { ...common, state: 'stopped', ...(t.ptrace.stop ? { stop: t.ptrace.stop } : {}), regs, extra: { orig_rax: u64(p.orig_rax) }, ...vdso };
  }
  return { ...common, state: 'halted', note: `task 1 is ${t.mode}, not in user mode, stopped or dead` };
}
