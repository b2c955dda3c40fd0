/**
 * The machine every trace starts from: one CPU in 64-bit user mode running task 1 (a 64-bit
 * process at the start of its code), task 2 (a 32-bit process, runnable, about to return from
 * the int $0x80 fork that created it), and the idle task. The user address space, signal
 * handlers and rseq registration are what a test program would have set up.
 */
import { EMPTY_MEMORY, makeCpu, fromDescriptor, lookupDescriptor, LINUX_TABLES, type Descriptor, userHalfEnd, VEC, USER_CS, USER_DS, USER32_CS, KERNEL_CS, fixRflags, rf, type Paging, type Vendor } from '../isa/index.ts';
import { copyKernel, copyPt, copyTask, mapRange, NO_PAGES, PT_COMPLETE, PT_FIELDS, SA, SIG, type MachineState, type PageKind, type PtRegs, type SigAction, type Task, type UserReg } from '../model/index.ts';
import type { BuiltKernel } from './build.ts';
import { IST_SLOT } from './build.ts';
import { knobOf } from './design.ts';
import {
  COMPAT_CODE, COMPAT_STACK_TOP, ENTRY_STACK_TOP, ESPFIX_BASE, ESPFIX_END, istTop, PERCPU_BASE, ptRegsAddr, stackTop, USER_CODE, USER_DATA,
  USER_DEMAND, USER_STACK_TOP, VDSO32, SIG_HANDLER, TASK1_STACK,
} from './layout.ts';

/** What a trace file's `initial` may change. */
export interface InitialOverrides {
  /** Task 1's user registers. */
  readonly regs?: Partial<Record<UserReg | 'rip', bigint>>;
  readonly rflags?: bigint;
  readonly gsBase?: bigint;
  /** Extra user mappings (page-aligned ranges, end exclusive). */
  readonly pages?: ReadonlyArray<{ readonly start: bigint; readonly end: bigint; readonly kind: PageKind | 'unmapped' }>;
  /** Task 2 is a 64-bit process instead of a 32-bit one. */
  readonly task2Is64?: boolean;
  /** Task 1 is a 32-bit process, running in 32-bit code (its stack below task 2's), instead of a 64-bit one. */
  readonly task1Is32?: boolean;
  /** Signals with a user handler (default: SIGILL, SIGTRAP, SIGBUS, SIGUSR1, SIGSEGV, SIGUSR2). */
  readonly handled?: readonly number[];
}

/** Initial register values of task 1 and task 2. */
export const TASK1_RIP = USER_CODE + 0x100n;
export const TASK1_RSP = TASK1_STACK;
export const TASK2_RIP = COMPAT_CODE + 0x100n;
export const TASK2_RSP = COMPAT_STACK_TOP - 0x800n;
/** Task 1's as a 32-bit process: its code beside task 2's, its stack 14 KiB below (both in the mapped compat stack). */
export const TASK1_RIP32 = COMPAT_CODE + 0x400n;
export const TASK1_RSP32 = COMPAT_STACK_TOP - 0x4000n;


function regsOf(values: Partial<Record<string, bigint>>): PtRegs {
  // Through copyPt: the same fields in the same order, with the hidden class the machine's copies have.
  return copyPt(Object.fromEntries(PT_FIELDS.map((f) => [f, values[f] ?? 0n])) as PtRegs);
}

const cache = new WeakMap<BuiltKernel, Map<string, MachineState>>();

/**
 * The initial state of a kernel on a vendor and paging mode. States are immutable, so the
 * state without overrides is built once per kernel, vendor and paging mode and shared.
 */
export function initialState(K: BuiltKernel, vendor: Vendor, paging: Paging, o: InitialOverrides = {}): MachineState {
  // Only overrides that change nothing: absent, or an empty register set or page list.
  const plain = Object.entries(o).every(([k, v]) => v === undefined || ((k === 'regs' || k === 'pages') && Object.keys(v as object).length === 0));
  if (!plain) return buildInitial(K, vendor, paging, o);
  let byRun = cache.get(K);
  if (!byRun) { byRun = new Map(); cache.set(K, byRun); }
  const key = `${vendor}/${paging}`;
  let m = byRun.get(key);
  if (!m) { m = buildInitial(K, vendor, paging, {}); byRun.set(key, m); }
  return m;
}

function buildInitial(K: BuiltKernel, vendor: Vendor, paging: Paging, o: InitialOverrides): MachineState {
  const d = K.design.knobs;
  const T = K.text;
  const ranges: Array<[bigint, bigint, PageKind | 'unmapped']> = [
    [USER_CODE, USER_CODE + 0x10000n, 'code'], [USER_DATA, USER_DATA + 0x10000n, 'data'],
    [USER_DEMAND, USER_DEMAND + 0x10000n, 'demand'], [USER_STACK_TOP - 0x21000n, USER_STACK_TOP, 'data'],
    [COMPAT_CODE, COMPAT_CODE + 0x10000n, 'code'], [COMPAT_STACK_TOP - 0x21000n, COMPAT_STACK_TOP, 'data'],
    [VDSO32, VDSO32 + 0x1000n, 'code'],
    // Without the guard page the last user page can hold code (a SYSCALL at its very end).
    ...(!d.guardPage ? [[userHalfEnd(paging) - 0x1000n, userHalfEnd(paging), 'code'] as [bigint, bigint, PageKind]] : []),
    // Overrides: page-aligned ranges, end rounded up to a page.
    ...(o.pages ?? []).map((r): [bigint, bigint, PageKind | 'unmapped'] => [r.start & ~0xfffn, (r.end + 0xfffn) & ~0xfffn, r.kind]),
  ];
  const pages = ranges.reduce((t, [start, end, kind]) => mapRange(t, start, end, kind), NO_PAGES);
  const rflags = fixRflags(o.rflags ?? rf.IF);
  const t1compat = o.task1Is32 === true;
  const userRegs = { rsp: t1compat ? TASK1_RSP32 : TASK1_RSP, rip: t1compat ? TASK1_RIP32 : TASK1_RIP, ...o.regs };
  const ist = [0n, 1, 2, 3, 4, 5, 6, 7].map((n, i) => (i === 0 ? 0n : istTop(i)));
  void IST_SLOT;
  const cpu = makeCpu({
    vendor, paging, regs: userRegs, rflags, gsBase: o.gsBase ?? 0n, kernelGsBase: PERCPU_BASE,
    overrides: {
      msr: {
        star: (BigInt(USER32_CS) << 48n) | (BigInt(KERNEL_CS) << 32n),
        lstar: T.addr('entry_SYSCALL_64'),
        cstar: T.addr('entry_SYSCALL_compat'),
        fmask: d.fmask,
        sysenterCs: BigInt(KERNEL_CS),
        sysenterEsp: ENTRY_STACK_TOP,
        sysenterEip: T.addr('entry_SYSENTER_compat'),
      },
      idt: K.idt,
      tss: { rsp0: stackTop(1), ist },
      fsgsbase: d.fsgsbase,
      // CR4.SMAP: on since 3.7 (every preset); espfix64's alias is mapped read-only.
      smap: true,
      writeProtected: knobOf(d, 'espfix64') ? [[ESPFIX_BASE, ESPFIX_END]] : [],
      // A 32-bit task 1 runs with the CS its last IRET loaded (__USER32_CS from the GDT).
      ...(t1compat ? { cs: fromDescriptor(USER32_CS, lookupDescriptor(LINUX_TABLES, USER32_CS) as Descriptor) } : {}),
    },
  });
  const handled = o.handled ?? [SIG.SIGILL, SIG.SIGTRAP, SIG.SIGBUS, SIG.SIGUSR1, SIG.SIGSEGV, SIG.SIGUSR2];
  // What a test program installs: the handler for each handled signal with SA_SIGINFO,
  // SA_RESTART and SA_NODEFER (the co-simulation harness installs the same), registered by a
  // call of the process's own ABI (a 32-bit process's handlers get ia32 frames).
  const actions = (handler: bigint, ia32: boolean): Record<number, SigAction> =>
    Object.fromEntries(handled.map((s) => [s, { handler, flags: SA.SIGINFO | SA.RESTART | SA.NODEFER, mask: 0n, ia32 }]));
  const base = (id: number, compat: boolean): Task => ({
    id, mode: 'kernel', compat, tsCompat: false, tif: 0, regs: regsOf({}), written: PT_COMPLETE, acts: [], calls: [],
    resume: null, sig: { pending: 0n, blocked: 0n, actions: actions(SIG_HANDLER, compat), info: {}, altstack: null },
    ptrace: { attached: false, syscalls: false, fork: false, stop: null, stepping: false },
    sigframes: {}, watch: null, breakAt: null, trapInfo: { trapNr: 0, error: 0n, cr2: 0n }, ustruct: null,
    usersp: 0n, gsBase: 0n, wait: null, rseq: false, vsyscall: null,
  });
  const idle: Task = { ...base(0, false), sig: { ...base(0, false).sig, actions: {} } };
  const b1 = base(1, t1compat);
  const task1: Task = {
    ...b1, mode: 'user', rseq: true, gsBase: o.gsBase ?? 0n,
    ...(t1compat ? { sig: { ...b1.sig, actions: actions(COMPAT_CODE + 0xe00n, true) } } : {}),
  };
  const t2compat = !o.task2Is64;
  const t2regs = regsOf({
    rip: t2compat ? TASK2_RIP : USER_CODE + 0x200n, rsp: t2compat ? TASK2_RSP : TASK1_RSP - 0x8000n,
    cs: BigInt(t2compat ? USER32_CS : USER_CS), ss: BigInt(USER_DS), rflags: rf.IF | rf.FIXED, rax: 0n,
    orig_rax: t2compat ? 2n : 57n,
    // A 64-bit task 2 was forked by SYSCALL: its pt_regs are its parent's, RCX = RIP, R11 = RFLAGS
    // as the instruction left them (SDM Vol. 2B SYSCALL), which a SYSRET out of ret_from_fork uses.
    ...(t2compat ? {} : { rcx: USER_CODE + 0x200n, r11: rf.IF | rf.FIXED }),
  });
  const b2 = base(2, t2compat);
  const task2: Task = {
    ...b2, mode: 'new', regs: t2regs, sig: { ...b2.sig, actions: actions(t2compat ? COMPAT_CODE + 0xe00n : SIG_HANDLER, t2compat) },
    acts: [{
      id: 0, cause: t2compat ? 'idt' : 'syscall64', vector: t2compat ? VEC.INT80 : -1, fromUser: true, frame: null, interrupted: t2regs.rip,
      hw: {}, notes: { userRegs: true, swapgs: true, slow: true },
    }],
    resume: { rip: T.addr('ret_from_fork'), rsp: ptRegsAddr(2) },
  };
  return {
    cpu,
    mem: EMPTY_MEMORY,
    k: copyKernel({
      current: 1, tasks: [idle, task1, task2].map(copyTask), runq: [2],
      percpu: { rspScratch: 0n, nmiState: 'idle', nmiExecuting: false, nmiRepeat: false, nmiCr2: 0n, preemptCount: 0, next: 0, nmiHandled: 0, nmiLastHandled: -1 },
      pages, bytes: {}, nextActId: 1, xstate: undefined, idle: false, halted: null,
    }),
    hw: { armed: [], irq: [], nmi: false, mce: false, mcip: false, nmiDelivered: 0, nmiLastDelivered: -1 },
    clock: 0,
  };
}
