/**
 * Shared fixtures for the kernel-path tests: run a trace on a named design and look at the
 * kernel micro-steps it executed, the states around each, and the observations. No assertions.
 */
import type { Paging, Vendor } from '../../src/isa/index.ts';
import { kernelOf } from '../../src/check/session.ts';
import { findDesign, initialState, type Design, type InitialOverrides } from '../../src/kernel/index.ts';
import {
  isInternal, replay, type Event, type MachineState, type MicroStep, type Observation, type ReplayResult, type Task, type TraceEvent,
} from '../../src/model/index.ts';

/** A built-in design by name (throws for a typo in a test). */
export function design(name: string): Design {
  const d = findDesign(name);
  if (d === undefined) throw new Error(`no design ${name}`);
  return d;
}

/** One kernel micro-step as executed. */
export interface Micro {
  /** Index of the trace event during which it ran (events.length for the final drain). */
  readonly event: number;
  readonly rip: bigint;
  /** "entry_SYSCALL_64+3 (push ...)" */
  readonly where: string;
  readonly step: MicroStep;
  readonly before: MachineState;
  readonly after: MachineState;
}

/** Everything a test looks at. */
export interface Run {
  readonly r: ReplayResult;
  readonly final: MachineState;
  readonly micro: readonly Micro[];
  /** Observations, without the kernel-internal pt-read ones. */
  readonly obs: readonly Observation[];
  /** Observations with the index of the event they belong to. */
  readonly tagged: ReadonlyArray<{ at: number; o: Observation }>;
}

/** Options of {@link run}. */
export interface RunOpts {
  readonly vendor?: Vendor;
  readonly paging?: Paging;
  readonly initial?: InitialOverrides;
}

/** Replays `events` on design `name` (default linux-6.7, Intel, 4-level), recording micro-steps. */
export function run(name: string | Design, events: readonly (Event | TraceEvent)[], o: RunOpts = {}): Run {
  const d = typeof name === 'string' ? design(name) : name;
  const K = kernelOf(d);
  const r = replay(initialState(K, o.vendor ?? 'intel', o.paging ?? 4, o.initial ?? {}), events as TraceEvent[], K, { micro: true });
  const micro: Micro[] = (r.micro ?? []).map((m) => ({ ...m, where: K.describe(m.rip) }));
  const tagged = r.observations.filter((t) => !isInternal(t.o));
  return { r, final: r.final, micro, obs: tagged.map((t) => t.o), tagged };
}

/** Observations of one kind. */
export function only<K extends Observation['kind']>(run: Run, kind: K): Array<Observation & { kind: K }> {
  return run.obs.filter((o): o is Observation & { kind: K } => o.kind === kind);
}

/** Kernel failures (should be empty for a correct design). */
export const failures = (run: Run): string[] => only(run, 'kernel-failure').map((o) => `${o.what}: ${o.detail}`);

/** Returns to user mode of task `task`. */
export const returns = (run: Run, task = 1) => only(run, 'return-to-user').filter((o) => o.task === task);

/** Signals delivered to task `task`. */
export const signals = (run: Run, task = 1) => only(run, 'signal').filter((o) => o.task === task);

/** Names of the micro-steps of program `path`, in execution order. */
export function stepsOf(run: Run, path: string): string[] {
  return run.micro.filter((m) => m.step.path === path).map((m) => m.step.name);
}

/** Index of the first micro-step whose name contains `text` (in program `path` if given); -1 if none. */
export function firstStep(run: Run, text: string, path?: string): number {
  return run.micro.findIndex((m) => m.step.name.includes(text) && (path === undefined || m.step.path === path));
}

/** The micro-step at index `i` (throws if there is none). */
export function at(run: Run, i: number): Micro {
  const m = run.micro[i];
  if (m === undefined) throw new Error(`no micro-step ${i} (have ${run.micro.length})`);
  return m;
}

/** Task `id` of a state. */
export const task = (m: MachineState, id: number): Task => m.k.tasks[id] as Task;

/** Common events. */
export const ev = {
  syscall: (nr: Extract<Event, { type: 'user.syscall' }>['nr'], args?: bigint[], frame?: Extract<Event, { type: 'user.syscall' }>['frame']): Event =>
    ({ type: 'user.syscall', nr, ...(args ? { args } : {}), ...(frame ? { frame } : {}) }),
  int80: (nr: Extract<Event, { type: 'user.int80' }>['nr'], args?: bigint[]): Event => ({ type: 'user.int80', nr, ...(args ? { args } : {}) }),
  nop: { type: 'user.nop' } as Event,
  setReg: (reg: Extract<Event, { type: 'user.setReg' }>['reg'], value: bigint): Event => ({ type: 'user.setReg', reg, value }),
  access: (addr: bigint, write = false): Event => ({ type: 'user.access', addr, write }),
  jump: (target: bigint): Event => ({ type: 'user.jump', target }),
  popf: (flags: bigint): Event => ({ type: 'user.popf', flags }),
  nmi: (after: number): Event => ({ type: 'hw.nmi', after }),
  irq: (after: number, vector?: number): Event => ({ type: 'hw.irq', after, ...(vector !== undefined ? { vector } : {}) }),
};

/** The 64-bit getpid number (syscall_64.tbl). */
export const NR_GETPID = 39n;
