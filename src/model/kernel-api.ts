/**
 * What the model needs from a kernel: its code (micro-steps by address), its answer to the
 * environment's tracer and scheduler events, and a few facts about its memory layout. The model
 * never sees a design's knobs: a kernel is built from a design by src/kernel.
 */
import type { Fault } from '../isa/index.ts';
import type { SchedEvent, SyscallName, TracerEvent } from './events.ts';
import type { Machine } from './machine.ts';
import type { ReturnVia } from './observations.ts';

/** What a micro-step knows about itself while it runs. */
export interface Exec {
  /** Address of the next micro-step in the same program (the fall-through). */
  readonly next: bigint;
}

/** A micro-step that faulted at CPL 0: the fault is delivered with RIP at this step. */
export interface StepFault {
  readonly fault: Fault;
}

/**
 * Result of a micro-step: nothing (it changed the machine in place; returning the machine itself
 * is the same), or a fault to deliver at this step.
 */
export type StepOut = void | Machine | StepFault;

/** True when a micro-step faulted. */
export const isStepFault = (o: StepOut): o is StepFault => o !== undefined && (o as StepFault).fault !== undefined;

/** One kernel instruction (or a short sequence the model treats as one). */
export interface MicroStep extends Exec {
  /** What it does, in kernel terms ("swapgs", "push %rcx (pt_regs->ip)"). */
  readonly name: string;
  /** The program (kernel path) it belongs to. */
  readonly path: string;
  /** A small number unique to this step in its kernel (its slot in the text): coverage keys. */
  readonly id: number;
  /** Executes an ISA instruction that does its own end-of-instruction bookkeeping. */
  readonly insn: boolean;
  /** Touches per-CPU data through %gs: must run with the kernel GS base. */
  readonly percpu: boolean;
  /** Uses the stack: must run on a kernel stack. */
  readonly stack: boolean;
  /** First step of a SYSRET/SYSRETL/SYSEXIT exit, where an IRET exit could have been used. */
  readonly fork?: ReturnVia | undefined;
  /** The step at `next`, if there is one (set when the text is assembled). */
  readonly following?: MicroStep | undefined;
  /**
   * Where the last jump from this step went and the step there: the engine's one-entry cache,
   * so a jump back to the same target needs no address arithmetic (BigInt operations allocate).
   */
  jumpRip?: bigint | undefined;
  jumpTo?: MicroStep | undefined;
  /** Runs the step on the working machine. Unless it jumps (sets RIP), RIP advances to `next`. */
  readonly run: (w: Machine, x: Exec) => StepOut;
}

/** A kernel built from a design. */
export interface KernelImpl {
  /** Design name, for reports. */
  readonly name: string;
  /** The micro-step at a kernel address, if any. */
  at(rip: bigint): MicroStep | undefined;
  /** Applies a tracer or scheduler event to the machine; false when it is not enabled in this state. */
  env(w: Machine, e: TracerEvent | SchedEvent): boolean;
  /** System call number of `name` in the 64-bit or the 32-bit ABI (a number stays as it is). */
  syscallNr(name: SyscallName | bigint, compat: boolean): bigint;
  /** Start of the exit path that returns to user mode by IRET from task_pt_regs. */
  readonly iretExit: bigint;
  /**
   * The 32-bit vDSO's code: __kernel_vsyscall's SYSENTER/SYSCALL instruction, the `int $0x80`
   * after it, and the landing pad after that (vdso32/system_call.S).
   */
  readonly vdso: { readonly fastcall: bigint; readonly int80: bigint; readonly landingPad: bigint };
  /** Task 1's registered rseq critical section [start, end) and its abort handler (kernel/rseq.c). */
  readonly rseq: { readonly start: bigint; readonly end: bigint; readonly abort: bigint };
  /** GS base the kernel's per-CPU data lives at. */
  readonly percpuBase: bigint;
  /** True for an address inside some kernel stack (thread, IST, entry stacks). */
  isKernelStack(addr: bigint): boolean;
  /** Which kernel stack holds `addr`: the same non-zero number for every address of one stack, 0 for none. */
  kernelStackOf(addr: bigint): number;
  /** The exception-table fixup of a kernel RIP (where a fault there resumes), if any. */
  fixupFor(rip: bigint): bigint | undefined;
  /** "path+index name" for a kernel RIP, for traces people read. */
  describe(rip: bigint): string;
  /** Named addresses of the layout a trace may use as operands ("$user_data"), per paging mode. */
  symbols(paging: 4 | 5): Readonly<Record<string, bigint>>;
}

/**
 * Thrown by kernel code whose own bookkeeping has been corrupted (a return with no caller, an
 * exit with no frame): on a real machine that is a crash, so the engine records a kernel failure
 * and the machine halts. An error, not control flow: correct kernel code never throws it. Steps
 * read what they need (frameOf) before they write, so a throw leaves the step's state unchanged.
 */
export class KernelCorruption extends Error {
  override readonly name = 'KernelCorruption';
}
