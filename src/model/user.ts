/**
 * User instructions: what one `user.*` event does on the CPU (DESIGN.md section 2.3). Each is a
 * single instruction (events that load registers first, like user.syscall, do so as setup that
 * is not an instruction boundary of its own). RIP advances by the instruction's length.
 */
import {
  breakpointDelivery, breakpointHit, copyCpu, copyRegs, cpuAt, cliInsn, fetchFault, icebp, into, jmpNear, low32, movSs, popf, retire, retireOwned, softInt,
  VEC, watchpointHit, wrap64, is64, wrgsbase, type CpuState, type Regs, type EventOutcome, type Fault,
} from '../isa/index.ts';
import { currentTask, deliverAt, deliverFault, hwFacts, pushActivation } from './delivery.ts';
import { insnLength, type UserEvent } from './events.ts';
import type { KernelImpl } from './kernel-api.ts';
import type { Machine, Mut } from './machine.ts';
import { TIF, type HwFacts, type Task } from './state.ts';
import { accessFault, pageKey, storeUser } from './user-memory.ts';
import { epilogue, EPILOGUE_INSNS, execPop, execPushf } from './user-stack.ts';
import { callRegs, execSyscall, execSysenter, loadInt80, viaVdso } from './user-syscall.ts';

export { ARGS_32, ARGS_64, callRegs, writeSigFrame } from './user-syscall.ts';

/** The next instruction boundary has been reached. */
const tick = (w: Machine): void => { w.clock += 1; };

/** What user code runs at `rip`: the event's instruction, or the vDSO's own code. */
type Code = UserEvent | { readonly vdso: 'int80' } | { readonly vdso: 'epilogue'; readonly from: number };

/** The name a user-insn observation gives an instruction (`int80` for every `int $0x80`). */
function insnName(code: Code): string {
  if ('vdso' in code) return code.vdso === 'int80' ? 'int80' : 'vdso-epilogue';
  if (code.type === 'user.int' && code.vector === 0x80 && (code.form ?? 'cd') === 'cd') return 'int80';
  return code.type.slice(5);
}

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
  const insn = insnName(code);
  w.emit(faulted ? { kind: 'user-insn', task: task.id, rip, insn, faulted: true } : { kind: 'user-insn', task: task.id, rip, insn });
  tick(w);
}

/** Delivers the fault of the instruction at `rip`; true (it faulted). */
function fail(w: Machine, f: Fault, rip: bigint): true {
  deliverFault(w, f, rip);
  return true;
}

/** The instruction completed with CPU `c` (from `cpu`): RIP moves to `next`, then it retires. */
function complete(w: Machine, cpu: CpuState, c: CpuState, next: bigint): false {
  w.setCpu(retireOwned(cpu, cpuAt(c, next)));
  return false;
}

/** Installs an ISA instruction's result with RIP at `at`, or delivers its fault. */
function installed(w: Machine, r: { cpu: CpuState; fault: Fault | null }, at: bigint, rip: bigint): boolean {
  if (r.fault) return fail(w, r.fault, rip);
  w.setCpu(cpuAt(r.cpu, at));
  return false;
}

/** Runs the instruction; true when it faulted (the fault has been delivered). */
function execAt(w: Machine, code: Code, K: KernelImpl, rip: bigint, task: Task): boolean {
  const cpu = w.cpu;
  // Code breakpoints come before the fetch's own faults (SDM Vol. 3 6.9, Table 6-2: priority 7
  // vs 8); the #DB is a fault at this instruction (isa/breakpoint.ts).
  if (breakpointHit(cpu, rip)) {
    deliverAt(w, breakpointDelivery(rip), 'breakpoint');
    return true;
  }
  if ('vdso' in code) {
    w.touch(rip);
    return code.vdso === 'int80' ? softwareInterrupt(w, softInt(cpu, w.mem, 0x80)) : epilogue(w, K, task, code.from);
  }
  const e = code;
  const fetch = fetchFault(cpu) ?? accessFault(w.k, cpu.paging, rip, 'fetch', true);
  if (fetch) return fail(w, fetch, rip);
  w.touch(rip);
  const next = wrap64(rip + insnLength(e));
  switch (e.type) {
    case 'user.setReg': {
      const c = copyCpu(cpu);
      const r = copyRegs(cpu.regs);
      r[e.reg] = is64(cpu) ? e.value : low32(e.value);
      r.rip = next;
      c.regs = r;
      w.setCpu(retire(cpu, c));
      return false;
    }
    case 'user.nop':
      return complete(w, cpu, cpu, next);
    case 'user.jump': {
      const r = jmpNear(cpu, w.mem, e.target);
      return installed(w, r, r.cpu.regs.rip, rip);
    }
    case 'user.popf': {
      const r = popf(cpu, w.mem, e.flags);
      w.setCpu(cpuAt(r.cpu, next));
      // A ptrace single step onto POPF does not count TF as ptrace's (enable_single_step's
      // is_setting_trap_flag, arch/x86/kernel/step.c): whatever TF the POPF loads is the user's
      // (found by co-simulation).
      if ((task.tif & TIF.FORCED_TF) !== 0) w.taskW(task.id).tif = task.tif & ~TIF.FORCED_TF;
      return false;
    }
    case 'user.access': {
      const f = accessFault(w.k, cpu.paging, e.addr, e.write ? 'write' : 'read', true);
      if (f) return fail(w, f, rip);
      const page = pageKey(e.addr);
      const off = Number(e.addr & 0xfffn);
      // A watched byte: the data breakpoint's #DB is a trap after the access (isa/breakpoint.ts).
      const hit = (c: CpuState): CpuState => (watchpointHit(cpu, e.addr, 1n) && c.pendingDb === null
        ? { ...c, pendingDb: { cause: 'watchpoint', held: false } } : c);
      if (e.write) {
        w.kW().bytes = storeUser(w.k.bytes, e.addr, cpu.regs.rax & 0xffn, 1);
        return complete(w, cpu, hit(cpu), next);
      }
      const al = BigInt(w.k.bytes[page]?.[off] ?? 0);
      w.touch(e.addr);
      const loaded = cpuAt(cpu, cpu.regs.rip);
      (loaded.regs as Mut<Regs>).rax = (cpu.regs.rax & ~0xffn) | al;
      return complete(w, cpu, hit(loaded), next);
    }
    case 'user.movSs':
      return installed(w, movSs(cpu, w.mem, cpu.ss.sel, e.watched), next, rip);
    case 'user.syscall':
      return !is64(cpu) && e.raw !== true ? viaVdso(w, e, K, rip) : execSyscall(w, e, K, rip);
    case 'user.sysenter':
      return !is64(cpu) && e.raw !== true ? viaVdso(w, e, K, rip) : execSysenter(w, e, K, rip);
    case 'user.int80':
      loadInt80(w, e, K);
      return softwareInterrupt(w, softInt(w.cpu, w.mem, 0x80));
    case 'user.int3':
      return softwareInterrupt(w, softInt(cpu, w.mem, VEC.BP));
    case 'user.int':
      return intForm(w, e, next);
    case 'user.cli':
      return installed(w, cliInsn(cpu, w.mem), next, rip);
    case 'user.pushf':
      return execPushf(w, rip, next);
    case 'user.pop':
      return execPop(w, e.reg, rip, next);
    case 'user.wrgsbase':
      return installed(w, wrgsbase(cpu, w.mem, e.value), next, rip);
  }
}

/**
 * user.int in its encodings (isa/interrupts.ts, isa/int-forms.ts): CD ib (INT n, 2 bytes, the
 * gate's DPL checked), CC (INT3), F1 (ICEBP: #DB without the DPL check), CE (INTO: #UD in 64-bit
 * mode, INT 4 if OF is set, nothing otherwise).
 */
function intForm(w: Machine, e: Extract<UserEvent, { type: 'user.int' }>, next: bigint): boolean {
  const cpu = w.cpu;
  switch (e.form ?? 'cd') {
    case 'cd': return softwareInterrupt(w, softInt(cpu, w.mem, e.vector, 2n));
    case 'cc': return softwareInterrupt(w, softInt(cpu, w.mem, VEC.BP, 1n));
    case 'icebp': return softwareInterrupt(w, icebp(cpu, w.mem), 'icebp');
    case 'into': {
      const r = into(cpu, w.mem);
      if (r === 'ud') { deliverFault(w, { vector: VEC.UD }, cpu.regs.rip); return true; }
      if (r === null) { w.setCpu(retireOwned(cpu, cpuAt(cpu, next))); return false; }
      return softwareInterrupt(w, r);
    }
  }
}

/** The landing pad's epilogue ends this far past it (a BigInt once, not per instruction). */
const EPILOGUE_END = BigInt(EPILOGUE_INSNS);

/**
 * What the instruction at `rip` is: code in the vDSO page belongs to the vDSO, whatever the trace
 * says (user code cannot change it): the `int $0x80` before the landing pad, and the landing pad's
 * epilogue (from whichever of its four instructions RIP is at). Elsewhere, the event's own.
 */
function vdsoCode(K: KernelImpl, rip: bigint, e: UserEvent): Code {
  const pad = K.vdso.landingPad;
  if (rip >= pad && rip < pad + EPILOGUE_END) return { vdso: 'epilogue', from: Number(rip - pad) };
  if (rip === K.vdso.int80) return { vdso: 'int80' };
  return e;
}

/**
 * A software interrupt from user mode (INT n, INT3, ICEBP, INTO) as delivered: records the
 * activation, or nothing more when delivery raised a fault instead (#GP for a gate's DPL: the
 * activation is that fault's). A system call by `int $0x80` records its registers.
 */
function softwareInterrupt(w: Machine, r: EventOutcome, db?: HwFacts['db']): boolean {
  const cpu = w.cpu;
  w.setCpu(r.cpu);
  if (!r.ok) {
    w.halt({ kind: 'kernel-failure', what: 'shutdown', detail: 'triple fault' });
    return false;
  }
  w.writeQs(r.pushed.at, r.pushed.values);
  const d = r.delivered;
  const hw = hwFacts(d, db, cpu.regs.rsp);
  if (d.kind === 'software' && d.vector === 0x80) { hw.insn = cpu.regs.rip; hw.args = callRegs(cpu); }
  pushActivation(w, {
    cause: 'idt', vector: d.vector, fromUser: r.frame.privilegeChange, frame: r.frame,
    interrupted: d.rip, hw, notes: {},
  });
  // An INT n whose gate's DPL is below CPL raises #GP instead (SDM Vol. 3 6.12.1.1): the
  // instruction did not complete, so it is marked faulted (no single-step trap follows it).
  return d.kind === 'fault';
}
