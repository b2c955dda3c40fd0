/**
 * Copies of the state objects the working machine writes most, field by field in the order the
 * initial state creates them (kernel/initial.ts). On Node 20 an object spread gives each spread
 * site and source its own hidden class, so reads of tasks and pt_regs went polymorphic; a
 * literal with every field always has one (isa/copy.ts does the same for the CPU).
 */
import type { Mut } from './machine.ts';
import type { SavedContext, SignalState } from './signal-state.ts';
import type { Activation, HwState, KernelState, MachineState, PerCpu, PtRegs, Task } from './state.ts';

/** A fresh copy of a task (sharing its parts). */
export function copyTask(t: Task): Mut<Task> {
  return {
    id: t.id, mode: t.mode, compat: t.compat, tsCompat: t.tsCompat, tif: t.tif, regs: t.regs, written: t.written, acts: t.acts,
    calls: t.calls, resume: t.resume, sig: t.sig, ptrace: t.ptrace, sigframes: t.sigframes, watch: t.watch, breakAt: t.breakAt,
    trapInfo: t.trapInfo, ustruct: t.ustruct, usersp: t.usersp, gsBase: t.gsBase, wait: t.wait, rseq: t.rseq, vsyscall: t.vsyscall,
  };
}

/** A fresh copy of pt_regs (PT_FIELDS order). */
export function copyPt(r: PtRegs): Mut<PtRegs> {
  return {
    r15: r.r15, r14: r.r14, r13: r.r13, r12: r.r12, rbp: r.rbp, rbx: r.rbx, r11: r.r11, r10: r.r10, r9: r.r9, r8: r.r8,
    rax: r.rax, rcx: r.rcx, rdx: r.rdx, rsi: r.rsi, rdi: r.rdi, orig_rax: r.orig_rax, rip: r.rip, cs: r.cs, rflags: r.rflags,
    rsp: r.rsp, ss: r.ss,
  };
}

/** A fresh copy of the hardware environment. */
export function copyHw(h: HwState): Mut<HwState> {
  return {
    armed: h.armed, irq: h.irq, nmi: h.nmi, mce: h.mce, mcip: h.mcip, nmiDelivered: h.nmiDelivered, nmiLastDelivered: h.nmiLastDelivered,
  };
}

/** A fresh copy of the per-CPU data. */
export function copyPercpu(p: PerCpu): Mut<PerCpu> {
  return {
    rspScratch: p.rspScratch, nmiState: p.nmiState, nmiExecuting: p.nmiExecuting, nmiRepeat: p.nmiRepeat, nmiCr2: p.nmiCr2,
    preemptCount: p.preemptCount, next: p.next, nmiHandled: p.nmiHandled, nmiLastHandled: p.nmiLastHandled,
  };
}

/** A fresh copy of the machine state's root. */
export function copyState(m: MachineState): Mut<MachineState> {
  return { cpu: m.cpu, mem: m.mem, k: m.k, hw: m.hw, clock: m.clock };
}

/** A fresh copy of the kernel state (`touched`, when present, comes last: Machine.touch adds it). */
export function copyKernel(k: KernelState): Mut<KernelState> {
  if (k.touched !== undefined) return withTouched(k, k.touched);
  return {
    current: k.current, tasks: k.tasks, runq: k.runq, percpu: k.percpu, pages: k.pages, bytes: k.bytes, nextActId: k.nextActId,
    xstate: k.xstate, idle: k.idle, halted: k.halted,
  };
}

/** A kernel state that has `touched`: the same fields, and it last (or a spread if it is not last). */
function withTouched(k: KernelState, touched: readonly number[]): Mut<KernelState> {
  let last = '';
  for (const key in k) last = key;
  if (last !== 'touched') return { ...k };
  return {
    current: k.current, tasks: k.tasks, runq: k.runq, percpu: k.percpu, pages: k.pages, bytes: k.bytes, nextActId: k.nextActId,
    xstate: k.xstate, idle: k.idle, halted: k.halted, touched,
  };
}

/** A fresh copy of an activation: field by field in pushActivation's order, else (another order) a spread. */
export function copyAct(a: Activation): Mut<Activation> {
  for (const first in a) {
    if (first !== 'cause') return { ...a };
    break;
  }
  return {
    cause: a.cause, vector: a.vector, fromUser: a.fromUser, frame: a.frame, interrupted: a.interrupted, hw: a.hw, notes: a.notes,
    id: a.id,
  };
}

/** A signal frame's saved context: pt_regs, then the frame's own fields (SavedContext order). */
export function savedContext(r: PtRegs, ucFlags: bigint, err: bigint, trapno: bigint, cr2: bigint, mask: bigint, ia32: boolean): SavedContext {
  return {
    r15: r.r15, r14: r.r14, r13: r.r13, r12: r.r12, rbp: r.rbp, rbx: r.rbx, r11: r.r11, r10: r.r10, r9: r.r9, r8: r.r8,
    rax: r.rax, rcx: r.rcx, rdx: r.rdx, rsi: r.rsi, rdi: r.rdi, orig_rax: r.orig_rax, rip: r.rip, cs: r.cs, rflags: r.rflags,
    rsp: r.rsp, ss: r.ss, ucFlags, err, trapno, cr2, mask, ia32,
  };
}

/** A fresh copy of a task's signal state (the order kernel/initial.ts creates it in). */
export function copySig(s: SignalState): Mut<SignalState> {
  return { pending: s.pending, blocked: s.blocked, actions: s.actions, info: s.info, altstack: s.altstack };
}
