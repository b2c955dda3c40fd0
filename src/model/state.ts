/**
 * MachineState: the CPU (src/isa) plus the kernel's state plus what the environment has armed.
 * Plain, immutable, JSON-serialisable data (bigints serialise as hex). DESIGN.md section 2.2.
 */
import type { CpuState, FrameInfo, Memory } from '../isa/index.ts';
import type { Observation } from './observations.ts';
import type { SavedContext, SignalState, TrapInfo, UserStruct } from './signal-state.ts';
import type { PageTable } from './user-memory.ts';

/** struct pt_regs field order (arch/x86/include/asm/ptrace.h), lowest address first. */
export const PT_FIELDS = [
  'r15', 'r14', 'r13', 'r12', 'rbp', 'rbx', 'r11', 'r10', 'r9', 'r8', 'rax', 'rcx', 'rdx', 'rsi',
  'rdi', 'orig_rax', 'rip', 'cs', 'rflags', 'rsp', 'ss',
] as const;
/** One pt_regs field. */
export type PtField = (typeof PT_FIELDS)[number];
/** The register frame at task_pt_regs. */
export type PtRegs = Readonly<Record<PtField, bigint>>;
/** Bit of a field in {@link Task.written}. */
const PT_BITS: Readonly<Record<string, number>> = Object.fromEntries(PT_FIELDS.map((f, i) => [f, 1 << i]));
export const ptBit = (f: PtField): number => PT_BITS[f] ?? 0;
/** All fields written. */
export const PT_COMPLETE = (1 << PT_FIELDS.length) - 1;

/** Thread flags (TIF_*), as bits of {@link Task.tif}. */
export const TIF = {
  NEED_RESCHED: 1 << 0,
  SIGPENDING: 1 << 1,
  NOTIFY_RESUME: 1 << 2,
  SINGLESTEP: 1 << 3,
  SYSCALL_TRACE: 1 << 4,
  /** The TS_FASTSYSCALL proposal: set by the syscall entry; register writers must clear it. */
  FASTSYSCALL: 1 << 5,
  /** Work that only forces the slow (IRET) exit: set by force_iret() in older kernels. */
  FORCE_IRET: 1 << 6,
  /** TF in pt_regs was set by ptrace single-stepping, not by user code (arch/x86/kernel/step.c). */
  FORCED_TF: 1 << 7,
} as const;
/** Names of {@link TIF} bits, for reports. */
export const TIF_NAMES: ReadonlyArray<readonly [number, string]> = Object.entries(TIF).map(([n, b]) => [b, n] as const);

/** Where a task is. */
export type TaskMode = 'user' | 'kernel' | 'blocked' | 'stopped' | 'dead' | 'new';

/** Why a traced task stopped. */
export type StopKind = 'syscall-entry' | 'syscall-exit' | 'fork' | 'singlestep' | 'signal';

/** ptrace state of a task. */
export interface PtraceState {
  readonly attached: boolean;
  readonly syscalls: boolean;
  readonly fork: boolean;
  readonly stop: StopKind | null;
  /** Resumed with PTRACE_SINGLESTEP. */
  readonly stepping: boolean;
}

/**
 * One live kernel activation: what a SYSCALL/SYSENTER instruction or an event delivery started,
 * until the SYSRET/SYSEXIT/IRET that ends it. The hardware part (cause, frame) is recorded when it
 * starts; `notes` is what the kernel's code has recorded about it so far.
 */
export interface Activation {
  readonly id: number;
  readonly cause: 'syscall64' | 'syscall32' | 'sysenter' | 'idt';
  /** IDT vector for `idt`, -1 otherwise. */
  readonly vector: number;
  /** Entered from CPL 3. */
  readonly fromUser: boolean;
  /** Where the hardware frame is (null for SYSCALL/SYSENTER, which push nothing). */
  readonly frame: FrameInfo | null;
  /** RIP that was interrupted (the return RIP of the frame, or the user RIP of the syscall). */
  readonly interrupted: bigint;
  /** What the hardware reported with the event: #PF address (CR2), error code, #DB cause (DR6). */
  readonly hw: HwFacts;
  readonly notes: Notes;
}

/** Facts the CPU delivered with an event. */
export interface HwFacts {
  readonly cr2?: bigint;
  readonly error?: number;
  readonly db?: 'single-step' | 'watchpoint' | 'breakpoint' | 'icebp';
  /** RSP at the moment of the event (what an IRET back must restore). */
  readonly rsp?: bigint;
  /** For system-call instructions (SYSCALL, SYSENTER, INT n): the instruction's address. */
  readonly insn?: bigint;
  /** For system-call instructions: RAX and the argument registers as the instruction saw them. */
  readonly args?: Readonly<Record<string, bigint>>;
}

/** What kernel code has recorded about an activation (its "registers and locals"). */
export interface Notes {
  /** The entry did SWAPGS (so the exit must). */
  readonly swapgs?: boolean;
  /** pt_regs of this activation is at task_pt_regs (an entry from user mode). */
  readonly userRegs?: boolean;
  /** CR2 as this #PF entry read it. */
  readonly cr2?: bigint;
  /** The fault address the #PF handler body was given (after any clobbering on the way). */
  readonly pfAddr?: bigint;
  /** System call in progress (name) and its return value once computed. */
  readonly nr?: string;
  readonly ret?: bigint;
  /** Paranoid entry: GS state to restore on exit (saved GS base, or "swapped"). */
  readonly savedGs?: bigint;
  /** The exit path picked for this activation. */
  readonly exit?: 'sysret' | 'sysretl' | 'sysexit' | 'iret';
  /** Something happened that the old fast path could not cope with (work, a ptrace stop, sigreturn). */
  readonly slow?: boolean;
  /**
   * The C code already decided to return by IRET, whatever the fast-exit checks would say
   * (__do_fast_syscall_32 returning false after a failed read of the sixth argument).
   */
  readonly iretOnly?: boolean;
  /** Syscall one-shot exit work done. */
  readonly exitWorkDone?: boolean;
  /** This NMI found itself nested and only latched a repeat. */
  readonly nested?: boolean;
  /** Generic scratch the paths use (counters, flags). */
  readonly scratch?: Readonly<Record<string, bigint | number | boolean>>;
}

/** One task. */
export interface Task {
  readonly id: number;
  readonly mode: TaskMode;
  /** 32-bit task (TIF_IA32): its user code runs in compatibility mode. */
  readonly compat: boolean;
  /** TS_COMPAT: a 32-bit system call is in progress. */
  readonly tsCompat: boolean;
  readonly tif: number;
  readonly regs: PtRegs;
  /** Bits of the pt_regs fields written since the last entry from user mode. */
  readonly written: number;
  readonly acts: readonly Activation[];
  /** Return addresses of kernel subroutine calls in progress on this task's kernel stack. */
  readonly calls: readonly bigint[];
  /** Kernel RIP and RSP to resume at after switch_to, while not running. */
  readonly resume: { readonly rip: bigint; readonly rsp: bigint } | null;
  readonly sig: SignalState;
  readonly ptrace: PtraceState;
  /** Signal frames on the user stack: hex address -> saved context. */
  readonly sigframes: Readonly<Record<string, SavedContext>>;
  /** Debug register watchpoint of this task (thread.debugreg), loaded into the CPU when it runs. */
  readonly watch: bigint | null;
  /** Instruction breakpoint of this task (a ptrace hw_breakpoint), loaded into the CPU when it runs. */
  readonly breakAt: bigint | null;
  /** thread.{trap_nr, error_code, cr2}, written by the fault handlers, read into signal frames. */
  readonly trapInfo: TrapInfo;
  /** The struct the pointer argument of the system call in progress points at (UserStruct). */
  readonly ustruct: UserStruct | null;
  /** The per-CPU user-RSP slot saved by switch_to for designs that do so (old_rsp, pre-4.1). */
  readonly usersp: bigint;
  /** User GS base while the task is not running (thread.gsbase). */
  readonly gsBase: bigint;
  /** What a blocked task waits for. */
  readonly wait: 'pause' | 'nanosleep' | null;
  /** rseq registered: the exit path must fix up an interrupted critical section. */
  readonly rseq: boolean;
  /** What __kernel_vsyscall pushed (ECX, EDX, EBP, return address) while a vDSO call is in progress. */
  readonly vsyscall: { readonly ret: bigint; readonly rcx: bigint; readonly rdx: bigint; readonly rbp: bigint } | null;
}

/** Per-CPU kernel data (reached through GS). */
export interface PerCpu {
  /** Scratch slot of the SYSCALL entry (rsp_scratch / cpu_tss.sp2). */
  readonly rspScratch: bigint;
  /** The NMI state machine of exc_nmi (nmi.c): not running, executing, latched. */
  readonly nmiState: 'idle' | 'executing' | 'latched';
  /** The "NMI executing" variable on the NMI stack (entry_64.S). */
  readonly nmiExecuting: boolean;
  /** A nested NMI asked the outer one to run again (the repeat_nmi dance). */
  readonly nmiRepeat: boolean;
  /** CR2 saved by the NMI handler (nmi_cr2). */
  readonly nmiCr2: bigint;
  readonly preemptCount: number;
  /** The task schedule() picked and is switching to. */
  readonly next: number;
  /** NMIs the NMI handler body (default_do_nmi) has run for, repeats included. */
  readonly nmiHandled: number;
  /** Clock at which the NMI handler body last started. */
  readonly nmiLastHandled: number;
}

/** An armed hardware event: it fires at the first instruction boundary at or after clock `due`. */
export interface Armed {
  readonly kind: 'irq' | 'nmi' | 'ldt' | 'mce';
  /** IRQ vector, or the LDT index for `ldt`. */
  readonly vector: number;
  readonly due: number;
}

/** The hardware environment: armed countdowns, asserted IRQ lines, the latched NMI. */
export interface HwState {
  readonly armed: readonly Armed[];
  readonly irq: readonly number[];
  readonly nmi: boolean;
  /** A machine check is signalled and not yet delivered. */
  readonly mce: boolean;
  /**
   * IA32_MCG_STATUS.MCIP: set by the CPU when it delivers #MC, cleared by the handler's write of
   * MCG_STATUS. A machine check while it is set shuts the CPU down (SDM Vol. 3B 16.3.1.2).
   */
  readonly mcip: boolean;
  /** NMIs the CPU has delivered (a latched NMI counts once, when delivered). */
  readonly nmiDelivered: number;
  /** Clock at which the CPU last delivered an NMI. */
  readonly nmiLastDelivered: number;
}

/** User memory pages (shared layout). */
export type PageKind = 'code' | 'data' | 'demand' | 'readonly';

/** The kernel's state. */
export interface KernelState {
  readonly current: number;
  readonly tasks: readonly Task[];
  readonly runq: readonly number[];
  readonly percpu: PerCpu;
  /** Mapped user pages (model/user-memory.ts); unlisted pages are unmapped. */
  readonly pages: PageTable;
  /**
   * Bytes user code stored, so loads see stores: page number (hex) -> offset in the page ->
   * byte. Two levels, so that a store copies one page's bytes, not every byte ever stored.
   */
  readonly bytes: Readonly<Record<string, Readonly<Record<number, number>>>>;
  /**
   * The 64 KiB windows (address >> 16) of read-only file pages (kind code or readonly) that a
   * read or fetch has faulted in: until then their page-table entries are not present, so a
   * write there faults without the P bit (user-memory.ts accessFault). Absent: none.
   */
  readonly touched?: readonly number[];
  readonly nextActId: number;
  /**
   * The XSAVE area's size in a 64-bit signal frame (fpstate->user_size + FP_XSTATE_MAGIC2_SIZE,
   * fpu__alloc_mathframe): the CPU's features decide it. Absent: the model's own frame layout
   * (signal-delivery.ts FRAME_SIZE); co-simulation sets the host's.
   */
  readonly xstate?: bigint;
  /** The CPU is in the idle loop's HLT. */
  readonly idle: boolean;
  /** The kernel died: nothing runs any more. */
  readonly halted: Observation | null;
}

/** The whole machine. */
export interface MachineState {
  readonly cpu: CpuState;
  readonly mem: Memory;
  readonly k: KernelState;
  readonly hw: HwState;
  /** Instruction boundaries passed so far (user instructions and kernel micro-steps). */
  readonly clock: number;
}
