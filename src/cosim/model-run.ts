/**
 * The model's side of a co-simulation: the same trace replayed event by event, with the kernel
 * drained after each event (run until user code is next, the task stops for its tracer, or
 * nothing can run), so that what an event causes on its way back to user mode (a signal on
 * syscall exit, a single-step report) belongs to that event, as it does on the real machine.
 */
import { rf, type Paging, type Vendor } from '../isa/index.ts';
import { kernelOf } from '../check/session.ts';
import { initialState, type BuiltKernel, type Design } from '../kernel/index.ts';
import {
  atUserBoundary, DEFAULT_MAX_STEPS, drain, mapRange, pageKind, SI, SIG, step, TIF, USER_REGS,
  type Event, type MachineState, type Observation, type Task,
} from '../model/index.ts';
import type { EventRecord, SideRun, SigRecord } from './types.ts';

/** The model's pid of the co-simulated process. */
export const MODEL_PID = 1;

/**
 * The initial state co-simulation uses: task 1 alone (the real harness runs one process), and
 * without the rseq registration the model's task 1 normally has (the harness registers none).
 */
export function cosimInitial(K: BuiltKernel, vendor: Vendor, paging: Paging): MachineState {
  const m = initialState(K, vendor, paging);
  const tasks = m.k.tasks.map((t) => (t.id === 2 ? { ...t, mode: 'dead' as const, acts: [], resume: null }
    : t.id === MODEL_PID ? { ...t, rseq: false } : t));
  return { ...m, k: { ...m.k, tasks, runq: [] } };
}

/** Per signal frame: rsi = frame + 0x100, rdx = frame + 0x200 (the model's layout, kernel/signals.ts). */
function frameRegs(frame: bigint): SigRecord['frame'] {
  return { rsp: frame, rsi: frame + 0x100n, rdx: frame + 0x200n };
}

function record(skipped: boolean, obs: readonly Observation[], m: MachineState): EventRecord {
  const signals: SigRecord[] = [];
  const traps: bigint[] = [];
  for (const o of obs) {
    if (o.kind === 'signal' && o.task === MODEL_PID) {
      signals.push({
        signo: o.signal, code: o.code, addr: o.siAddr, rip: o.rip, fatal: o.fatal,
        ...(o.frame !== undefined && !o.fatal ? { frame: frameRegs(o.frame) } : {}),
      });
    }
    if (o.kind === 'ptrace-stop' && o.task === MODEL_PID && o.why === 'singlestep') traps.push(o.rip);
  }
  const t = m.k.tasks[MODEL_PID] as Task;
  if (m.k.halted !== null) {
    const h = m.k.halted;
    return { skipped, state: 'halted', signals, traps, note: 'what' in h ? `${h.what}: ${h.detail}` : String(h.kind) };
  }
  if (t.mode === 'dead') return { skipped, state: 'dead', signals, traps };
  // The harness reads registers with PTRACE_GETREGS, which hides a TF that ptrace set
  // (get_flags, TIF_FORCED_TF): the model's registers are shown the same way.
  const shown = (flags: bigint): bigint => ((t.tif & TIF.FORCED_TF) !== 0 ? flags & ~rf.TF : flags);
  if (atUserBoundary(m) && m.k.current === MODEL_PID) {
    const c = m.cpu;
    const regs = [...USER_REGS.map((r) => c.regs[r]), c.regs.rip, shown(c.rflags), BigInt(c.cs.sel), BigInt(c.ss.sel)];
    return { skipped, state: 'boundary', signals, traps, regs };
  }
  if (t.mode === 'stopped') {
    const p = t.regs;
    const regs = [...USER_REGS.map((r) => p[r]), p.rip, shown(p.rflags), p.cs, p.ss];
    return { skipped, state: 'stopped', ...(t.ptrace.stop ? { stop: t.ptrace.stop } : {}), signals, traps, regs };
  }
  return { skipped, state: 'halted', signals, traps, note: `task 1 is ${t.mode}, not in user mode, stopped or dead` };
}

/** Host CPU features the model does not describe, whose effects co-simulation applies. */
export interface HostFeatures {
  /**
   * CR4.UMIP: exc_general_protection first tries fixup_umip_exception, which reads the faulting
   * user instruction (insn_fetch_from_user, up to 15 bytes): a demand page at RIP gets filled.
   */
  readonly umip?: boolean;
}

/** A user #GP (SIGSEGV, SI_KERNEL, delivered) under UMIP: the kernel read the bytes at RIP. */
function umipRead(m: MachineState, obs: readonly Observation[]): MachineState {
  let pages = m.k.pages;
  for (const o of obs) {
    if (o.kind !== 'signal' || o.task !== MODEL_PID || o.signal !== SIG.SIGSEGV || o.code !== SI.KERNEL || o.fatal) continue;
    for (const a of [o.rip, o.rip + 14n]) if (pageKind(pages, a) === 'demand') pages = mapRange(pages, a, a + 1n, 'data');
  }
  return pages === m.k.pages ? m : { ...m, k: { ...m.k, pages } };
}

/** Replays `events` on the model from the co-simulation initial state. */
export function runModel(design: Design, vendor: Vendor, paging: Paging, events: readonly Event[], host: HostFeatures = {}): SideRun {
  const K = kernelOf(design);
  const opts = { maxSteps: DEFAULT_MAX_STEPS };
  let m = cosimInitial(K, vendor, paging);
  const records = events.map((e) => {
    const r = step(m, e, K, opts);
    const d = drain(r.state, K, opts);
    const obs = [...r.observations, ...d.observations];
    m = host.umip ? umipRead(d.state, obs) : d.state;
    return record(r.skipped, obs, m);
  });
  return { status: 'ok', detail: '', pid: MODEL_PID, records };
}
