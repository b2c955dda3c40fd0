/**
 * Interrupt and exception delivery in IA-32e mode. Source: reference/x86-semantics.md section
 * 4.6 (SDM INT n Operation, IA-32e paths; QEMU do_interrupt64), 5.2 (CR2), 5.3 (RF in the
 * image), 5.5 (NMI blocking).
 */
import { isCanonical } from './canonical.ts';
import { cpl, type CpuState } from './cpu.ts';
import { ERROR_CODE_VECTORS, KERNEL_CS, VEC } from './defaults.ts';
import { IsaInputError, isaErrors } from './errors.ts';
import { writeQs, type Memory } from './memory.ts';
import { fixRflags, IF, NT, RF, TF, VM } from './rflags.ts';
import { flatCode, nullSegment } from './segments.ts';
import type { Fault } from './result.ts';
import { small, wrap64 } from './u64.ts';
import { copyCpu, cpuAt } from './copy.ts';

/**
 * One event to deliver. `kind` decides the RF bit in the pushed image and whether the gate's DPL
 * is checked: faults push RF = 1; `software` (INT n, INT3, INTO) is checked against CPL; `int1`
 * (ICEBP, F1) is a software event that is not: "INT1 ... does not check the DPL of the gate"
 * (SDM Vol. 2 INT n/INTO/INT3/INT1, Description), and like INT n it pushes RF = 0.
 */
export interface Delivery {
  readonly vector: number;
  readonly kind: 'fault' | 'trap' | 'abort' | 'interrupt' | 'nmi' | 'software' | 'int1';
  /** RIP to push: the faulting instruction for faults, the next instruction otherwise. */
  readonly rip: bigint;
  readonly error?: number;
  /** #PF: the fault address, written to CR2 before the handler's first instruction. */
  readonly cr2?: bigint;
}

/** Where the frame went: the new RSP (lowest pushed qword) and the stack top it was aligned from. */
export interface FrameInfo {
  readonly rsp: bigint;
  readonly top: bigint;
  readonly ist: number;
  readonly privilegeChange: boolean;
}

/** The qwords a delivery pushed: `values[0]` at `at` (the new RSP), upward. */
export interface Pushed {
  readonly at: bigint;
  readonly values: readonly bigint[];
}

/**
 * Result of a delivery attempt. `mem` is the memory after the pushes, computed when read: a
 * machine that owns its memory applies `pushed` in place instead of copying it.
 */
export type DeliveryResult =
  | {
    readonly ok: true; readonly cpu: CpuState; readonly mem: Memory; readonly pushed: Pushed; readonly frame: FrameInfo;
    /** The memory before the pushes. */
    readonly before: Memory;
  }
  | { readonly ok: false; readonly cpu: CpuState; readonly fault: Fault };

/**
 * A successful result whose memory is `before` with `pushed` written, on demand. A class, so the
 * getter lives on the prototype: an object literal with a getter costs ~0.5 us to make on Node 20.
 */
class PushedResult {
  readonly ok: true;
  readonly cpu: CpuState;
  readonly pushed: Pushed;
  readonly frame: FrameInfo;
  readonly before: Memory;
  constructor(cpu: CpuState, before: Memory, pushed: Pushed, frame: FrameInfo) {
    this.ok = true;
    this.cpu = cpu;
    this.pushed = pushed;
    this.frame = frame;
    this.before = before;
  }

  get mem(): Memory { return writeQs(this.before, this.pushed.at, this.pushed.values); }
}

function pushedResult(cpu: CpuState, before: Memory, pushed: Pushed, frame: FrameInfo): Extract<DeliveryResult, { ok: true }> {
  return new PushedResult(cpu, before, pushed, frame);
}

/** The same delivery outcome with another CPU state (the memory stays lazy). */
export function withCpu(r: Extract<EventOutcome, { ok: true }>, cpu: CpuState): Extract<EventOutcome, { ok: true }> {
  return Object.assign(pushedResult(cpu, r.before, r.pushed, r.frame), { delivered: r.delivered });
}

/** A fault delivery's `Delivery`, with the error code and CR2 it carries. */
export function faultDelivery(f: Fault, rip: bigint): Delivery {
  // Added one by one, not spread: the same keys in the same order, without the runtime calls.
  const d: { vector: number; kind: 'fault'; rip: bigint; error?: number; cr2?: bigint } = { vector: f.vector, kind: 'fault', rip };
  if (f.error !== undefined) d.error = f.error;
  if (f.cr2 !== undefined) d.cr2 = f.cr2;
  return d;
}

/**
 * Whether delivering `d` pushes an error code: exceptions on vectors 8, 10-14 and 17, never
 * INT n, external interrupts or NMIs (reference 4.6, QEMU exception_has_error_code). The CPU
 * pushes it whether or not the caller gave `d.error` (0 then): the frame layout must not depend
 * on an optional field.
 */
export function pushesErrorCode(d: Delivery): boolean {
  return ERROR_CODE_VECTORS.has(d.vector) && d.kind !== 'software' && d.kind !== 'interrupt' && d.kind !== 'nmi';
}

/** `d` with `error` present exactly when an error code was pushed (0 if it was missing). */
function asPushed(d: Delivery): Delivery {
  // With the error code already there, `{ ...d, error: d.error }` would be an equal copy.
  if (pushesErrorCode(d)) return d.error !== undefined ? d : { ...d, error: 0 };
  if (d.error === undefined) return d;
  const { error: _dropped, ...rest } = d;
  return rest;
}

/**
 * Delivers one event through the IDT. On success the handler's first instruction is next. A
 * problem found during delivery (no gate, DPL check of a software interrupt, non-canonical new
 * stack) is returned as a fault for {@link deliverEvent} to escalate.
 *
 * - Privilege change (from CPL 3): RSP <- IST stack if the gate has one, else TSS.RSP0;
 *   SS <- NULL with RPL 0. Same privilege: the IST stack still replaces RSP ("IST switches even at
 *   CPL 0"), otherwise the current RSP is kept.
 * - RSP is aligned down to 16 bytes, then SS, RSP, RFLAGS, CS, RIP and the error code are pushed.
 * - Interrupt gates clear IF, trap gates do not; TF, NT, RF and VM are always cleared.
 * - NMI delivery blocks NMIs until the next IRET.
 */
export function deliver(cpu: CpuState, mem: Memory, d: Delivery): DeliveryResult {
  if (!Number.isInteger(d.vector) || d.vector < 0 || d.vector > 255) throw new IsaInputError(isaErrors.badVector(d.vector));
  // #PF records its address in CR2 as the fault is recognised, before delivery (reference 5.2).
  const start = d.cr2 !== undefined && d.vector === VEC.PF ? withCr2(cpu, d.cr2) : cpu;
  const ext = d.kind === 'software' ? 0 : 1;
  const gate = start.idt[d.vector];
  if (gate === undefined || !gate.present) {
    return { ok: false, cpu: start, fault: { vector: gate ? VEC.NP : VEC.GP, error: (d.vector << 3) | 2 | ext } };
  }
  const from = cpl(start);
  if (d.kind === 'software' && gate.dpl < from) {
    return { ok: false, cpu: start, fault: { vector: VEC.GP, error: (d.vector << 3) | 2 } };
  }
  const privilegeChange = from > 0;
  const rawTop = gate.ist > 0 ? (start.tss.ist[gate.ist] ?? 0n) : privilegeChange ? start.tss.rsp0 : start.regs.rsp;
  if (!isCanonical(rawTop, start.paging)) return { ok: false, cpu: start, fault: { vector: VEC.SS, error: ext } };
  const top = rawTop & ~0xfn;
  // RF in the pushed image (reference 5.3, SDM RF rules): 1 for faults; 0 for INT n / INT3,
  // "since it was cleared when the INT n instruction started execution" (an RF = 1 left by IRET
  // must not be pushed); otherwise the current RF.
  const image = d.kind === 'fault' ? start.rflags | RF : d.kind === 'software' || d.kind === 'int1' ? start.rflags & ~RF : start.rflags;
  const pushed = [small(start.ss.sel), start.regs.rsp, image, small(start.cs.sel), d.rip];
  if (pushesErrorCode(d)) pushed.push(small(d.error ?? 0));
  // 64-bit stack arithmetic is modulo 2^64 (RSP is a 64-bit register): a frame pushed below a
  // small RSP (a user RSP still live at CPL 0 after SYSCALL) wraps, it never goes negative.
  const rsp = wrap64(top - (pushed.length === 6 ? 48n : 40n));
  // The pushes are supervisor writes: onto a page mapped read-only (espfix64's alias) they take a
  // #PF (P|W), which the double-fault rules below turn into #DF when delivering a contributory
  // exception (SDM Vol. 3 6.15, Table 6-5; linux-entry-history B8: "espfix64 causes IRET
  // failures to be promoted to #DF", selftests/x86/sigreturn.c @ 5c4a1c09).
  const ro = start.writeProtected.length === 0 ? undefined : readOnlyHit(start.writeProtected, rsp, top);
  if (ro !== undefined) return { ok: false, cpu: start, fault: { vector: VEC.PF, error: 3, cr2: ro } };
  let rflags = start.rflags & ~(TF | NT | RF | VM);
  if (gate.type === 'interrupt') rflags &= ~IF;
  const next = cpuAt(start, gate.handler, rsp);
  next.rflags = fixRflags(rflags);
  next.cs = flatCode(KERNEL_CS, 0, true);
  next.ss = privilegeChange ? nullSegment(0) : start.ss;
  next.nmiBlocked = start.nmiBlocked || d.kind === 'nmi';
  next.shadow = 'none';
  next.pendingDb = d.vector === VEC.DB ? null : start.pendingDb;
  return pushedResult(next, mem, { at: rsp, values: pushed.reverse() }, { rsp, top, ist: gate.ist, privilegeChange });
}

/** `cpu` with CR2 set (a #PF records its address as it is recognised). */
function withCr2(cpu: CpuState, cr2: bigint): CpuState {
  const n = copyCpu(cpu);
  n.cr2 = cr2;
  return n;
}

/** The lowest address of [from, to) inside a write-protected range, if any. */
function readOnlyHit(ranges: CpuState['writeProtected'], from: bigint, to: bigint): bigint | undefined {
  for (const [lo, hi] of ranges) if (from < hi && to > lo) return from > lo ? from : lo;
  return undefined;
}

/** Outcome of {@link deliverEvent}: the events actually delivered, or a shutdown (triple fault). */
export type EventOutcome =
  | (Extract<DeliveryResult, { ok: true }> & { readonly delivered: Delivery })
  | { readonly ok: false; readonly cpu: CpuState; readonly shutdown: true };

/** Contributory exceptions (SDM Vol. 3 Table 6-4): #DE, #TS, #NP, #SS, #GP. */
const CONTRIBUTORY: ReadonlySet<number> = new Set([0, 10, 11, 12, 13]);

/**
 * Delivers an event, escalating a fault raised during its delivery as the SDM's double-fault
 * rules say (Vol. 3 Tables 6-4/6-5, simplified to the vectors the model raises): a fault while
 * delivering a contributory exception or #PF becomes #DF; a fault while delivering #DF shuts the
 * processor down; a fault while delivering anything else is delivered in its place.
 */
export function deliverEvent(cpu: CpuState, mem: Memory, d: Delivery): EventOutcome {
  let current = d;
  let state = cpu;
  for (let depth = 0; depth < 4; depth++) {
    const r = deliver(state, mem, current);
    // `delivered.error` is defined iff an error code sits on the stack, so callers can find the frame.
    if (r.ok) return Object.assign(r, { delivered: asPushed(current) });
    if (current.vector === VEC.DF) return { ok: false, cpu: r.cpu, shutdown: true };
    const first = current.kind === 'fault' && (CONTRIBUTORY.has(current.vector) || current.vector === VEC.PF);
    const second = CONTRIBUTORY.has(r.fault.vector) || r.fault.vector === VEC.PF;
    state = r.cpu;
    current = first && second
      ? { vector: VEC.DF, kind: 'abort', rip: current.rip, error: 0 }
      : faultDelivery(r.fault, current.kind === 'software' ? state.regs.rip : current.rip);
  }
  return { ok: false, cpu: state, shutdown: true };
}
