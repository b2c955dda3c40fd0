/**
 * User instructions that enter the kernel for a system call: SYSCALL, SYSENTER, INT $0x80, and a
 * 32-bit task's call through __kernel_vsyscall. Each loads RAX and the argument registers as the
 * event says (setup, not an instruction boundary), forges the signal frame or the structure a
 * pointer argument points at, and starts the activation.
 */
import { low32, stackFault, syscall, sysenter, wrap64, type CpuState } from '../isa/index.ts';
import { currentTask, deliverFault, pushActivation } from './delivery.ts';
import { insnLength, type SigActionOf, type SigFrame, type StackOf, type SyscallNrOf, type UserEvent, type UserReg } from './events.ts';
import type { KernelImpl } from './kernel-api.ts';
import type { Machine } from './machine.ts';
import { NO_FRAME_EXTRA, type SavedContext, type UserStruct } from './signal-state.ts';
import type { Activation, PtRegs } from './state.ts';
import { savedContext } from './copy.ts';
import { rangeFault } from './user-memory.ts';

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

/** Linux's sigset encoding (bit n - 1 for signal n) to the model's (bit n). */
const fromSigset = (v: bigint): bigint => BigInt.asUintN(65, v << 1n);

/**
 * User code writes a forged signal frame at RSP (fields it leaves out keep the saved frame's). A
 * frame the kernel never wrote there reads as the one it would write now: the live registers,
 * the uc_flags of a signal from this mode (frame_uc_flags: UC_FP_XSTATE | UC_SIGCONTEXT_SS, and
 * UC_STRICT_RESTORE_SS from 64-bit code) and the blocked set.
 */
export function writeSigFrame(w: Machine, at: bigint, frame: SigFrame, live: CpuState): void {
  const t = currentTask(w);
  const key = at.toString(16);
  const base: SavedContext = t.sigframes[key] ?? inventedFrame(live, t.sig.blocked);
  const merged: Record<string, bigint | boolean> = { ...base };
  for (const [f, v] of Object.entries(frame)) {
    if (f === 'uc_flags') merged.ucFlags = BigInt(v);
    else if (f === 'sigmask') merged.mask = fromSigset(BigInt(v));
    else merged[f] = BigInt(v as bigint | number);
  }
  w.taskW(t.id).sigframes = { ...t.sigframes, [key]: merged as unknown as SavedContext };
}

/** The frame the kernel would write now (pt_regs order, then the frame's fields), as one literal. */
function inventedFrame(live: CpuState, mask: bigint): SavedContext {
  const r = live.regs;
  const pt: PtRegs = {
    r15: r.r15, r14: r.r14, r13: r.r13, r12: r.r12, rbp: r.rbp, rbx: r.rbx, r11: r.r11, r10: r.r10, r9: r.r9, r8: r.r8,
    rax: r.rax, rcx: r.rcx, rdx: r.rdx, rsi: r.rsi, rdi: r.rdi, orig_rax: 0n, rip: r.rip, cs: BigInt(live.cs.sel), rflags: live.rflags,
    rsp: r.rsp, ss: BigInt(live.ss.sel),
  };
  return savedContext(pt, live.cs.l ? 7n : 3n, NO_FRAME_EXTRA.err, NO_FRAME_EXTRA.trapno, NO_FRAME_EXTRA.cr2, mask, NO_FRAME_EXTRA.ia32);
}

/** The structure a pointer argument points at, as the event gives it (UserStruct). */
function userStruct(act: SigActionOf<bigint> | undefined, stack: StackOf<bigint> | undefined): UserStruct | null {
  if (act !== undefined) return { kind: 'sigaction', handler: act.handler, flags: act.flags ?? 0n, mask: fromSigset(act.mask ?? 0n) };
  if (stack !== undefined) return { kind: 'stack', sp: stack.sp, size: stack.size, flags: stack.flags ?? 0n };
  return null;
}

/** Records the structure the call's pointer argument points at (or none). */
function setUserStruct(w: Machine, e: { readonly act?: SigActionOf<bigint>; readonly stack?: StackOf<bigint> }): void {
  const u = userStruct(e.act, e.stack);
  const t = currentTask(w);
  if (u !== null || t.ustruct !== null) w.taskW(t.id).ustruct = u;
}

/** RAX and the argument registers of both ABIs, as a system-call instruction sees them. */
export function callRegs(cpu: CpuState): Record<string, bigint> {
  // One literal (a single hidden class), in the order RAX, ARGS_64, then the ARGS_32 not in it.
  const r = cpu.regs;
  return { rax: r.rax, rdi: r.rdi, rsi: r.rsi, rdx: r.rdx, r10: r.r10, r8: r.r8, r9: r.r9, rbx: r.rbx, rcx: r.rcx, rbp: r.rbp };
}

/** Starts a SYSCALL/SYSENTER activation on the current task (`before`: the CPU at the instruction). */
function enterSyscall(w: Machine, before: CpuState, cause: Activation['cause'], userRip: bigint): void {
  pushActivation(w, {
    cause, vector: -1, fromUser: true, frame: null, interrupted: userRip,
    hw: { rsp: before.regs.rsp, insn: userRip, args: callRegs(before) }, notes: {},
  });
}

/** The number an event asks for in the 64-bit or 32-bit ABI (default getpid). */
const nrOf = (K: KernelImpl, nr: SyscallNrOf<bigint> | undefined, abi32: boolean): bigint => K.syscallNr(nr ?? 'getpid', abi32);

/** SYSCALL in 64-bit mode, or (raw) in compatibility mode: #UD on Intel, CSTAR on AMD. */
export function execSyscall(w: Machine, e: Extract<UserEvent, { type: 'user.syscall' }>, K: KernelImpl, rip: bigint): boolean {
  const compat = !w.cpu.cs.l;
  loadArgs(w, nrOf(K, e.nr, compat), e.args, compat);
  setUserStruct(w, e);
  const c = w.cpu;
  if (e.frame) writeSigFrame(w, c.regs.rsp, e.frame, c);
  const r = syscall(c, w.mem);
  if (r.fault) { deliverFault(w, r.fault, rip); return true; }
  w.setCpu(r.cpu);
  enterSyscall(w, c, compat ? 'syscall32' : 'syscall64', rip);
  return false;
}

/**
 * SYSENTER straight from user code (64-bit code, or raw in 32-bit code): the 32-bit ABI, and EBP
 * as the event says (default: ESP, the vDSO's `movl %esp, %ebp`; raw 32-bit code keeps its own).
 */
export function execSysenter(w: Machine, e: Extract<UserEvent, { type: 'user.sysenter' }>, K: KernelImpl, rip: bigint): boolean {
  const raw32 = !w.cpu.cs.l;
  loadArgs(w, nrOf(K, e.nr, true), e.args, true);
  if (e.ebp !== undefined) w.regsW().rbp = e.ebp;
  else if (!raw32) w.regsW().rbp = w.cpu.regs.rsp;
  const c = w.cpu;
  const r = sysenter(c, w.mem);
  if (r.fault) { deliverFault(w, r.fault, rip); return true; }
  w.setCpu(r.cpu);
  enterSyscall(w, c, 'sysenter', rip);
  return false;
}

/** `int $0x80` setup: the 32-bit ABI's number and arguments, a forged frame, a pointed-at struct. */
export function loadInt80(w: Machine, e: Extract<UserEvent, { type: 'user.int80' }>, K: KernelImpl): void {
  loadArgs(w, nrOf(K, e.nr, true), e.args, true);
  setUserStruct(w, e);
  if (e.frame) writeSigFrame(w, w.cpu.regs.rsp, e.frame, w.cpu);
}

/**
 * A 32-bit task's fast system call (user.syscall or user.sysenter, not raw) goes through
 * __kernel_vsyscall, the only supported way (vdso32/system_call.S): it pushes ECX, EDX, EBP and
 * the return address, and executes SYSENTER (Intel; EBP = ESP) or SYSCALL (AMD; EBP = ECX) at
 * its own address. The model makes no pushes (it keeps what they would hold aside, in
 * task.vsyscall), but the 16 bytes below ESP must be writable: otherwise the call's push faults
 * at the call site (#PF), as it would (the vDSO's own pushes come later: an approximation).
 * Under RFLAGS.AC a misaligned ESP faults the same push with #AC(0) (SDM Vol. 3 6.15, Interrupt
 * 17: stack references are checked too; co-simulation on AMD saw the SIGBUS at the vDSO's push).
 */
export function viaVdso(w: Machine, e: Extract<UserEvent, { type: 'user.syscall' | 'user.sysenter' }>, K: KernelImpl, rip: bigint): boolean {
  const below = low32(w.cpu.regs.rsp - 16n);
  const f = stackFault(w.cpu, low32(w.cpu.regs.rsp - 4n), 4n) ?? rangeFault(w.k, w.cpu.paging, below, 16, 'write', true);
  if (f) { deliverFault(w, f, rip); return true; }
  loadArgs(w, nrOf(K, e.nr, true), e.args, true);
  if (e.type === 'user.syscall') setUserStruct(w, e);
  // A copy: the registers are written in place below, and the frame defaults need them as loaded.
  const loaded: CpuState = { ...w.cpu, regs: { ...w.cpu.regs } };
  const ret = rip + insnLength(e);
  const task = currentTask(w);
  w.taskW(task.id).vsyscall = { ret, rcx: loaded.regs.rcx, rdx: loaded.regs.rdx, rbp: loaded.regs.rbp };
  const at = K.vdso.fastcall;
  w.touch(at); // __kernel_vsyscall's page is fetched
  const regs = w.regsW();
  // "movl %esp, %ebp; sysenter" or "movl %ecx, %ebp; syscall" (vdso32/system_call.S): a 32-bit
  // move, so RBP's upper half is cleared, whatever 64-bit code left in RSP or RCX.
  regs.rbp = low32(w.cpu.vendor === 'intel' ? loaded.regs.rsp : loaded.regs.rcx);
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
