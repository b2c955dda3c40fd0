/**
 * The trace vocabulary (DESIGN.md section 2.3): plain data in a discriminated union on a
 * namespaced `type`. The environment is listed apart from the system: `user.*` is what the
 * current task's user code can do, `hw.*` what the hardware can do, `tracer.*` what a ptrace
 * tracer can do, `sched.*` what the rest of the machine can do to our CPU's tasks. The kernel
 * itself is not in the vocabulary: its execution between events is deterministic.
 */

/** Registers a user instruction may load (`mov $imm, %reg`); RIP changes only by jumping. */
export const USER_REGS = [
  'rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'rsp',
  'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15',
] as const;
/** One of {@link USER_REGS}. */
export type UserReg = (typeof USER_REGS)[number];

/** System calls the model implements, by name (numbers differ per ABI; see kernel/syscalls). */
export const SYSCALL_NAMES = [
  'getpid', 'sched_yield', 'pause', 'nanosleep', 'kill', 'rt_sigreturn', 'fork', 'clone', 'write',
  'modify_ldt', 'exit', 'gettid', 'rt_sigaction', 'sigaltstack', 'restart_syscall',
] as const;
/** One of {@link SYSCALL_NAMES}. */
export type SyscallName = (typeof SYSCALL_NAMES)[number];

/**
 * A 64-bit operand before the model runs the event: a value, or a symbol the model resolves at
 * the boundary where the event runs ("$next": the address after this instruction, "$rip": this
 * instruction's, or a named address of the kernel's layout such as "$user_data") plus an offset.
 */
export type Operand = bigint | { readonly sym: string; readonly off: bigint };

/**
 * A signal frame as user code can forge it before rt_sigreturn: any RIP, RSP, RFLAGS, CS, SS and
 * general registers, and (system calls only) the ucontext's uc_flags and uc_sigmask (Linux's
 * encoding: bit n - 1 for signal n). Omitted fields keep what the kernel saved in the frame at RSP.
 * tracer.setRegs takes the same shape without uc_flags and sigmask.
 */
export type SigFrameOf<V> = Partial<Record<UserReg | 'rip' | 'rflags' | 'uc_flags' | 'sigmask', V> & { cs: number | V; ss: number | V }>;
/** A resolved signal frame (selectors are numbers). */
export type SigFrame = Partial<Record<UserReg | 'rip' | 'rflags' | 'uc_flags' | 'sigmask', bigint> & { cs: number; ss: number }>;

/**
 * struct sigaction as user code wrote it for rt_sigaction: sa_handler (0: SIG_DFL, 1: SIG_IGN,
 * else an address), sa_flags (SA_*), sa_mask (Linux's encoding: bit n - 1 for signal n).
 */
export interface SigActionOf<V> { readonly handler: V; readonly flags?: V; readonly mask?: V }
/** stack_t as user code wrote it for sigaltstack: ss_sp, ss_size, ss_flags (SS_DISABLE 2). */
export interface StackOf<V> { readonly sp: V; readonly size: V; readonly flags?: V }

/** A system call number: a name the model implements, or any number (RAX as given). */
export type SyscallNrOf<V> = SyscallName | V;

/** Encodings of a software interrupt (user.int): CD ib, CC (INT3), F1 (ICEBP), CE (INTO). */
export const INT_FORMS = ['cd', 'cc', 'icebp', 'into'] as const;
/** One of {@link INT_FORMS}. */
export type IntForm = (typeof INT_FORMS)[number];

/** What user code can execute: one instruction each (kernel entries included). */
export type UserEventOf<V, F> =
  | { readonly type: 'user.setReg'; readonly reg: UserReg; readonly value: V }
  | { readonly type: 'user.popf'; readonly flags: V }
  | { readonly type: 'user.nop' }
  | { readonly type: 'user.access'; readonly addr: V; readonly write: boolean }
  | { readonly type: 'user.movSs'; readonly watched: boolean }
  | {
    readonly type: 'user.syscall'; readonly nr: SyscallNrOf<V>; readonly args?: readonly V[]; readonly frame?: F;
    readonly act?: SigActionOf<V>; readonly stack?: StackOf<V>;
    /** In 32-bit code: SYSCALL at this RIP, not a call through __kernel_vsyscall. */
    readonly raw?: boolean;
  }
  | {
    readonly type: 'user.sysenter'; readonly nr?: SyscallNrOf<V>; readonly args?: readonly V[];
    /** EBP at the SYSENTER (default: ESP, the vDSO's `movl %esp, %ebp`). */
    readonly ebp?: V;
    /** In 32-bit code: SYSENTER at this RIP, not a call through __kernel_vsyscall. */
    readonly raw?: boolean;
  }
  | {
    readonly type: 'user.int80'; readonly nr: SyscallNrOf<V>; readonly args?: readonly V[]; readonly frame?: F;
    readonly act?: SigActionOf<V>; readonly stack?: StackOf<V>;
  }
  | { readonly type: 'user.int3' }
  | { readonly type: 'user.int'; readonly vector: number; readonly form?: IntForm }
  | { readonly type: 'user.cli' }
  | { readonly type: 'user.pushf' }
  | { readonly type: 'user.pop'; readonly reg: UserReg }
  | { readonly type: 'user.jump'; readonly target: V }
  | { readonly type: 'user.wrgsbase'; readonly value: V };
/** A user event with resolved values. */
export type UserEvent = UserEventOf<bigint, SigFrame>;

/**
 * Hardware events. Reaching one arms a countdown; it fires once `after` more instruction
 * boundaries have passed (user instructions or kernel micro-steps).
 */
export type HwEvent =
  | { readonly type: 'hw.irq'; readonly after: number; readonly vector?: number }
  | { readonly type: 'hw.nmi'; readonly after: number }
  /**
   * Another CPU, running a thread of the same process, marks LDT entry `index` not present
   * after `after` boundaries (modify_ldt wrote the table in place before 4.3), CVE-2015-5157.
   */
  | { readonly type: 'hw.remoteLdt'; readonly after: number; readonly index: number }
  /**
   * A machine check after `after` boundaries: an action-optional uncorrected error (SRAO, e.g. a
   * patrol-scrub hit) that the handler logs; what matters is where #MC is delivered.
   */
  | { readonly type: 'hw.mce'; readonly after: number };

/** Options of a ptrace attach: which stops the tracer asks for. */
export interface TraceOptions {
  /** Stop at every syscall entry and exit (PTRACE_SYSCALL resumes). */
  readonly syscalls?: boolean;
  /** Stop at fork events (PTRACE_O_TRACEFORK). */
  readonly fork?: boolean;
}

/** What a ptrace tracer (a process on another CPU) can do to the traced task. */
export type TracerEventOf<V, F> =
  | { readonly type: 'tracer.attach'; readonly options?: TraceOptions }
  | { readonly type: 'tracer.setRegs'; readonly regs: F }
  | { readonly type: 'tracer.singleStep' }
  | { readonly type: 'tracer.cont' }
  | { readonly type: 'tracer.watch'; readonly addr: V }
  /** An instruction breakpoint (a hw_breakpoint, DR1 with R/W1 = 00) at a user address. */
  | { readonly type: 'tracer.break'; readonly addr: V }
  /** PTRACE_DETACH: the tracer goes away; its debug registers stay (mov_ss_trap.c relies on it). */
  | { readonly type: 'tracer.detach' };
/** A tracer event with resolved values. */
export type TracerEvent = TracerEventOf<bigint, SigFrame>;

/** What the rest of the machine can do to our CPU's tasks. */
export type SchedEvent =
  | { readonly type: 'sched.wake'; readonly task: number }
  | { readonly type: 'sched.signal'; readonly task: number; readonly signal: number };

/** One trace event, values resolved (as it ran). */
export type Event = UserEvent | HwEvent | TracerEvent | SchedEvent;

/** One trace event whose values may still be symbolic (as a trace holds it). */
export type TraceEvent = UserEventOf<Operand, SigFrameOf<Operand>> | HwEvent | TracerEventOf<Operand, SigFrameOf<Operand>> | SchedEvent;

/** Every event type, grouped by who causes it. */
export const EVENT_TYPES = {
  user: ['user.setReg', 'user.popf', 'user.nop', 'user.access', 'user.movSs', 'user.syscall',
    'user.sysenter', 'user.int80', 'user.int3', 'user.int', 'user.cli', 'user.pushf', 'user.pop', 'user.jump', 'user.wrgsbase'],
  hw: ['hw.irq', 'hw.nmi', 'hw.remoteLdt', 'hw.mce'],
  tracer: ['tracer.attach', 'tracer.setRegs', 'tracer.singleStep', 'tracer.cont', 'tracer.watch', 'tracer.break', 'tracer.detach'],
  sched: ['sched.wake', 'sched.signal'],
} as const satisfies Record<string, readonly Event['type'][]>;

/**
 * Length in bytes of the user instruction each event executes (the last instruction, for events
 * that load registers first). Chosen to match real encodings, so RIP arithmetic (RCX = RIP + 2
 * after SYSCALL, IP - 2 on restart) is exact: movabs $imm64,%reg is 10 bytes; POPFQ, NOP, INT3
 * 1; movabs moffs64,%al 9; mov disp32(%rip),%ss 6; SYSCALL, SYSENTER, INT $0x80 2;
 * jmp *0(%rip) plus its 8-byte target 14; WRGSBASE %rax 5; INT imm8 (CD ib) 2 (but see
 * {@link insnLength}: CC, F1 and CE are 1); CLI, PUSHF 1; POP %reg 2 (58+r with a prefix that
 * changes nothing: REX (41 for r8-r15, 40 otherwise) in 64-bit code, DS (3E) in 32-bit code).
 */
export const USER_INSN_LEN: Readonly<Record<UserEvent['type'], bigint>> = {
  'user.setReg': 10n,
  'user.popf': 1n,
  'user.nop': 1n,
  'user.access': 9n,
  'user.movSs': 6n,
  'user.syscall': 2n,
  'user.sysenter': 2n,
  'user.int80': 2n,
  'user.int3': 1n,
  'user.int': 2n,
  'user.cli': 1n,
  'user.pushf': 1n,
  'user.pop': 2n,
  'user.jump': 14n,
  'user.wrgsbase': 5n,
};

/** Length of the instruction a user event executes (user.int's CC, F1 and CE forms are 1 byte). */
export function insnLength(e: { readonly type: string; readonly form?: IntForm }): bigint {
  if (e.type === 'user.int' && e.form !== undefined && e.form !== 'cd') return 1n;
  return USER_INSN_LEN[e.type as UserEvent['type']] ?? 0n;
}

/** True for events executed by user code. */
export function isUserEvent(e: Event): e is UserEvent {
  return e.type.startsWith('user.');
}

/** True for hardware events (they arm a countdown instead of running at a boundary). */
export function isHwEvent(e: Event | TraceEvent): e is HwEvent {
  return e.type.startsWith('hw.');
}
