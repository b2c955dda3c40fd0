import { taskSizeMax, userHalfEnd, type Paging } from '../isa/index.ts';

/**
 * Where things are: kernel text, stacks, per-CPU data, and the user address space every task
 * starts with. Values are Linux-like (x86-64 memory map, Documentation/arch/x86/x86_64/mm.rst)
 * but only their relations matter: thread stacks, IST stacks and the entry stack are distinct;
 * task_pt_regs is the top 168 bytes of the thread stack.
 */

/** Kernel text base; each program gets its own 4 KiB region. */
export const TEXT_BASE = 0xffff_ffff_8100_0000n;
export const PROGRAM_SPAN = 0x1000n;

/** Per-CPU data (GS base in the kernel). */
export const PERCPU_BASE = 0xffff_8880_7fc0_0000n;

/** Thread stacks: 16 KiB each, task `id` at THREAD_STACKS + id * 32 KiB. */
export const THREAD_STACKS = 0xffff_c900_0000_0000n;
export const THREAD_STACK_SIZE = 0x4000n;
/** Top of a task's thread stack (TSS.RSP0 while it runs); the first 16 made once (BigInt arithmetic allocates). */
const topOf = (task: number): bigint => THREAD_STACKS + BigInt(task) * 0x8000n + THREAD_STACK_SIZE;
const TOPS: readonly bigint[] = Array.from({ length: 16 }, (_, i) => topOf(i));
const BOTTOMS: readonly bigint[] = TOPS.map((t) => t - THREAD_STACK_SIZE);
export const stackTop = (task: number): bigint => TOPS[task] ?? topOf(task);
/** sizeof(struct pt_regs) = 21 qwords. */
export const PT_REGS_SIZE = 168n;
/** task_pt_regs(): the frame at the top of the thread stack. */
const PT_REGS_AT: readonly bigint[] = TOPS.map((t) => t - PT_REGS_SIZE);
export const ptRegsAddr = (task: number): bigint => PT_REGS_AT[task] ?? stackTop(task) - PT_REGS_SIZE;

/** IST stacks (4 KiB each, EXCEPTION_STKSZ), indexed by TSS IST slot 1..7. */
export const IST_STACKS = 0xffff_fe00_0000_0000n;
export const IST_SIZE = 0x1000n;
/** Top of IST slot `n` (slots are 8 KiB apart so a shifted #DB stack stays inside its own area). */
export const istTop = (n: number): bigint => IST_STACKS + BigInt(n) * 0x4000n;
/** The entry (trampoline) stack SYSENTER lands on (cpu_entry_area). */
export const ENTRY_STACK_TOP = 0xffff_fe00_0010_0000n;

/**
 * The espfix64 area (ESPFIX_BASE_ADDR = ESPFIX_PGD_ENTRY << P4D_SHIFT, arch/x86/kernel/espfix_64.c):
 * the stack an IRET to a 16-bit (LDT) SS runs on, mapped read-only at this alias, with RSP bits
 * 31:16 equal to the user's. The model's region is the 4 GiB those bits span.
 */
export const ESPFIX_BASE = 0xffff_ff00_0000_0000n;
export const ESPFIX_END = ESPFIX_BASE + (1n << 32n);
/** True for an address in the espfix64 area. */
export const isEspfix = (addr: bigint): boolean => addr >= ESPFIX_BASE && addr < ESPFIX_END;

/** True for an address inside a thread stack, an IST area or the entry stack. */
const THREAD_END = THREAD_STACKS + 16n * 0x8000n;
const IST_END = istTop(7);
const ENTRY_BOTTOM = ENTRY_STACK_TOP - 0x1000n;
export function isKernelStack(addr: bigint): boolean {
  if (addr > THREAD_STACKS && addr <= THREAD_END) {
    // Comparisons only (BigInt arithmetic allocates): stack k is (TOPS[k] - 16 KiB, TOPS[k]],
    // and an address at or below a stack's top is in it or in the gap below it.
    for (let k = 0; k < 16; k++) if (addr <= (TOPS[k] as bigint)) return addr > (BOTTOMS[k] as bigint);
    return false;
  }
  if (addr > IST_STACKS && addr <= IST_END) return true;
  return (addr > ENTRY_BOTTOM && addr <= ENTRY_STACK_TOP) || isEspfix(addr);
}

/**
 * Which kernel stack holds `addr`, as a number the same for every address of one stack: thread
 * stack k is k + 1, IST area n is 64 + n, the entry stack 128, the espfix area 129; 0 if none.
 */
export function kernelStackOf(addr: bigint): number {
  if (!isKernelStack(addr)) return 0;
  if (addr <= THREAD_END) {
    for (let k = 0; k < 16; k++) if (addr <= (TOPS[k] as bigint)) return k + 1;
  }
  if (addr > IST_STACKS && addr <= IST_END) return 64 + istOf(addr);
  return isEspfix(addr) ? 129 : 128;
}

/** The IST slot whose area holds `addr` (0 if none). */
export function istOf(addr: bigint): number {
  if (addr <= IST_STACKS || addr > istTop(7)) return 0;
  return Number((addr - IST_STACKS + 0x3fffn) / 0x4000n);
}

/** User address space every task starts with (page ranges, end exclusive). */
export const USER_CODE = 0x40_0000n;
export const USER_DATA = 0x60_0000n;
export const USER_DEMAND = 0x70_0000n;
export const USER_STACK_TOP = 0x7fff_ffff_f000n;
/** 32-bit tasks: code, stack, and the vDSO page with __kernel_vsyscall. */
export const COMPAT_CODE = 0x0804_8000n;
export const COMPAT_STACK_TOP = 0xffff_d000n;
export const VDSO32 = 0xf7fc_0000n;
/** int80_landing_pad: the instruction after `int $0x80` in __kernel_vsyscall (system_call.S). */
export const LANDING_PAD = VDSO32 + 0x57en;
/** The rseq critical section of task 1 and its abort handler (all in the code page). */
export const RSEQ_CS_START = USER_CODE + 0x800n;
export const RSEQ_CS_END = USER_CODE + 0x900n;
export const RSEQ_ABORT = USER_CODE + 0xf00n;
/** The user signal handler every task installs for the signals it handles. */
export const SIG_HANDLER = USER_CODE + 0xe00n;

/** Task 1's initial stack pointer (kernel/initial.ts starts it here). */
export const TASK1_STACK = USER_STACK_TOP - 0x1000n;

/**
 * The named addresses a trace may use as operands ("$user_data+0x10"), per paging mode. `$rip`
 * and `$next` are not here: the model knows them where an event runs.
 */
export function layoutSymbols(paging: Paging): Readonly<Record<string, bigint>> {
  return {
    user_code: USER_CODE, user_data: USER_DATA, user_demand: USER_DEMAND, user_stack: TASK1_STACK, user_stack_top: USER_STACK_TOP,
    compat_code: COMPAT_CODE, compat_stack_top: COMPAT_STACK_TOP, vdso32: VDSO32, landing_pad: LANDING_PAD,
    rseq_cs: RSEQ_CS_START, rseq_abort: RSEQ_ABORT, sig_handler: SIG_HANDLER, task_size_max: taskSizeMax(paging),
    user_half_end: userHalfEnd(paging), nmi_stack: istTop(2), percpu: PERCPU_BASE, null: 0n,
  };
}

/** Every symbol name an operand may use: the layout's and the model's own `$rip` and `$next`. */
export const SYMBOL_NAMES: readonly string[] = [...Object.keys(layoutSymbols(4)), 'rip', 'next'];
