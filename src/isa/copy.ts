/**
 * Copies of the CPU and its registers, field by field in the order makeCpu creates them. On
 * Node 20 an object spread (`{ ...cpu }`) gives each spread site and source a hidden class of its
 * own, so the hot paths saw up to two dozen CPU shapes and their property reads went polymorphic;
 * a literal with every field always has the one shape (and allocates inline).
 */
import type { CpuState, Regs } from './cpu.ts';

/** A writable copy of a state type (one level). */
export type Fresh<T> = { -readonly [K in keyof T]: T[K] };

/** A fresh copy of the registers. */
export function copyRegs(r: Regs): Fresh<Regs> {
  return {
    rax: r.rax, rbx: r.rbx, rcx: r.rcx, rdx: r.rdx, rsi: r.rsi, rdi: r.rdi, rbp: r.rbp, rsp: r.rsp,
    r8: r.r8, r9: r.r9, r10: r.r10, r11: r.r11, r12: r.r12, r13: r.r13, r14: r.r14, r15: r.r15, rip: r.rip,
  };
}

/** A fresh copy of the CPU (sharing the registers and every other part). */
export function copyCpu(c: CpuState): Fresh<CpuState> {
  return {
    vendor: c.vendor, paging: c.paging, regs: c.regs, rflags: c.rflags, cs: c.cs, ss: c.ss, gsBase: c.gsBase,
    kernelGsBase: c.kernelGsBase, cr2: c.cr2, msr: c.msr, idt: c.idt, tss: c.tss, tables: c.tables, nmiBlocked: c.nmiBlocked,
    shadow: c.shadow, pendingDb: c.pendingDb, watch: c.watch, fsgsbase: c.fsgsbase, breakAt: c.breakAt, smap: c.smap,
    writeProtected: c.writeProtected,
  };
}

/** A copy of the CPU with fresh registers, RIP (and RSP if given) replaced. */
export function cpuAt(c: CpuState, rip: bigint, rsp: bigint = c.regs.rsp): Fresh<CpuState> {
  const n = copyCpu(c);
  const r = copyRegs(c.regs);
  r.rip = rip;
  r.rsp = rsp;
  n.regs = r;
  return n;
}
