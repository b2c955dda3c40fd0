/**
 * The working state of a run: a machine that kernel code and user instructions change in place,
 * over immutable snapshots. It is copy-on-write: an object is copied the first time it is written
 * after a snapshot and written in place from then on, so a micro-step costs the fields it touches,
 * not a copy of the path from the root, and `snapshot()` is O(1) (Clojure's transients, immer's
 * drafts without proxies: the hot path cannot afford a proxy per register read).
 *
 * Reads look like a MachineState (`w.cpu.regs.rax`, `w.k.tasks[id]`); writes go through the
 * `...W()` accessors, which return the owned, mutable object. Nothing outside src/model and
 * src/kernel writes state, and they write only through these accessors.
 */
import { freeze } from 'immer';
import type { CpuState, Memory, Regs } from '../isa/index.ts';
import type { MicroStep } from './kernel-api.ts';
import type { Observation, ReturnVia } from './observations.ts';
import type { Activation, HwState, KernelState, MachineState, Notes, PerCpu, PtRegs, Task } from './state.ts';

/** A mutable view of an immutable state type (one level). */
export type Mut<T> = { -readonly [K in keyof T]: T[K] };

/** A state predicate evaluated after every kernel micro-step (a micro-granularity invariant). */
export interface Probe {
  /** Whether the check needs the state before the step too (costs a snapshot per step). */
  readonly before: boolean;
  readonly check: (after: MachineState, step: MicroStep, before: MachineState | null, event: number) => true | string;
}

/** One kernel micro-step as recorded when a run asks for micro-transitions. */
export interface MicroRecord {
  /** Index of the trace event during whose kernel run it ran (events.length: the final drain). */
  readonly event: number;
  readonly rip: bigint;
  readonly step: MicroStep;
  readonly before: MachineState;
  readonly after: MachineState;
}

/** A SYSRET/SYSRETL/SYSEXIT exit about to start: where the IRET alternative forks off. */
export interface ForkPoint {
  readonly event: number;
  readonly via: ReturnVia;
  /** The state before the first step of the fast exit. */
  readonly state: MachineState;
  /** Number of the run's observations before the fork. */
  readonly obsIndex: number;
  /** Clock when the fast exit reached user mode (-1 until it does). */
  returnClock: number;
}

/** The first failure of each probe. */
export interface ProbeFailure {
  readonly probe: number;
  readonly event: number;
  readonly rip: bigint;
  readonly step: MicroStep;
  readonly message: string;
}

/** What a run asked to be recorded besides boundary states and observations. */
export interface Recording {
  /** Event index in progress. */
  event: number;
  microSteps: number;
  /** Observations emitted before the event in progress (for fork points). */
  obsBase: number;
  readonly micro: MicroRecord[] | null;
  readonly forks: ForkPoint[] | null;
  readonly probes: readonly Probe[];
  readonly probeFailures: ProbeFailure[];
  readonly probeFailed: boolean[];
  /** Fork whose fast exit has not reached user mode yet. */
  openFork: ForkPoint | null;
  /** Kernel entries started ("syscall64", "idt:14", ...) and the deepest nesting on one task. */
  readonly entries: Record<string, number>;
  maxDepth: number;
}

/** A fresh recording. */
export function newRecording(o: { micro?: boolean; forks?: boolean; probes?: readonly Probe[] } = {}): Recording {
  return {
    event: 0, microSteps: 0, obsBase: 0, micro: o.micro ? [] : null, forks: o.forks === false ? null : [],
    probes: o.probes ?? [], probeFailures: [], probeFailed: [], openFork: null, entries: {}, maxDepth: 0,
  };
}

let freezeSnapshots = false;
/** Deep-freeze every snapshot (tests): writing shared state then throws instead of corrupting it. */
export function setFreezeSnapshots(on: boolean): void {
  freezeSnapshots = on;
}

/** The working machine. */
export class Machine implements MachineState {
  private s: Mut<MachineState>;
  private readonly owned = new Set<object>();
  private last: MachineState | null = null;
  /** Observations emitted since the last `takeObservations()`. */
  out: Observation[] = [];

  constructor(start: MachineState, readonly rec: Recording = newRecording({ forks: false })) {
    this.s = { ...start };
    this.owned.add(this.s);
    this.last = start;
  }

  get cpu(): CpuState { return this.s.cpu; }
  get mem(): Memory { return this.s.mem; }
  get k(): KernelState { return this.s.k; }
  get hw(): HwState { return this.s.hw; }
  get clock(): number { return this.s.clock; }
  set clock(v: number) { this.s.clock = v; }

  /** The current state as an immutable value; later writes copy what they touch. */
  snapshot(): MachineState {
    const snap = this.s;
    const last = this.last;
    // Nothing written since the last snapshot: the same value (a skipped event changes nothing).
    if (last !== null && last.cpu === snap.cpu && last.mem === snap.mem && last.k === snap.k && last.hw === snap.hw && last.clock === snap.clock) return last;
    this.s = { ...snap };
    this.owned.clear();
    this.owned.add(this.s);
    this.last = freezeSnapshots ? freeze(snap, true) : snap;
    return this.last;
  }

  /** Takes the observations emitted so far. */
  takeObservations(): Observation[] {
    const o = this.out;
    this.out = [];
    return o;
  }

  /** Records an observation. */
  emit(o: Observation): void {
    this.out.push(o);
  }

  /** Stops the machine with a kernel failure. */
  halt(o: Observation & { kind: 'kernel-failure' }): void {
    this.emit(o);
    this.kW().halted = o;
  }

  private ownChild<T extends object>(parent: Record<string | number, unknown>, key: string | number): T {
    const v = parent[key] as T;
    if (this.owned.has(v)) return v;
    const c = (Array.isArray(v) ? v.slice() : v instanceof Map ? new Map(v) : { ...v }) as T;
    this.owned.add(c);
    parent[key] = c;
    return c;
  }

  /** The CPU, writable. */
  cpuW(): Mut<CpuState> {
    const c = this.s.cpu;
    if (this.owned.has(c)) return c as Mut<CpuState>;
    const n = { ...c };
    this.owned.add(n);
    this.s.cpu = n;
    return n;
  }

  /** The registers, writable. */
  regsW(): Mut<Regs> {
    const c = this.cpuW();
    const r = c.regs;
    if (this.owned.has(r)) return r as Mut<Regs>;
    const n = { ...r };
    this.owned.add(n);
    c.regs = n;
    return n;
  }

  /** Replaces the CPU with an instruction's result (a fresh object, or the current one). */
  setCpu(c: CpuState): void {
    if (c === this.s.cpu) return;
    this.s.cpu = c;
    this.owned.add(c);
  }

  /** Replaces the CPU-visible memory with an instruction's result (a fresh map, or the current one). */
  setMem(mem: Memory): void {
    if (mem === this.s.mem) return;
    this.s.mem = mem;
    this.owned.add(mem);
  }

  /** Writes consecutive qwords from `addr` upward (kernel stores to its stacks). */
  writeQs(addr: bigint, values: readonly bigint[]): void {
    const m = this.ownChild<Map<bigint, bigint>>(this.s as unknown as Record<string, unknown>, 'mem');
    values.forEach((v, i) => m.set(BigInt.asUintN(64, addr + BigInt(i) * 8n), v));
  }

  kW(): Mut<KernelState> { return this.ownChild(this.s as unknown as Record<string, unknown>, 'k'); }
  hwW(): Mut<HwState> { return this.ownChild(this.s as unknown as Record<string, unknown>, 'hw'); }
  percpuW(): Mut<PerCpu> { return this.ownChild(this.kW() as unknown as Record<string, unknown>, 'percpu'); }
  /** The user page table (page number in hex -> kind), writable. */
  pagesW(): Record<string, KernelState['pages'][string]> { return this.ownChild(this.kW() as unknown as Record<string, unknown>, 'pages'); }

  /** Task `id`, writable. */
  taskW(id: number): Mut<Task> {
    const tasks = this.ownChild<Task[]>(this.kW() as unknown as Record<string, unknown>, 'tasks');
    return this.ownChild(tasks as unknown as Record<number, unknown>, id);
  }

  /** Task `id`'s pt_regs, writable (the caller marks the fields written). */
  ptW(id: number): Mut<PtRegs> {
    return this.ownChild(this.taskW(id) as unknown as Record<string, unknown>, 'regs');
  }

  /** Task `id`'s activations, writable (the array; activations themselves stay values). */
  actsW(id: number): Activation[] {
    return this.ownChild(this.taskW(id) as unknown as Record<string, unknown>, 'acts');
  }

  /** The notes of task `id`'s innermost activation, writable (undefined without one). */
  notesW(id: number): Mut<Notes> | undefined {
    const acts = this.actsW(id);
    if (acts.length === 0) return undefined;
    const top = this.ownChild<Activation>(acts as unknown as Record<number, unknown>, acts.length - 1);
    return this.ownChild(top as unknown as Record<string, unknown>, 'notes');
  }

  /** Task `id`'s kernel call stack (return addresses), writable. */
  callsW(id: number): bigint[] {
    return this.ownChild(this.taskW(id) as unknown as Record<string, unknown>, 'calls');
  }
}
