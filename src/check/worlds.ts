/**
 * The machines `run`'s exploration starts from. The first is the model's own initial state: task
 * 1 a 64-bit process, task 2 a 32-bit one. In it only task 1 ever takes the 64-bit SYSCALL path,
 * so per-CPU state of that path (the scratch slot of the user RSP, reference B22) cannot pass
 * from one task to another within the depth the exploration reaches: task 2 must first be
 * brought into 64-bit code. The second start makes task 2 a 64-bit process too, the common case
 * on a real machine (DESIGN.md 2.3: one task's state leaking into another's must be reachable).
 */
import type { InitialOverrides } from '../kernel/index.ts';
import type { CellRun } from './evaluate.ts';
import type { RawEvent } from './trace-file.ts';

/** One start: its initial-state overrides, and how many levels past the depth it is followed. */
export interface World {
  /** Its name on the command line (`explore --start`). */
  readonly id: string;
  /** Overrides of the initial state (none: the model's own). */
  readonly initial: InitialOverrides;
  /** Levels past the depth (explore.ts extraLevels); undefined: run's own. */
  readonly extraLevels?: number;
  /** Whether signalled traces are run for two more rounds (explore.ts loops); undefined: run's own. */
  readonly loops?: boolean;
  /** Whether the alphabet keeps its forged register frames (undefined: it does). */
  readonly frames?: boolean;
  /** Whether the first level past the depth follows an attach by the system calls (explore.ts followAttach). */
  readonly followAttach?: boolean;
  /** Letters this start adds to the alphabet. */
  readonly letters?: readonly RawEvent[];
  /** What a report says of the start, after "explore depth N". */
  readonly label: string;
}

/**
 * The second start is followed one level past the depth only (a system call of the other task
 * after an interrupt preempted a kernel path, then the switch back), without the loops, and
 * without the alphabet's forged frames: a frame tests one exit decision on the pt_regs it writes,
 * which does not depend on the other task's ABI, and the first start tries each. About 1,700
 * traces per group against the first start's 10,600 (docs/search.md section 4).
 */
export const WORLDS: readonly World[] = [
  { id: 'model', initial: {}, label: '' },
  { id: 'task2-64', initial: { task2Is64: true }, extraLevels: 1, loops: false, frames: false, label: ', task 2 64-bit' },
  {
    id: 'task1-32', initial: { task1Is32: true, task2Is64: true }, extraLevels: 4, loops: false, frames: false, followAttach: true, label: ', task 1 32-bit',
    letters: [{ type: 'user.syscall', nr: 'getpid', raw: true }, { type: 'user.sysenter', nr: 'getpid', raw: true },
      // A tracer's write of the whole 64-bit IP of the 32-bit task: the landing pad with bit 63
      // set. Its low half is the pad's (SYSRETL and SYSEXIT load only ECX/EDX, SDM Vol. 2B), but
      // it is non-canonical, so IRET to it faults on both vendors: a compat IP test of fewer
      // bits than 64 is told apart (a 32-bit sigreturn frame holds only the low half).
      { type: 'tracer.setRegs', regs: { rip: '$landing_pad+0x8000000000000000' } }],
  },
];

/** The start whose overrides `initial` are (the same keys and values), if any. */
export function worldOf(initial: InitialOverrides): World | undefined {
  const key = (o: InitialOverrides): string => JSON.stringify(Object.entries(o).filter(([, v]) => v !== undefined).sort(), (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
  return WORLDS.find((w) => Object.keys(w.initial).length > 0 && key(w.initial) === key(initial));
}

/** The overrides that choose a task's ABI, with how reports name them: briefly, and in a header. */
export const ABI_FLAGS = [
  { key: 'task1Is32', brief: 'task 1 32-bit', header: 'task 1 a 32-bit process' },
  { key: 'task2Is64', brief: 'task 2 64-bit', header: 'task 2 a 64-bit process' },
] as const;

/** The ABI overrides `initial` sets, in ABI_FLAGS order. */
export function abiFlagsOf(initial: InitialOverrides | undefined): Array<(typeof ABI_FLAGS)[number]> {
  return ABI_FLAGS.filter((f) => initial?.[f.key] === true);
}

/** What a report says of a start's overrides after a trace's length ("with task 2 64-bit"), empty for the model's own. */
export function startWords(initial: InitialOverrides | undefined): string {
  const parts = abiFlagsOf(initial).map((f) => f.brief);
  return parts.length === 0 ? '' : ` with ${parts.join(' and ')}`;
}

/** `cell` started from a trace's own overrides (a saved file's, a find's start); `cell` itself when there are none. */
export function fromStart(cell: CellRun, initial: InitialOverrides | undefined): CellRun {
  return initial ? { ...cell, initial } : cell;
}

/** A cell's initial overrides as an option object (empty when it has none): search.ts Accept's `initial`. */
export function startOf(cell: CellRun): { initial?: InitialOverrides } {
  return cell.initial ? { initial: cell.initial } : {};
}
