/**
 * Comparing what user mode can see after two ways of returning to it (SYSRET vs IRETQ).
 *
 * User-visible: every register, RFLAGS, CS (selector and attributes), SS (selector and the
 * attributes user code can observe), GS.base and a pending #DB (a trap user mode will take).
 * SS.DPL in the descriptor cache is left out on purpose: no user instruction reads it, and AMD's
 * SYSRET keeps the DPL 0 that SYSCALL loaded on every ordinary system call (reference 6: "SS
 * selector set but the cached descriptor not updated"); what breaks user code is an unusable SS
 * (sysret_ss_attrs.c), and `usable`, `type`, `l`, `db` are compared.
 */
import {
  cpl, EMPTY_MEMORY, fetchFault, iretq, REG_NAMES, sysret, USER_CS, USER_DS,
  type CpuState, type Paging, type Segment, type Vendor,
} from '../../src/isa/index.ts';
import { iretFrame, KERNEL_RIP, KERNEL_RSP, kernelCpu, USER_GS } from './helpers.ts';

/** Names of differing user-visible fields of two states, in a fixed order. */
export function diffUserState(a: CpuState, b: CpuState): string[] {
  const out: string[] = REG_NAMES.filter((r) => a.regs[r] !== b.regs[r]);
  if (a.rflags !== b.rflags) out.push('rflags');
  if (!sameVisible(a.cs, b.cs) || a.cs.dpl !== b.cs.dpl) out.push('cs');
  if (!sameVisible(a.ss, b.ss)) out.push('ss');
  if (a.gsBase !== b.gsBase) out.push('gsBase');
  if (JSON.stringify(a.pendingDb) !== JSON.stringify(b.pendingDb)) out.push('pendingDb');
  return out;
}

function sameVisible(a: Segment, b: Segment): boolean {
  return a.sel === b.sel && a.usable === b.usable && a.type === b.type && a.l === b.l && a.db === b.db;
}

/** Where a return faulted: the privilege level and stack the #GP is delivered from. */
export interface FaultSite { readonly vector: number; readonly cpl: number; readonly rsp: bigint }

/** How a return ended: in user mode ready to run, or with a fault (at CPL 0, or at the first fetch). */
export interface Outcome { readonly cpu: CpuState; readonly fault: FaultSite | null }

/** Fields naming how two fault sites differ: 'fault' if only one side faulted. */
export function faultFields(a: FaultSite | null, b: FaultSite | null): string[] {
  if (a === null && b === null) return [];
  if (a === null || b === null) return ['fault'];
  const out: string[] = [];
  if (a.vector !== b.vector) out.push('fault.vector');
  if (a.cpl !== b.cpl) out.push('fault.cpl');
  if (a.rsp !== b.rsp) out.push('fault.rsp');
  return out;
}

/** Diff of two outcomes: fault-site fields if either faulted, else the user-visible fields. */
export function diffOutcome(a: Outcome, b: Outcome): string[] {
  return a.fault || b.fault ? faultFields(a.fault, b.fault) : diffUserState(a.cpu, b.cpu);
}

/** A user register image as a kernel holds it before returning (CS 0x33, SS 0x2b implied). */
export interface Image {
  readonly rip: bigint;
  readonly rsp: bigint;
  readonly rflags: bigint;
  readonly rcx: bigint;
  readonly r11: bigint;
}

/** Where the IRET frame sits on the kernel stack. */
export const FRAME = KERNEL_RSP - 0x28n;

function kernelAt(vendor: Vendor, paging: Paging, img: Image, ssBefore: Segment, rsp: bigint): CpuState {
  const k = kernelCpu(vendor, paging, { ss: ssBefore });
  return {
    ...k, gsBase: USER_GS, kernelGsBase: k.gsBase,
    regs: { ...k.regs, rip: KERNEL_RIP, rsp, rcx: img.rcx, r11: img.r11, rax: 0x1234n, rdi: 0x5678n },
  };
}

/** Return by SYSRETQ: RSP already the user's; a fault at the first user fetch counts too. */
export function viaSysret(vendor: Vendor, paging: Paging, img: Image, ssBefore: Segment): Outcome {
  const r = sysret(kernelAt(vendor, paging, img, ssBefore, img.rsp), EMPTY_MEMORY, true);
  const f = r.fault ?? fetchFault(r.cpu);
  return { cpu: r.cpu, fault: f ? { vector: f.vector, cpl: cpl(r.cpu), rsp: r.cpu.regs.rsp } : null };
}

/** Return by IRETQ from a frame built from the same image. */
export function viaIret(vendor: Vendor, paging: Paging, img: Image, ssBefore: Segment): Outcome {
  const mem = iretFrame(FRAME, { rip: img.rip, cs: USER_CS, rflags: img.rflags, rsp: img.rsp, ss: USER_DS });
  const r = iretq(kernelAt(vendor, paging, img, ssBefore, FRAME), mem);
  return { cpu: r.cpu, fault: r.fault ? { vector: r.fault.vector, cpl: cpl(r.cpu), rsp: r.cpu.regs.rsp } : null };
}
