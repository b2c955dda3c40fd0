/**
 * What executing one instruction produces, and the bookkeeping every instruction shares at its
 * end: the interrupt shadow, the pending single-step trap and RF.
 */
import type { CpuState, PendingDb, Shadow } from './cpu.ts';
import type { Memory } from './memory.ts';
import { flagBits, RF, RF_BIT, TF_BIT } from './rflags.ts';
import { copyCpu, type Fresh } from './copy.ts';

/** An exception raised by an instruction, before it changed any state (except where noted). */
export interface Fault {
  readonly vector: number;
  readonly error?: number;
  /** For #PF: the linear address that goes to CR2. */
  readonly cr2?: bigint;
}

/**
 * The outcome of one instruction. When `fault` is set, `cpu` is the state the fault is delivered
 * from (RIP still at the faulting instruction); it differs from the input only where the SDM
 * says a faulting instruction still changes state (IRET unblocks NMIs).
 */
export interface ExecResult {
  readonly cpu: CpuState;
  readonly mem: Memory;
  readonly fault: Fault | null;
}

/** Options for {@link retire}. */
export interface RetireOptions {
  /**
   * Whether this instruction ends with a single-step trap. Default: TF was set when it began
   * (SDM Vol. 3 "Single-Step Exception Condition": no trap after the instruction that sets TF).
   */
  readonly trap?: boolean;
  /** Interrupt shadow this instruction opens (STI, MOV SS / POP SS). */
  readonly opensShadow?: Exclude<Shadow, 'none'>;
  /** IRET loads RF from its image; every other instruction leaves RF = 0. */
  readonly loadsRf?: boolean;
}

/**
 * End-of-instruction bookkeeping for an instruction that completed.
 * - RF is cleared at the start of every instruction (SDM RF management; reference 5.3), so it
 *   reads 0 afterwards unless the instruction loaded it (IRET).
 * - A #DB held by a MOV SS shadow is released after this, the next, instruction (SDM 6.8.3).
 * - A shadow lasts one boundary and a second MOV SS does not extend it (reference 5.4).
 */
const NO_OPTIONS: RetireOptions = {};

/** What the last {@link retireFields} call computed (module slots: no result object per instruction). */
let rPending: PendingDb | null = null;
let rShadow: Shadow = 'none';
let rRflags = 0n;

/** Computes the retired pendingDb, shadow and RFLAGS into the slots above; false when `after` has them already. */
function retireFields(before: CpuState, after: CpuState, opts: RetireOptions): boolean {
  const trap = opts.trap ?? (flagBits(before.rflags) & TF_BIT) !== 0;
  let pending: PendingDb | null = after.pendingDb;
  // A #DB that was already held when this instruction began is released at its end.
  if (pending?.held && before.pendingDb?.held) pending = { cause: pending.cause, held: false };
  if (trap && pending === null) pending = { cause: 'single-step', held: false };
  // A single-step trap on the instruction a held watchpoint #DB is released after: one #DB with
  // both DR6.BS and DR6.B<n> set, which reports as a single step (Linux's get_si_code tests
  // DR_STEP first: TRAP_TRACE; co-simulation on a real CPU and kernel shows it).
  else if (trap && pending !== null && !pending.held && pending.cause === 'watchpoint') pending = { cause: 'single-step', held: false };
  const shadow: Shadow = opts.opensShadow !== undefined && before.shadow === 'none' ? opts.opensShadow : 'none';
  const rflags = opts.loadsRf || (flagBits(after.rflags) & RF_BIT) === 0 ? after.rflags : after.rflags & ~RF;
  if (pending === after.pendingDb && shadow === after.shadow && rflags === after.rflags) return false;
  rPending = pending;
  rShadow = shadow;
  rRflags = rflags;
  return true;
}

export function retire(before: CpuState, after: CpuState, opts: RetireOptions = NO_OPTIONS): CpuState {
  if (!retireFields(before, after, opts)) return after;
  const n = copyCpu(after);
  n.pendingDb = rPending;
  n.shadow = rShadow;
  n.rflags = rRflags;
  return n;
}

/**
 * {@link retire} for an `after` the caller has just made and nobody else holds: the bookkeeping
 * is written into it, not into a second copy of the CPU (`before` may be `after` itself).
 */
export function retireOwned(before: CpuState, after: Fresh<CpuState>, opts: RetireOptions = NO_OPTIONS): CpuState {
  if (!retireFields(before, after, opts)) return after;
  after.pendingDb = rPending;
  after.shadow = rShadow;
  after.rflags = rRflags;
  return after;
}

/**
 * A faulting instruction: nothing it would have done happens, the shadow ends, and a #DB held by
 * a MOV SS shadow is dropped ("the next instruction faults: the pending #DB is dropped",
 * mov_ss_trap.c header, reference 5.4).
 */
export function fault(cpu: CpuState, mem: Memory, f: Fault): ExecResult {
  // The MOV SS's own single-step trap, which the shadow was holding, goes with it.
  const dropped = cpu.pendingDb?.held || cpu.shadow === 'movss' ? null : cpu.pendingDb;
  if (dropped === cpu.pendingDb && cpu.shadow === 'none') return { cpu, mem, fault: f };
  const next = copyCpu(cpu);
  next.pendingDb = dropped;
  next.shadow = 'none';
  return { cpu: next, mem, fault: f };
}

/** A completed instruction. */
export function ok(cpu: CpuState, mem: Memory): ExecResult {
  return { cpu, mem, fault: null };
}

/**
 * Entering the kernel by INT n/INT3, SYSCALL or SYSENTER right after a MOV SS: the data
 * breakpoint the shadow held is delivered at the first kernel instruction (mov_ss_trap.c), but
 * the MOV SS's own single-step trap is not: co-simulation on Intel (Linux 6.18, docs/cosim.md)
 * shows no kernel-mode single-step #DB for "MOV SS; INT3" with TF set [SDM text not found].
 */
export function dropHeldStep(cpu: CpuState): CpuState {
  if (cpu.shadow !== 'movss' || cpu.pendingDb?.cause !== 'single-step') return cpu;
  const n = copyCpu(cpu);
  n.pendingDb = null;
  return n;
}
