/**
 * User instructions that touch the user stack: PUSHF, POP, and the vDSO's landing-pad epilogue
 * ("popl %ebp; popl %edx; popl %ecx; ret", vdso32/system_call.S). The stack's content is the
 * abstract user memory (user-memory.ts: bytes user code stored, 0 elsewhere); each access can
 * fault (#SS for a non-canonical address, #AC for a misaligned one under AC, #PF on the page
 * walk: isa/stack.ts), and the fault is taken with RIP at the instruction that made it.
 */
import { cpuAt, low32, pushfImage, retire, retireOwned, stackFault, stackWidth, wrap64, type Fault } from '../isa/index.ts';
import { deliverFault } from './delivery.ts';
import type { UserReg } from './events.ts';
import type { KernelImpl } from './kernel-api.ts';
import type { Machine } from './machine.ts';
import type { Task } from './state.ts';
import { rangeFault, readUser, storeUser } from './user-memory.ts';

/** The fault a user stack access of `size` bytes at `addr` raises, or null. */
function stackAccessFault(w: Machine, addr: bigint, size: bigint, kind: 'read' | 'write'): Fault | null {
  return stackFault(w.cpu, addr, size) ?? rangeFault(w.k, w.cpu.paging, addr, Number(size), kind, true);
}

/** The stack address `by` bytes from RSP, as the current mode computes it (ESP wraps at 4 GiB). */
function stackAddr(w: Machine, by: bigint): bigint {
  const rsp = w.cpu.regs.rsp;
  return w.cpu.cs.l ? wrap64(rsp + by) : low32(rsp + by);
}

/** PUSHF: stores RFLAGS' image (RF and VM clear) below RSP. True when it faulted. */
export function execPushf(w: Machine, rip: bigint, next: bigint): boolean {
  const cpu = w.cpu;
  const size = stackWidth(cpu);
  const at = stackAddr(w, -size);
  const f = stackAccessFault(w, at, size, 'write');
  if (f) { deliverFault(w, f, rip); return true; }
  const image = pushfImage(cpu);
  w.kW().bytes = storeUser(w.k.bytes, at, image, Number(size));
  w.setCpu(retireOwned(cpu, cpuAt(cpu, next, at)));
  return false;
}

/** POP %reg: loads the value at RSP (zero-extended from 32 bits in compatibility mode). */
export function execPop(w: Machine, reg: UserReg, rip: bigint, next: bigint): boolean {
  const cpu = w.cpu;
  const size = stackWidth(cpu);
  const at = stackAddr(w, 0n);
  const f = stackAccessFault(w, at, size, 'read');
  if (f) { deliverFault(w, f, rip); return true; }
  const value = readUser(w.k, at, Number(size));
  const rsp = stackAddr(w, size);
  // "If the destination operand is the stack pointer, it is loaded with the popped value" after
  // the increment (SDM Vol. 2 POP, Description): the value wins.
  w.setCpu(retire(cpu, { ...cpu, regs: { ...cpu.regs, rsp, [reg]: value, rip: next } }));
  return false;
}

/** The landing pad's registers, in the order its pops load them. */
const POPPED: readonly UserReg[] = ['rbp', 'rdx', 'rcx'];
/**
 * Instructions (one byte each) of the landing pad's epilogue, `popl %ebp; popl %edx; popl %ecx;
 * ret` (arch/x86/entry/vdso/vdso32/system_call.S): int80_landing_pad + this is past its `ret`.
 */
export const EPILOGUE_INSNS = POPPED.length + 1;

/**
 * The landing pad's epilogue from instruction `from` (0 at int80_landing_pad, 3 at its `ret`).
 * With a call through __kernel_vsyscall in progress (the model made no pushes), the pops load
 * what it kept aside, 32 bits each (pending gap vdso-pops-32-bit: their upper halves become 0),
 * and RSP stays the caller's. Otherwise they read the user stack: whatever is there, and a pop
 * from an unmapped stack faults at its own instruction (defect 2: ESP = 0xffffffff used to read
 * zeros and fault at RIP 0 with the next event; syscall_arg_fault.c expects the SIGSEGV in the
 * vDSO).
 */
export function epilogue(w: Machine, K: KernelImpl, task: Task, from: number): boolean {
  const cpu = w.cpu;
  const v = task.vsyscall;
  if (v && from === 0) {
    w.setCpu(retire(cpu, { ...cpu, regs: { ...cpu.regs, rcx: low32(v.rcx), rdx: low32(v.rdx), rbp: low32(v.rbp), rip: v.ret } }));
    w.taskW(task.id).vsyscall = null;
    return false;
  }
  const regs: Record<string, bigint> = { ...cpu.regs };
  for (let i = from; i < EPILOGUE_INSNS; i++) {
    const at = low32(regs.rsp as bigint);
    const f = stackFault(cpu, at, 4n) ?? rangeFault(w.k, cpu.paging, at, 4, 'read', true);
    if (f) {
      const rip = K.vdso.landingPad + BigInt(i);
      w.setCpu({ ...cpu, regs: { ...cpu.regs, ...regs, rip } });
      deliverFault(w, f, rip);
      return true;
    }
    const value = readUser(w.k, at, 4);
    regs[i < 3 ? POPPED[i] as string : 'rip'] = value;
    regs.rsp = low32(at + 4n);
  }
  if (v) w.taskW(task.id).vsyscall = null;
  w.setCpu(retire(cpu, { ...cpu, regs: regs as typeof cpu.regs }));
  return false;
}
