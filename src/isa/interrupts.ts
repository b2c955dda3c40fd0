/**
 * Software interrupts, MOV SS, and what the CPU takes at an instruction boundary. Sources:
 * reference/x86-semantics.md sections 4.6 (INT n), 5.4 (MOV SS / POP SS shadow, deferred #DB),
 * 5.5 (NMI blocking), SDM Vol. 3 section 6.9 (priority: traps, then NMI, then INTR).
 */
import { assertSelector, fromDescriptor, isNullSel, lookupDescriptor, rpl } from './segments.ts';
import { isCanonical } from './canonical.ts';
import { cpl, is64, type CpuState } from './cpu.ts';
import { VEC } from './defaults.ts';
import { IsaInputError, isaErrors } from './errors.ts';
import type { Memory } from './memory.ts';
import { dropHeldStep, fault, ok, retire, retireOwned, type ExecResult, type Fault } from './result.ts';
import { deliverEvent, withCpu, type EventOutcome } from './deliver.ts';
import { flagBits, IF_BIT } from './rflags.ts';
import { wrap64 } from './u64.ts';
import { copyCpu } from './copy.ts';

/** INT3 is CC (1 byte); INT n is CD ib (2 bytes). */
export const insnLenOfInt = (vector: number): bigint => (vector === VEC.BP ? 1n : 2n);

/**
 * INT n / INT3 / INT 0x80 as an instruction: a software interrupt delivered through the gate,
 * which must have DPL >= CPL or the result is #GP((vector << 3) | 2) at the INT instruction.
 * The pushed RIP is the next instruction. Delivery clears TF, so no single-step trap follows;
 * a #DB held by a MOV SS shadow is released once the INT has completed (reference 5.4), so it
 * arrives at the handler's first instruction.
 */
export function softInt(cpu0: CpuState, mem: Memory, vector: number, len: bigint = insnLenOfInt(vector)): EventOutcome {
  const cpu = dropHeldStep(cpu0);
  if (!Number.isInteger(vector) || vector < 0 || vector > 255) throw new IsaInputError(isaErrors.badVector(vector));
  const r = deliverEvent(cpu, mem, { vector, kind: 'software', rip: wrap64(cpu.regs.rip + len) });
  if (!r.ok) return r;
  if (r.delivered.kind === 'fault') {
    // The INT faulted (gate DPL): the held #DB is dropped like for any faulting instruction.
    const n = copyCpu(r.cpu);
    n.pendingDb = cpu.pendingDb?.held ? null : r.cpu.pendingDb;
    return withCpu(r, n);
  }
  return withCpu(r, retire(cpu, r.cpu, { trap: false }));
}

/**
 * MOV SS / POP SS loading `sel` (64-bit mode: a NULL SS is allowed only below CPL 3). Opens the
 * MOV SS shadow: interrupts, NMIs and debug exceptions are inhibited until the boundary after the
 * next instruction. If the source operand is watched by a data breakpoint, the #DB is held, not
 * delivered: it arrives after the next instruction, or is dropped if that instruction faults.
 */
export function movSs(cpu: CpuState, mem: Memory, sel: number, watched: boolean): ExecResult {
  assertSelector(sel);
  const level = cpl(cpu);
  if (isNullSel(sel)) {
    if (level === 3 || !is64(cpu)) return fault(cpu, mem, { vector: VEC.GP, error: 0 });
  }
  const desc = isNullSel(sel) ? undefined : lookupDescriptor(cpu.tables, sel);
  if (!isNullSel(sel)) {
    if (desc === undefined || desc.type !== 'data' || desc.writable === false || rpl(sel) !== level || desc.dpl !== level) {
      return fault(cpu, mem, { vector: VEC.GP, error: sel & 0xfffc });
    }
    if (!desc.present) return fault(cpu, mem, { vector: VEC.SS, error: sel & 0xfffc });
  }
  const ss = desc ? fromDescriptor(sel, desc) : { ...cpu.ss, sel, usable: false };
  // Of back-to-back SS loads "only the first is guaranteed to inhibit or suppress events" (SDM
  // Vol. 3 6.8.3): a MOV SS inside a shadow opens none (result.ts), so its data breakpoint is not
  // held either; it is taken at the next boundary, ahead of an NMI (reference 5.4).
  const pendingDb = watched && cpu.watch !== null ? { cause: 'watchpoint' as const, held: cpu.shadow === 'none' } : cpu.pendingDb;
  const next = copyCpu(cpu);
  next.ss = ss;
  next.pendingDb = pendingDb;
  return ok(retireOwned(cpu, next, { opensShadow: 'movss' }), mem);
}

/** What the CPU will take at this boundary, highest priority first, or null. */
export type BoundaryEvent = 'mce' | 'db' | 'nmi' | 'irq' | null;

/**
 * Event priority at an instruction boundary (SDM Vol. 3 6.9, Table 6-2: machine checks are
 * priority 2, above traps): a machine check (not maskable, not held by IF or a shadow), then a
 * trap-class #DB (unless held or in a MOV SS shadow), then an NMI (unless blocked or in a MOV SS
 * shadow: blocking by MOV SS covers NMIs, reference 5.4 [unconfirmed]), then a maskable
 * interrupt (IF = 1 and no shadow).
 */
export function boundaryEvent(cpu: CpuState, nmiPending: boolean, irqPending: boolean, mcePending = false): BoundaryEvent {
  if (mcePending) return 'mce';
  if (cpu.pendingDb !== null && !cpu.pendingDb.held && cpu.shadow !== 'movss') return 'db';
  if (nmiPending && !cpu.nmiBlocked && cpu.shadow !== 'movss') return 'nmi';
  if (irqPending && (flagBits(cpu.rflags) & IF_BIT) !== 0 && cpu.shadow === 'none') return 'irq';
  return null;
}

/**
 * The fault an instruction fetch at RIP raises before anything executes: #GP(0) for a
 * non-canonical RIP in 64-bit mode (how AMD's SYSRET to a non-canonical RCX ends up faulting in
 * user mode, reference 6) or a RIP beyond the 4 GiB code segment limit in compatibility mode.
 */
export function fetchFault(cpu: CpuState): Fault | null {
  const rip = cpu.regs.rip;
  if (is64(cpu) ? !isCanonical(rip, cpu.paging) : rip > 0xffff_ffffn) return { vector: VEC.GP, error: 0 };
  return null;
}
