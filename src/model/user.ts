/**
 * User instructions: what one `user.*` event does on the CPU (DESIGN.md section 2.3). Each is a
 * single instruction (events that load registers first, like user.syscall, do so as setup that
 * is not an instruction boundary of its own). RIP advances by USER_INSN_LEN.
 */
import {
  fetchFault, low32, movSs, popf, retire, softInt, syscall, sysenter, wrap64, is64, wrgsbase,
  type CpuState, type Fault,
} from '../isa/index.ts';
import { deliverFault, halt, hwFacts, tick, withTask, currentTask } from './engine.ts';
import { USER_INSN_LEN, type SigFrame, type UserEvent, type UserReg } from './events.ts';
import type { KernelImpl } from './kernel-api.ts';
import type { Observation } from './observations.ts';
import { TIF, type Activation, type MachineState, type PtRegs, type Task } from './state.ts';
import { accessFault } from './user-memory.ts';

/** Argument registers: 64-bit ABI (rdi, rsi, rdx, r10, r8, r9) and 32-bit ABI (ebx ... ebp). */
export const ARGS_64: readonly UserReg[] = ['rdi', 'rsi', 'rdx', 'r10', 'r8', 'r9'];
export const ARGS_32: readonly UserReg[] = ['rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp'];

/** Loads the system call number and arguments (32-bit ABI values are zero-extended). */
function loadArgs(cpu: CpuState, nr: bigint, args: readonly bigint[] | undefined, abi32: boolean): CpuState {
  const regs: Record<string, bigint> = { ...cpu.regs, rax: nr };
  const names = abi32 ? ARGS_32 : ARGS_64;
  (args ?? []).forEach((v, i) => {
    const r = names[i];
    if (r !== undefined) regs[r] = abi32 ? low32(v) : wrap64(v);
  });
  return { ...cpu, regs: regs as CpuState['regs'] };
}

/** User code writes a forged signal frame at RSP (fields it leaves out keep the saved frame's). */
export function writeSigFrame(t: Task, at: bigint, frame: SigFrame, live: CpuState): Task {
  const key = at.toString(16);
  const base: PtRegs = t.sigframes[key] ?? {
    ...Object.fromEntries(Object.entries(t.regs).map(([f]) => [f, (live.regs as Record<string, bigint>)[f] ?? 0n])),
    rip: live.regs.rip, rflags: live.rflags, cs: BigInt(live.cs.sel), ss: BigInt(live.ss.sel), orig_rax: 0n,
  } as PtRegs;
  const merged: Record<string, bigint> = { ...base };
  for (const [f, v] of Object.entries(frame)) merged[f] = BigInt(v as bigint | number);
  return { ...t, sigframes: { ...t.sigframes, [key]: merged as PtRegs } };
}

/** RAX and the argument registers of both ABIs, as a system-call instruction sees them. */
export function callRegs(cpu: CpuState): Record<string, bigint> {
  const out: Record<string, bigint> = { rax: cpu.regs.rax };
  for (const r of new Set([...ARGS_64, ...ARGS_32])) out[r] = cpu.regs[r];
  return out;
}

/** Starts a SYSCALL/SYSENTER activation on the current task. */
function enterSyscall(m: MachineState, cpu: CpuState, cause: Activation['cause'], userRip: bigint): MachineState {
  const t = currentTask(m);
  const hw = { rsp: m.cpu.regs.rsp, insn: userRip, args: callRegs(m.cpu) };
  const act: Activation = { id: m.k.nextActId, cause, vector: -1, fromUser: true, frame: null, interrupted: userRip, hw, notes: {} };
  return withTask({ ...m, cpu, k: { ...m.k, nextActId: m.k.nextActId + 1 } }, { ...t, mode: 'kernel', written: 0, acts: [...t.acts, act] });
}

/**
 * Executes one user instruction of the current task (which must be in user mode, CPL 3).
 * Faults (fetch from a non-canonical or unmapped RIP, #PF on an access, #UD, #GP) are
 * delivered with RIP at the instruction.
 */
export function execUser(m0: MachineState, e: UserEvent, K: KernelImpl, emit: (o: Observation) => void): MachineState {
  const rip = m0.cpu.regs.rip;
  const task = currentTask(m0);
  const faults: number[] = [];
  const m1 = execAt(recordCode(m0, rip, e.type), e, K, emit, rip, task, () => faults.push(1));
  const insn = vdsoCode(K, rip, e) === e ? e.type.slice(5) : 'vdso';
  emit(faults.length > 0 ? { kind: 'user-insn', task: task.id, rip, insn, faulted: true } : { kind: 'user-insn', task: task.id, rip, insn });
  return m1;
}

/** Remembers which instruction user code has at `rip` (for invariants about restarts). */
function recordCode(m: MachineState, rip: bigint, type: string): MachineState {
  const key = rip.toString(16);
  return m.k.code[key] === type ? m : { ...m, k: { ...m.k, code: { ...m.k.code, [key]: type } } };
}

function execAt(m: MachineState, e0: UserEvent, K: KernelImpl, emit: (o: Observation) => void, rip: bigint, task: Task, onFault: () => void): MachineState {
  const cpu = m.cpu;
  const e = vdsoCode(K, rip, e0);
  if (e === 'int80') return tick(softwareInterrupt(m, cpu, 0x80, emit));
  if (e === 'epilogue' && task.vsyscall) {
    // The landing pad: "popl %ebp; popl %edx; popl %ecx; ret" back to the caller of __kernel_vsyscall.
    const v = task.vsyscall;
    const next = retire(cpu, { ...cpu, regs: { ...cpu.regs, rcx: v.rcx, rdx: v.rdx, rbp: v.rbp, rip: v.ret } });
    return tick(withTask({ ...m, cpu: next }, { ...task, vsyscall: null }));
  }
  if (e === 'epilogue') {
    // No call of ours is in progress: the pops read what is on the user stack, which the model
    // does not track (zeros), and `ret` goes to the popped address.
    const regs = { ...cpu.regs, rcx: 0n, rdx: 0n, rbp: 0n, rsp: (cpu.regs.rsp + 16n) & 0xffff_ffffn, rip: 0n };
    return tick({ ...m, cpu: retire(cpu, { ...cpu, regs }) });
  }
  const len = USER_INSN_LEN[e.type];
  const fail = (f: Fault): MachineState => { onFault(); return tick(deliverFault(m, cpu, f, rip, emit)); };
  const fetch = fetchFault(cpu) ?? accessFault(m.k, cpu.paging, rip, 'fetch', true);
  if (fetch) return fail(fetch);
  const next = wrap64(rip + len);
  const simple = (c: CpuState): MachineState => tick({ ...m, cpu: retire(cpu, { ...c, regs: { ...c.regs, rip: next } }) });
  switch (e.type) {
    case 'user.setReg':
      return simple({ ...cpu, regs: { ...cpu.regs, [e.reg]: is64(cpu) ? e.value : low32(e.value) } });
    case 'user.nop':
      return simple(cpu);
    case 'user.jump':
      return tick({ ...m, cpu: retire(cpu, { ...cpu, regs: { ...cpu.regs, rip: is64(cpu) ? e.target : low32(e.target) } }) });
    case 'user.popf': {
      const r = popf(cpu, m.mem, e.flags);
      const done = tick({ ...m, cpu: { ...r.cpu, regs: { ...r.cpu.regs, rip: next } } });
      // A ptrace single step onto POPF does not count TF as ptrace's (enable_single_step's
      // is_setting_trap_flag, arch/x86/kernel/step.c): whatever TF the POPF loads is the user's
      // (found by co-simulation).
      return (task.tif & TIF.FORCED_TF) !== 0 ? withTask(done, { ...task, tif: task.tif & ~TIF.FORCED_TF }) : done;
    }
    case 'user.access': {
      const f = accessFault(m.k, cpu.paging, e.addr, e.write ? 'write' : 'read', true);
      if (f) return fail(f);
      const key = e.addr.toString(16);
      if (e.write) {
        const k = { ...m.k, bytes: { ...m.k.bytes, [key]: Number(cpu.regs.rax & 0xffn) } };
        return tick({ ...m, k, cpu: retire(cpu, { ...cpu, regs: { ...cpu.regs, rip: next } }) });
      }
      const al = BigInt(m.k.bytes[key] ?? 0);
      return simple({ ...cpu, regs: { ...cpu.regs, rax: (cpu.regs.rax & ~0xffn) | al } });
    }
    case 'user.movSs': {
      const r = movSs(cpu, m.mem, cpu.ss.sel, e.watched);
      if (r.fault) return fail(r.fault);
      return tick({ ...m, cpu: { ...r.cpu, regs: { ...r.cpu.regs, rip: next } } });
    }
    case 'user.syscall': {
      const compat = !is64(cpu);
      if (compat) return viaVdso(m, e, K, emit, rip, task, onFault);
      let c = loadArgs(cpu, K.syscallNr(e.nr, compat), e.args, compat);
      // The 32-bit vDSO passes arg2 in EBP for SYSCALL (SYSCALL overwrites ECX): system_call.S.
      if (compat) c = { ...c, regs: { ...c.regs, rbp: c.regs.rcx } };
      let mm: MachineState = { ...m, cpu: c };
      if (e.frame) mm = withTask(mm, writeSigFrame(task, c.regs.rsp, e.frame, c));
      const r = syscall(c, mm.mem);
      if (r.fault) { onFault(); return tick(deliverFault(mm, c, r.fault, rip, emit)); }
      return tick(enterSyscall(mm, r.cpu, compat ? 'syscall32' : 'syscall64', rip));
    }
    case 'user.sysenter': {
      if (!is64(cpu)) return viaVdso(m, e, K, emit, rip, task, onFault);
      // SYSENTER straight from 64-bit code; the vDSO convention EBP = ESP is kept.
      let c = loadArgs(cpu, K.syscallNr(e.nr ?? 'getpid', true), e.args, true);
      c = { ...c, regs: { ...c.regs, rbp: c.regs.rsp } };
      const r = sysenter(c, m.mem);
      if (r.fault) { onFault(); return tick(deliverFault({ ...m, cpu: c }, c, r.fault, rip, emit)); }
      return tick(enterSyscall({ ...m, cpu: c }, r.cpu, 'sysenter', rip));
    }
    case 'user.int80':
    case 'user.int3': {
      let c = cpu;
      let mm = m;
      if (e.type === 'user.int80') {
        c = loadArgs(cpu, K.syscallNr(e.nr, true), e.args, true);
        mm = { ...m, cpu: c };
        if (e.frame) mm = withTask(mm, writeSigFrame(task, c.regs.rsp, e.frame, c));
      }
      return tick(softwareInterrupt(mm, c, e.type === 'user.int80' ? 0x80 : 3, emit));
    }
    case 'user.wrgsbase': {
      const r = wrgsbase(cpu, m.mem, e.value);
      if (r.fault) return fail(r.fault);
      return tick({ ...m, cpu: { ...r.cpu, regs: { ...r.cpu.regs, rip: next } } });
    }
  }
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
function viaVdso(m: MachineState, e: Extract<UserEvent, { type: 'user.syscall' | 'user.sysenter' }>, K: KernelImpl, emit: (o: Observation) => void, rip: bigint, task: Task, onFault: () => void): MachineState {
  const nr = e.nr ?? 'getpid';
  const loaded = loadArgs(m.cpu, K.syscallNr(nr, true), e.args, true);
  const stash = { ret: rip + USER_INSN_LEN[e.type], rcx: loaded.regs.rcx, rdx: loaded.regs.rdx, rbp: loaded.regs.rbp };
  const at = K.vdso.fastcall;
  const ebp = m.cpu.vendor === 'intel' ? loaded.regs.rsp : loaded.regs.rcx;
  const c: CpuState = { ...loaded, regs: { ...loaded.regs, rbp: ebp, rip: at } };
  let mm: MachineState = withTask({ ...m, cpu: c }, { ...task, vsyscall: stash });
  // A forged frame's defaults are the user's registers at the call site, not inside the vDSO.
  if (e.type === 'user.syscall' && e.frame) mm = withTask(mm, writeSigFrame(currentTask(mm), c.regs.rsp, e.frame, { ...loaded, regs: { ...loaded.regs, rip: stash.ret } }));
  // ALTERNATIVE_2 in __kernel_vsyscall: SYSENTER on Intel (X86_FEATURE_SYSENTER32), SYSCALL on AMD.
  const viaSysenter = m.cpu.vendor === 'intel';
  const r = viaSysenter ? sysenter(c, mm.mem) : syscall(c, mm.mem);
  if (r.fault) { onFault(); return tick(deliverFault(mm, c, r.fault, at, emit)); }
  return tick(enterSyscall(mm, r.cpu, viaSysenter ? 'sysenter' : 'syscall32', at));
}

/** INT n from user mode, recording the activation (or the #GP it raises). */
function softwareInterrupt(m: MachineState, cpu: CpuState, vector: number, emit: (o: Observation) => void): MachineState {
  const r = softInt(cpu, m.mem, vector);
  if (!r.ok) return halt({ ...m, cpu: r.cpu }, { kind: 'kernel-failure', what: 'shutdown', detail: 'triple fault' }, emit);
  const t = currentTask(m);
  const act: Activation = {
    id: m.k.nextActId, cause: 'idt', vector: r.delivered.vector, fromUser: r.frame.privilegeChange,
    frame: r.frame, interrupted: r.delivered.rip,
    hw: { ...hwFacts(r.delivered), rsp: cpu.regs.rsp, ...(r.delivered.kind === 'software' && vector === 0x80 ? { insn: cpu.regs.rip, args: callRegs(cpu) } : {}) }, notes: {},
  };
  return withTask({ ...m, cpu: r.cpu, mem: r.mem, k: { ...m.k, nextActId: m.k.nextActId + 1 } },
    act.fromUser ? { ...t, mode: 'kernel', written: 0, acts: [...t.acts, act] } : { ...t, acts: [...t.acts, act] });
}
