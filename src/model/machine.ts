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
import { copyCpu, copyRegs, freshPage, offsetOfLast, pageNumberOf, writeInPage, type CpuState, type MemChunk, type Memory, type Regs } from '../isa/index.ts';
import { copyAct, copyHw, copyKernel, copyPercpu, copyPt, copyState, copyTask } from './copy.ts';
import type { MicroStep } from './kernel-api.ts';
import { newRecording, type Recording } from './recording.ts';
import type { Observation } from './observations.ts';
import type { Activation, HwState, KernelState, MachineState, Notes, PageKind, PerCpu, PtRegs, Task } from './state.ts';
import { isTouched, pageKind, pageNumber, setPages, touchWindow } from './user-memory.ts';

/** A mutable view of an immutable state type (one level). */
export type Mut<T> = { -readonly [K in keyof T]: T[K] };

let freezeSnapshots = false;
/** Deep-freeze every snapshot (tests): writing shared state then throws instead of corrupting it. */
export function setFreezeSnapshots(on: boolean): void {
  freezeSnapshots = on;
}

/** Empties ownership slots without giving back their storage. */
function forget(slots: Array<object | undefined>): void {
  for (let i = 0; i < slots.length; i++) slots[i] = undefined;
}

/** The working machine. */
export class Machine implements MachineState {
  private s: Mut<MachineState>;
  /**
   * What this machine owns (may write in place) since the last snapshot: the hot objects in
   * identity slots (a pointer compare), the rest in a set.
   */
  private oCpu: object | null = null;
  private oRegs: object | null = null;
  private oK: object | null = null;
  private oTasks: object | null = null;
  private oHw: object | null = null;
  private oPercpu: object | null = null;
  private readonly oTask: Array<object | undefined> = [];
  private readonly oPt: Array<object | undefined> = [];
  private readonly oActs: Array<object | undefined> = [];
  private readonly owned = new Set<object>();
  private last: MachineState | null;
  /** Observations emitted since the last `takeObservations()`. */
  out: Observation[] = [];
  /** The last micro-step run: its fall-through successor is the likely next one. */
  lastStep: MicroStep | undefined = undefined;

  constructor(start: MachineState, readonly rec: Recording = newRecording({ forks: false })) {
    this.s = copyState(start);
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
    this.s = copyState(snap);
    this.oCpu = this.oRegs = this.oK = this.oTasks = this.oHw = this.oPercpu = null;
    // Slots emptied in place and the set cleared only when used: with a probe that needs the
    // state before each step this runs at every micro-step (Set.clear allocates a new table).
    forget(this.oTask);
    forget(this.oPt);
    forget(this.oActs);
    if (this.owned.size !== 0) this.owned.clear();
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

  /** A cold child object, owned through the set (copied on first write). */
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
    if (this.oCpu === c) return c as Mut<CpuState>;
    const n = copyCpu(c);
    this.oCpu = n;
    this.s.cpu = n;
    return n;
  }

  /** The registers, writable. */
  regsW(): Mut<Regs> {
    const c = this.cpuW();
    const r = c.regs;
    if (this.oRegs === r) return r as Mut<Regs>;
    const n = copyRegs(r);
    this.oRegs = n;
    c.regs = n;
    return n;
  }

  /** Replaces the CPU with an instruction's result (a fresh object, or the current one). */
  setCpu(c: CpuState): void {
    if (c === this.s.cpu) return;
    this.s.cpu = c;
    this.oCpu = c;
  }

  /** Replaces the CPU-visible memory with an instruction's result (a fresh map, or the current one). */
  setMem(mem: Memory): void {
    if (mem === this.s.mem) return;
    this.s.mem = mem;
    this.owned.add(mem);
  }

  /** A page part, writable (a copy unless owned); one closure per machine, not one per write. */
  private readonly ownPart = <T extends object>(part: T | undefined, fresh: () => T): T => {
    if (part !== undefined && this.owned.has(part)) return part;
    const c = (part === undefined ? fresh() : part instanceof Map ? new Map(part) : (part as unknown as unknown[]).slice()) as T;
    this.owned.add(c);
    return c;
  };

  /** Writes consecutive qwords from `addr` upward (kernel stores to its stacks, deliveries' pushes). */
  writeQs(addr: bigint, values: readonly bigint[]): void {
    const pages = this.ownChild<Map<number, Array<MemChunk | ReadonlyMap<number, bigint> | undefined>>>(this.s as unknown as Record<string, unknown>, 'mem');
    const own = this.ownPart;
    // Consecutive qwords: page and offset advance as numbers (page numbers are contiguous).
    let page = pageNumberOf(addr);
    let off = offsetOfLast();
    let p: Array<MemChunk | ReadonlyMap<number, bigint> | undefined> | undefined;
    for (let i = 0; i < values.length; i++, off += 8) {
      // The address space wraps at 2^64 (page 2^52 is page 0 again), as readQ sees it.
      if (off >= 4096) { off -= 4096; page = page + 1 === 2 ** 52 ? 0 : page + 1; p = undefined; }
      if (p === undefined) {
        p = own(pages.get(page), freshPage);
        pages.set(page, p);
      }
      writeInPage(p, off, values[i] as bigint, own);
    }
  }

  /** The kernel state, writable (its fields; the tasks array through taskW). */
  kW(): Mut<KernelState> {
    const k = this.s.k;
    if (this.oK === k) return k as Mut<KernelState>;
    const n = copyKernel(k);
    this.oK = n;
    this.s.k = n;
    return n;
  }

  hwW(): Mut<HwState> {
    const h = this.s.hw;
    if (this.oHw === h) return h as Mut<HwState>;
    const n = copyHw(h);
    this.oHw = n;
    this.s.hw = n;
    return n;
  }

  percpuW(): Mut<PerCpu> {
    const k = this.kW();
    const p = k.percpu;
    if (this.oPercpu === p) return p as Mut<PerCpu>;
    const n = copyPercpu(p);
    this.oPercpu = n;
    k.percpu = n;
    return n;
  }

  /** Maps the page holding `addr` as `kind` (demand paging fills a page in as data). */
  setPage(addr: bigint, kind: PageKind | 'unmapped'): void {
    const regions = this.ownChild<Map<number, number[]>>(this.kW() as unknown as Record<string, unknown>, 'pages');
    const page = pageNumber(addr);
    setPages(regions, page, page, kind, (r) => {
      if (r !== undefined && this.owned.has(r)) return r as number[];
      const c = r === undefined ? new Array<number>(256).fill(0) : r.slice();
      this.owned.add(c);
      return c;
    });
  }

  /**
   * A read or fetch at `addr` succeeded: a read-only file page there (and its fault-around
   * window) is now present (KernelState.touched).
   */
  touch(addr: bigint): void {
    const kind = pageKind(this.k.pages, addr);
    if ((kind !== 'code' && kind !== 'readonly') || isTouched(this.k, addr)) return;
    const was = this.k.touched ?? [];
    this.kW().touched = [...was, touchWindow(addr)];
  }

  /** Task `id`, writable. */
  taskW(id: number): Mut<Task> {
    const k = this.kW();
    let tasks = k.tasks as Task[];
    if (this.oTasks !== tasks) {
      tasks = tasks.slice();
      this.oTasks = tasks;
      k.tasks = tasks;
    }
    const t = tasks[id] as Task;
    if (this.oTask[id] === t) return t as Mut<Task>;
    const n = copyTask(t);
    this.oTask[id] = n;
    tasks[id] = n;
    return n;
  }

  /** Task `id`'s pt_regs, writable (the caller marks the fields written). */
  ptW(id: number): Mut<PtRegs> {
    const t = this.taskW(id);
    const r = t.regs;
    if (this.oPt[id] === r) return r as Mut<PtRegs>;
    const n = copyPt(r);
    this.oPt[id] = n;
    t.regs = n;
    return n;
  }

  /** Task `id`'s activations, writable (the array; activations themselves stay values). */
  actsW(id: number): Activation[] {
    const t = this.taskW(id);
    const a = t.acts as Activation[];
    if (this.oActs[id] === a) return a;
    const n = a.slice();
    this.oActs[id] = n;
    t.acts = n;
    return n;
  }

  /** The notes of task `id`'s innermost activation, writable (undefined without one). */
  notesW(id: number): Mut<Notes> | undefined {
    const acts = this.actsW(id);
    if (acts.length === 0) return undefined;
    const i = acts.length - 1;
    let top = acts[i] as Activation;
    if (!this.owned.has(top)) {
      top = copyAct(top);
      this.owned.add(top);
      acts[i] = top;
    }
    return this.ownChild(top as unknown as Record<string, unknown>, 'notes');
  }

  /** Task `id`'s kernel call stack (return addresses), writable. */
  callsW(id: number): bigint[] {
    return this.ownChild(this.taskW(id) as unknown as Record<string, unknown>, 'calls');
  }
}
