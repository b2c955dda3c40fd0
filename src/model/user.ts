/**
 * User instructions: what one `user.*` event does on the CPU (DESIGN.md section 2.3). Each is a
 * single instruction (events that load registers first, like user.syscall, do so as setup that
 * is not an instruction boundary of its own). RIP advances by USER_INSN_LEN.
 */
import {
  fetchFault, isCanonical, low32, movSs, popf, retire, softInt, syscall, sysenter, VEC, wrap64, is64, wrgsbase,
  type CpuState, type Fault,
} from '../isa/index.ts';
import { currentTask, deliverFault, hwFacts, pushActivation } from './engine.ts';
import { USER_INSN_LEN, type SigFrame, type UserEvent, type UserReg } from './events.ts';
import type { KernelImpl } from './kernel-api.ts';
import type { Machine } from './machine.ts';
import { TIF, type Activation, type PtRegs, type Task } from './state.ts';
import { accessFault, pageKey } from './user-memory.ts';

/** Argument registers: 64-bit ABI (rdi, rsi, rdx, r10, r8, r9) and 32-bit ABI (ebx ... ebp). */
export const ARGS_64: readonly UserReg[] = ['rdi', 'rsi', 'rdx', 'r10', 'r8', 'r9'];
export const ARGS_32: readonly UserReg[] = ['rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp'];

/** Loads the system call number and arguments (32-bit ABI values are zero-extended). */
function loadArgs(w: Machine, nr: bigint, args: readonly bigint[] | undefined, abi32: boolean): void {
  const regs = w.regsW();
  regs.rax = nr;
  const names = abi32 ? ARGS_32 : ARGS_64;
  (args ?? []).forEach((v, i) => {
    const r = names[i];
    if (r !== undefined) regs[r] = abi32 ? low32(v) : wrap64(v);
  });
}

/** User code writes a forged signal frame at RSP (fields it leaves out keep the saved frame's). */
export function writeSigFrame(w: Machine, at: bigint, frame: SigFrame, live: CpuState): void {
  const t = currentTask(w);
  const key = at.toString(16);
  const base: PtRegs = t.sigframes[key] ?? {
    ...Object.fromEntries(Object.entries(t.regs).map(([f]) => [f, (live.regs as Record<string, bigint>)[f] ?? 0n])),
    rip: live.regs.rip, rflags: live.rflags, cs: BigInt(live.cs.sel), ss: BigInt(live.ss.sel), orig_rax: 0n,
  } as PtRegs;
  const merged: Record<string, bigint> = { ...base };
  for (const [f, v] of Object.entries(frame)) merged[f] = BigInt(v as bigint | number);
  w.taskW(t.id).sigframes = { ...t.sigframes, [key]: merged as PtRegs };
}

/** RAX and the argument registers of both ABIs, as a system-call instruction sees them. */
export function callRegs(cpu: CpuState): Record<string, bigint> {
  const out: Record<string, bigint> = { rax: cpu.regs.rax };
  for (const r of ARGS_64) out[r] = cpu.regs[r];
  for (const r of ARGS_32) out[r] = cpu.regs[r];
  return out;
}

/** Starts a SYSCALL/SYSENTER activation on the current task (`before`: the CPU at the instruction). */
function enterSyscall(w: Machine, before: CpuState, cause: Activation['cause'], userRip: bigint): void {
  pushActivation(w, {
    cause, vector: -1, fromUser: true, frame: null, interrupted: userRip,
    hw: { rsp: before.regs.rsp, insn: userRip, args: callRegs(before) }, notes: {},
  });
}

/** The next instruction boundary has been reached. */
const tick = (w: Machine): void => { w.clock += 1; };

/**
 * Executes one user instruction of the current task (which must be in user mode, CPL 3).
 * Faults (fetch from a non-canonical or unmapped RIP, #PF on an access, #UD, #GP) are
 * delivered with RIP at the instruction.
 */
export function execUser(w: Machine, e: UserEvent, K: KernelImpl): void {
  const rip = w.cpu.regs.rip;
  const task = currentTask(w);
  const code = vdsoCode(K, rip, e);
  const faulted = execAt(w, code, K, rip, task);
  const insn = code === 'int80' ? 'int80' : code === 'epilogue' ? 'vdso-epilogue' : e.type.slice(5);
  w.emit(faulted ? { kind: 'user-insn', task: task.id, rip, insn, faulted: true } : { kind: 'user-insn', task: task.id, rip, insn });
  tick(w);
}

/** Runs the instruction; true when it faulted (the fault has been delivered). */
function execAt(w: Machine, e: UserEvent | 'epilogue' | 'int80', K: KernelImpl, rip: bigint, task: Task): boolean {
  const cpu = w.cpu;
  if (e === 'int80') return softwareInterrupt(w, 0x80);
  if (e === 'epilogue') return epilogue(w, task);
  const fail = (f: Fault): true => { deliverFault(w, f, rip); return true; };
  const fetch = fetchFault(cpu) ?? accessFault(w.k, cpu.paging, rip, 'fetch', true);
  if (fetch) return fail(fetch);
  const next = wrap64(rip + USER_INSN_LEN[e.type]);
  const simple = (change: (c: CpuState) => CpuState): false => {
    const c = change(cpu);
    w.setCpu(retire(cpu, { ...c, regs: { ...c.regs, rip: next } }));
    return false;
  };
  switch (e.type) {
    case 'user.setReg':
      return simple((c) => ({ ...c, regs: { ...c.regs, [e.reg]: is64(c) ? e.value : low32(e.value) } }));
    case 'user.nop':
      return simple((c) => c);
    case 'user.jump':
      // A near branch to a non-canonical target faults on the branch itself (#GP(0), RIP at the
      // jump): user RIP never becomes non-canonical by jumping (KVM 234f3ce485d5, "as real CPUs do").
      if (is64(cpu) && !isCanonical(e.target, cpu.paging)) return fail({ vector: VEC.GP, error: 0 });
      w.setCpu(retire(cpu, { ...cpu, regs: { ...cpu.regs, rip: is64(cpu) ? e.target : low32(e.target) } }));
      return false;
    case 'user.popf': {
      const r = popf(cpu, w.mem, e.flags);
      w.setCpu({ ...r.cpu, regs: { ...r.cpu.regs, rip: next } });
      // A ptrace single step onto POPF does not count TF as ptrace's (enable_single_step's
      // is_setting_trap_flag, arch/x86/kernel/step.c): whatever TF the POPF loads is the user's
      // (found by co-simulation).
      if ((task.tif & TIF.FORCED_TF) !== 0) w.taskW(task.id).tif = task.tif & ~TIF.FORCED_TF;
      return false;
    }
    case 'user.access': {
      const f = accessFault(w.k, cpu.paging, e.addr, e.write ? 'write' : 'read', true);
      if (f) return fail(f);
      const page = pageKey(e.addr);
      const off = Number(e.addr & 0xfffn);
      if (e.write) {
        const bytes = w.kW();
        bytes.bytes = { ...bytes.bytes, [page]: { ...bytes.bytes[page], [off]: Number(cpu.regs.rax & 0xffn) } };
        return simple((c) => c);
      }
      const al = BigInt(w.k.bytes[page]?.[off] ?? 0);
      return simple((c) => ({ ...c, regs: { ...c.regs, rax: (c.regs.rax & ~0xffn) | al } }));
    }
    case 'user.movSs': {
      const r = movSs(cpu, w.mem, cpu.ss.sel, e.watched);
      if (r.fault) return fail(r.fault);
      w.setCpu({ ...r.cpu, regs: { ...r.cpu.regs, rip: next } });
      return false;
    }
    case 'user.syscall': {
      if (!is64(cpu)) return viaVdso(w, e, K, rip, task);
      loadArgs(w, K.syscallNr(e.nr, false), e.args, false);
      const c = w.cpu;
      if (e.frame) writeSigFrame(w, c.regs.rsp, e.frame, c);
      const r = syscall(c, w.mem);
      if (r.fault) return fail(r.fault);
      w.setCpu(r.cpu);
      enterSyscall(w, c, 'syscall64', rip);
      return false;
    }
    case 'user.sysenter': {
      if (!is64(cpu)) return viaVdso(w, e, K, rip, task);
      // SYSENTER straight from 64-bit code; the vDSO convention EBP = ESP is kept.
      loadArgs(w, K.syscallNr(e.nr ?? 'getpid', true), e.args, true);
      w.regsW().rbp = w.cpu.regs.rsp;
      const c = w.cpu;
      const r = sysenter(c, w.mem);
      if (r.fault) return fail(r.fault);
      w.setCpu(r.cpu);
      enterSyscall(w, c, 'sysenter', rip);
      return false;
    }
    case 'user.int80':
      loadArgs(w, K.syscallNr(e.nr, true), e.args, true);
      if (e.frame) writeSigFrame(w, w.cpu.regs.rsp, e.frame, w.cpu);
      return softwareInterrupt(w, 0x80);
    case 'user.int3':
      return softwareInterrupt(w, 3);
    case 'user.wrgsbase': {
      const r = wrgsbase(cpu, w.mem, e.value);
      if (r.fault) return fail(r.fault);
      w.setCpu({ ...r.cpu, regs: { ...r.cpu.regs, rip: next } });
      return false;
    }
  }
}

/**
 * The landing pad: "popl %ebp; popl %edx; popl %ecx; ret" back to the caller of
 * __kernel_vsyscall, restoring what its call pushed. Without a call of ours in progress the pops
 * read what is on the user stack, which the model does not track (zeros).
 */
function epilogue(w: Machine, task: Task): false {
  const cpu = w.cpu;
  const v = task.vsyscall;
  if (v) {
    w.setCpu(retire(cpu, { ...cpu, regs: { ...cpu.regs, rcx: v.rcx, rdx: v.rdx, rbp: v.rbp, rip: v.ret } }));
    w.taskW(task.id).vsyscall = null;
    return false;
  }
  const regs = { ...cpu.regs, rcx: 0n, rdx: 0n, rbp: 0n, rsp: (cpu.regs.rsp + 16n) & 0xffff_ffffn, rip: 0n };
  w.setCpu(retire(cpu, { ...cpu, regs }));
  return false;
}

/**
 * What the instruction at `rip` is: code in the vDSO page belongs to the vDSO, whatever the trace
 * says (user code cannot change it): the `int $0x80` before the landing pad, and the landing pad's
 * epilogue. Elsewhere, the event's own instruction.
 */
function vdsoCode(K: KernelImpl, rip: bigint, e: UserEvent): UserEvent | 'epilogue' | 'int80' {
  if (rip === K.vdso.landingPad) return 'epilogue';
  if (rip === K.vdso.int80) return 'int80';
  return e;
}

/**
 * A 32-bit task's fast system call (user.syscall or user.sysenter) goes through
 * __kernel_vsyscall, the only supported way (vdso32/system_call.S): it pushes ECX, EDX, EBP and
 * the return address, and executes SYSENTER (Intel; EBP = ESP) or SYSCALL (AMD; EBP = ECX) at
 * its own address.
 */
function viaVdso(w: Machine, e: Extract<UserEvent, { type: 'user.syscall' | 'user.sysenter' }>, K: KernelImpl, rip: bigint, task: Task): boolean {
  loadArgs(w, K.syscallNr(e.nr ?? 'getpid', true), e.args, true);
  // A copy: the registers are written in place below, and the frame defaults need them as loaded.
  const loaded: CpuState = { ...w.cpu, regs: { ...w.cpu.regs } };
  const ret = rip + USER_INSN_LEN[e.type];
  w.taskW(task.id).vsyscall = { ret, rcx: loaded.regs.rcx, rdx: loaded.regs.rdx, rbp: loaded.regs.rbp };
  const at = K.vdso.fastcall;
  const regs = w.regsW();
  regs.rbp = w.cpu.vendor === 'intel' ? loaded.regs.rsp : loaded.regs.rcx;
  regs.rip = at;
  // A forged frame's defaults are the user's registers at the call site, not inside the vDSO.
  if (e.type === 'user.syscall' && e.frame) writeSigFrame(w, w.cpu.regs.rsp, e.frame, { ...loaded, regs: { ...loaded.regs, rip: ret } });
  // ALTERNATIVE_2 in __kernel_vsyscall: SYSENTER on Intel (X86_FEATURE_SYSENTER32), SYSCALL on AMD.
  const viaSysenter = w.cpu.vendor === 'intel';
  const c = w.cpu;
  const r = viaSysenter ? sysenter(c, w.mem) : syscall(c, w.mem);
  if (r.fault) { deliverFault(w, r.fault, at); return true; }
  w.setCpu(r.cpu);
  enterSyscall(w, c, viaSysenter ? 'sysenter' : 'syscall32', at);
  return false;
}

/** INT n from user mode, recording the activation (or the #GP it raises). */
function softwareInterrupt(w: Machine, vector: number): boolean {
  const cpu = w.cpu;
  const r = softInt(cpu, w.mem, vector);
  w.setCpu(r.cpu);
  if (!r.ok) {
    w.halt({ kind: 'kernel-failure', what: 'shutdown', detail: 'triple fault' });
    return false;
  }
  w.writeQs(r.pushed.at, r.pushed.values);
  const call = r.delivered.kind === 'software' && vector === 0x80 ? { insn: cpu.regs.rip, args: callRegs(cpu) } : {};
  pushActivation(w, {
    cause: 'idt', vector: r.delivered.vector, fromUser: r.frame.privilegeChange, frame: r.frame,
    interrupted: r.delivered.rip, hw: { ...hwFacts(r.delivered), rsp: cpu.regs.rsp, ...call }, notes: {},
  });
  // A faulting INT n (gate DPL below CPL) is not marked: it still counts as the instruction
  // the event executed (as it always has; the gates the model programs never fault this way).
  return false;
}
