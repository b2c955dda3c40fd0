/**
 * What user mode (and a person watching the machine) can see: DESIGN.md section 2.4.
 * Invariants read these and states; none reads a design's knobs.
 */
import type { Segment } from '../isa/index.ts';

/** How the kernel went back to user mode. */
export type ReturnVia = 'sysret' | 'sysretl' | 'sysexit' | 'iret';

/** The user-visible register state when user mode resumes. */
export interface UserView {
  readonly regs: Readonly<Record<string, bigint>>;
  readonly rflags: bigint;
  readonly cs: Segment;
  readonly ss: Segment;
  readonly gsBase: bigint;
}

/** Kinds of kernel failure: each would be an oops, a panic, or worse on a real machine. */
export type FailureKind =
  | 'unhandled-fault'   // a CPL 0 fault the design has no fixup for
  | 'user-stack'        // kernel code using the stack while RSP is not a kernel stack
  | 'user-gs'           // kernel code using per-CPU data with the user GS base
  | 'double-fault'
  | 'shutdown'          // a fault while delivering #DF (triple fault)
  | 'hang'              // the step bound was hit
  | 'bug';              // a kernel assertion (BUG_ON / WARN that the design treats as fatal)

/** One observation. */
export type Observation =
  /** A user instruction ran; `faulted` when it raised an exception instead of completing. */
  | { readonly kind: 'user-insn'; readonly task: number; readonly rip: bigint; readonly insn: string; readonly faulted?: true }
  | { readonly kind: 'return-to-user'; readonly task: number; readonly via: ReturnVia; readonly rip: bigint;
      readonly rsp: bigint; readonly rflags: bigint; readonly cs: number; readonly ss: number; readonly view: UserView;
      /** pt_regs as the exit path left it (what the user state should equal). */
      readonly pt: Readonly<Record<string, bigint>>;
      /** The kernel activation this return ends. */
      readonly act: { readonly id: number; readonly cause: string; readonly vector: number;
        readonly insn?: bigint; readonly args?: Readonly<Record<string, bigint>>; readonly rsp?: bigint } | null }
  | { readonly kind: 'signal'; readonly task: number; readonly signal: number; readonly code: number;
      readonly siAddr: bigint; readonly rip: bigint; readonly fatal: boolean;
      /** Where the signal frame went (delivered signals): co-simulation pairs it with the real one. */
      readonly frame?: bigint;
      /**
       * What the frame holds (delivered signals): the saved registers (pt_regs names), and
       * ucFlags, err, trapno, cr2, mask (the blocked set before delivery, bit n = signal n).
       */
      readonly ctx?: Readonly<Record<string, bigint>> }
  | { readonly kind: 'trap'; readonly task: number; readonly rip: bigint }
  /**
   * User mode resumed by a return that restores no pt_regs: a paranoid NMI from user mode that
   * stayed on its IST stack IRETs straight from the hardware frame (before 9b6e6a8334d5). User
   * code sees what it sees after any return; the invariants that judge pt_regs read
   * `return-to-user` only.
   */
  | { readonly kind: 'user-resume'; readonly task: number; readonly view: UserView }
  | { readonly kind: 'ptrace-stop'; readonly task: number; readonly why: string; readonly rip: bigint }
  | { readonly kind: 'kernel-failure'; readonly what: FailureKind; readonly detail: string }
  | { readonly kind: 'syscall-return'; readonly task: number; readonly nr: string; readonly value: bigint }
  /**
   * Kernel-internal: an instruction ended an activation with a hardware frame while staying at
   * CPL 0 (an IRET back into interrupted kernel code): where the activation began (the RIP it
   * interrupted, the RSP at the event) and where the CPU resumed.
   */
  | { readonly kind: 'kernel-resume'; readonly task: number; readonly vector: number; readonly interrupted: bigint;
      readonly interruptedRsp: bigint | undefined; readonly rip: bigint; readonly rsp: bigint }
  /** Kernel-internal: code read a task's pt_regs; `written` has a bit per field written since the entry. */
  | { readonly kind: 'pt-read'; readonly task: number; readonly reader: string; readonly written: number };

/** si_code values used by the model (include/uapi/asm-generic/siginfo.h). */
export const SI = {
  KERNEL: 0x80,
  USER: 0,
  SEGV_MAPERR: 1,
  SEGV_ACCERR: 2,
  TRAP_BRKPT: 1,
  TRAP_TRACE: 2,
  TRAP_HWBKPT: 4,
  ILL_ILLOPN: 2,
} as const;

/** Signal numbers (x86 Linux). */
export const SIG = { SIGILL: 4, SIGTRAP: 5, SIGBUS: 7, SIGKILL: 9, SIGUSR1: 10, SIGSEGV: 11, SIGUSR2: 12, SIGSTOP: 19 } as const;

/** Observations about the kernel's inner workings, not what user mode or a person sees (reports hide them). */
export function isInternal(o: Observation): boolean {
  return o.kind === 'pt-read' || o.kind === 'kernel-resume';
}
