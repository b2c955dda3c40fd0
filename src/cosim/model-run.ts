/**
 * The model's side of a co-simulation: the same trace replayed event by event, with the kernel
 * drained after each event (run until user code is next, the task stops for its tracer, or
 * nothing can run), so that what an event causes on its way back to user mode (a signal on
 * syscall exit, a single-step report) belongs to that event, as it does on the real machine.
 *
 * This file and record.ts are the only ones that touch the model's state; the generator reads it
 * through {@link ModelCursor.state} and guide.ts.
 */
import type { Paging, Vendor } from '../isa/index.ts';
import { kernelOf } from '../check/session.ts';
import { initialState, type BuiltKernel, type Design } from '../kernel/index.ts';
import { DEFAULT_MAX_STEPS, drain, mapRange, pageKind, SI, SIG, step, type Event, type MachineState, type Observation } from '../model/index.ts';
import { MODEL_PID, recordOf } from './record.ts';
import type { EventRecord, SideRun } from './types.ts';

export { MODEL_PID } from './record.ts';

/**
 * The initial state co-simulation uses: task 1 alone (the real harness runs one process), and
 * without the rseq registration the model's task 1 normally has (the harness registers none).
 */
export function cosimInitial(K: BuiltKernel, vendor: Vendor, paging: Paging, host: HostFeatures = {}): MachineState {
  const m = initialState(K, vendor, paging);
  const tasks = m.k.tasks.map((t) => (t.id === 2 ? { ...t, mode: 'dead' as const, acts: [], resume: null }
    : t.id === MODEL_PID ? { ...t, rseq: false } : t));
  return { ...m, k: { ...m.k, tasks, runq: [], xstate: host.xstate !== undefined && host.xstate > 0n ? host.xstate : undefined } };
}

/** Host CPU features the model does not describe, whose effects co-simulation applies. */
export interface HostFeatures {
  /**
   * CR4.UMIP: exc_general_protection first tries fixup_umip_exception, which reads the faulting
   * user instruction (insn_fetch_from_user, up to 15 bytes): a demand page at RIP gets filled.
   */
  readonly umip?: boolean;
  /** The XSAVE area's size in a 64-bit signal frame, as the harness probe measured it (0: unknown). */
  readonly xstate?: bigint;
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

/** The model run one event at a time (the generator steers by the state in between). */
export class ModelCursor {
  private m: MachineState;
  private readonly K: BuiltKernel;
  private readonly opts = { maxSteps: DEFAULT_MAX_STEPS };
  readonly records: EventRecord[] = [];

  constructor(design: Design, vendor: Vendor, paging: Paging, private readonly host: HostFeatures = {}) {
    this.K = kernelOf(design);
    this.m = cosimInitial(this.K, vendor, paging, host);
  }

  /** The machine state after the events so far. */
  get state(): MachineState {
    return this.m;
  }

  /** The model's own vDSO addresses (its layout, not the host kernel's). */
  get vdso(): BuiltKernel['vdso'] {
    return this.K.vdso;
  }

  /** Applies one event and drains the kernel; returns its record. */
  apply(e: Event): EventRecord {
    const r = step(this.m, e, this.K, this.opts);
    const d = drain(r.state, this.K, this.opts);
    const obs = [...r.observations, ...d.observations];
    this.m = this.host.umip ? umipRead(d.state, obs) : d.state;
    const rec = recordOf(r.skipped, obs, this.m);
    this.records.push(rec);
    return rec;
  }

  /** The run so far. */
  run(): SideRun {
    return { status: 'ok', detail: '', pid: MODEL_PID, records: [...this.records] };
  }
}

/** Replays `events` on the model from the co-simulation initial state. */
export function runModel(design: Design, vendor: Vendor, paging: Paging, events: readonly Event[], host: HostFeatures = {}): SideRun {
  const c = new ModelCursor(design, vendor, paging, host);
  for (const e of events) c.apply(e);
  return c.run();
}
