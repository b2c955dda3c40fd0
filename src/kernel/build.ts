/**
 * Building a kernel from a design: assemble every path into kernel text, program the IDT, and
 * answer the model's questions (KernelImpl).
 */
import { VEC, type Gate } from '../isa/index.ts';
import type { KernelImpl, Task } from '../model/index.ts';
import type { Ctx } from './ctx.ts';
import type { Design } from './design.ts';
import { compatEntries } from './entry-compat.ts';
import { badIretPrograms, idtentry, type VectorSpec } from './entry-idt.ts';
import { nmiPrograms } from './entry-nmi.ts';
import { syscall64 } from './entry-syscall-64.ts';
import { exitPaths } from './exit-paths.ts';
import { exitToUser } from './exit-to-user.ts';
import { isKernelStack, kernelStackOf, LANDING_PAD, layoutSymbols, PERCPU_BASE, RSEQ_ABORT, RSEQ_CS_END, RSEQ_CS_START } from './layout.ts';
import { pageFault } from './page-fault.ts';
import { Text, type Program } from './program.ts';
import { environment, ptracePrograms } from './ptrace.ts';
import { rseqProgram } from './rseq.ts';
import { scheduler } from './sched.ts';
import { signalPrograms } from './signal-delivery.ts';
import { signalSyscallPrograms } from './syscalls-signal.ts';
import { syscallNr } from './syscall-table.ts';
import { syscallPrograms } from './syscalls.ts';
import { moreTrapHandlers, trapHandlers } from './traps.ts';

const SYMBOLS = { 4: layoutSymbols(4), 5: layoutSymbols(5) } as const;

/** IST slots: Linux's DF 1, NMI 2, DB 3, MCE 4; the model adds 5 for IRQs, 6 for the old #SS stack. */
export const IST_SLOT = { df: 1, nmi: 2, db: 3, mc: 4, irq: 5, ss: 6 } as const;

/** The exception vectors with their own entries. */
const VECTORS: readonly VectorSpec[] = [
  { vector: VEC.DE, name: 'exc_divide_error', error: false, handler: 'handler_unexpected' },
  { vector: VEC.DB, name: 'exc_debug', error: false, handler: 'handler_db' },
  { vector: VEC.BP, name: 'exc_int3', error: false, handler: 'handler_bp' },
  { vector: VEC.UD, name: 'exc_invalid_op', error: false, handler: 'handler_ud' },
  { vector: VEC.DF, name: 'exc_double_fault', error: true, handler: 'handler_df' },
  { vector: VEC.TS, name: 'exc_invalid_tss', error: true, handler: 'handler_unexpected' },
  { vector: VEC.NP, name: 'exc_segment_not_present', error: true, handler: 'handler_np_ss' },
  { vector: VEC.SS, name: 'exc_stack_segment', error: true, handler: 'handler_np_ss' },
  { vector: VEC.GP, name: 'exc_general_protection', error: true, handler: 'handler_gp' },
  { vector: VEC.PF, name: 'exc_page_fault', error: true, handler: 'handler_pf' },
  { vector: VEC.AC, name: 'exc_alignment_check', error: true, handler: 'handler_ac' },
  { vector: VEC.MC, name: 'exc_machine_check', error: false, handler: 'handler_mc' },
  { vector: 0x20, name: 'irq_timer', error: false, handler: 'handler_irq' },
  { vector: 0x21, name: 'irq_device', error: false, handler: 'handler_irq' },
];

/**
 * Vectors whose entries came later: their programs go at the end of the text so that every older
 * program keeps its address. #OF is reached by INT 4 / INTO, so its gate has DPL 3
 * (SYSG(X86_TRAP_OF, asm_exc_overflow), arch/x86/kernel/idt.c).
 */
const LATE_VECTORS: readonly VectorSpec[] = [
  { vector: VEC.OF, name: 'exc_overflow', error: false, handler: 'handler_of' },
];
/** Gates user code may reach with INT n (DPL 3): #BP, #OF, INT $0x80 (idt.c SYSG/INTG). */
const USER_GATES: ReadonlySet<number> = new Set([VEC.BP, VEC.OF]);

/** The IST slot a vector uses in this design (0: none). */
function istFor(c: Ctx, v: number): number {
  const ist = c.d.ist;
  switch (v) {
    case VEC.DB: return ist.db ? IST_SLOT.db : 0;
    case VEC.BP: return ist.bp ? IST_SLOT.db : 0; // pre-2018: #BP shared the DEBUG stack
    case VEC.DF: return ist.df ? IST_SLOT.df : 0;
    case VEC.MC: return ist.mc ? IST_SLOT.mc : 0;
    case VEC.SS: return ist.ss ? IST_SLOT.ss : 0;
    case VEC.NMI: return ist.nmi ? IST_SLOT.nmi : 0;
    default: return v >= 0x20 && v !== 0x80 && c.d.irqEntryFixup ? IST_SLOT.irq : 0;
  }
}

/** A kernel built from a design, plus its text and IDT (for the initial state and tests). */
export interface BuiltKernel extends KernelImpl {
  readonly design: Design;
  readonly text: Text;
  readonly idt: Readonly<Record<number, Gate>>;
}

/** Builds the kernel of `design`. */
export function buildKernel(design: Design): BuiltKernel {
  const T = new Text();
  const c: Ctx = { d: design.knobs, o: design.overrides ?? {}, T };
  const entries = VECTORS.map((v) => idtentry(c, v, istFor(c, v.vector) !== 0));
  const programs: Program[] = [
    ...syscall64(c), ...compatEntries(c), ...exitToUser(c), ...exitPaths(c), ...entries,
    ...nmiPrograms(c), ...badIretPrograms(c), pageFault(c), ...trapHandlers(c), ...scheduler(c),
    ...signalPrograms(c), ...ptracePrograms(c), ...syscallPrograms(c), ...rseqProgram(c),
    // Added later, after everything older (older programs keep their addresses).
    ...LATE_VECTORS.map((v) => idtentry(c, v, istFor(c, v.vector) !== 0)), ...moreTrapHandlers(c), ...signalSyscallPrograms(c),
  ];
  T.assemble(programs);
  const idt: Record<number, Gate> = {};
  const gate = (v: number, handler: bigint, dpl = 0): Gate => ({
    type: v === VEC.PF && design.knobs.pfGate === 'trap' ? 'trap' : 'interrupt', ist: istFor(c, v), dpl, handler, present: true,
  });
  for (const v of [...VECTORS, ...LATE_VECTORS]) idt[v.vector] = gate(v.vector, T.addr(`asm_${v.name}`), USER_GATES.has(v.vector) ? 3 : 0);
  idt[VEC.NMI] = gate(VEC.NMI, T.addr('asm_exc_nmi'));
  idt[0x80] = gate(0x80, T.addr('entry_INT80_compat'), 3);
  for (let v = 0x22; v < 0x100; v++) if (v !== 0x80) idt[v] = gate(v, T.addr('asm_irq_device'));
  return {
    name: design.name,
    design,
    text: T,
    idt,
    at: (rip) => T.at(rip),
    env: (w, e) => environment(c, w, e),
    syscallNr,
    iretExit: T.addr('iret_exit'),
    percpuBase: PERCPU_BASE,
    vdso: { fastcall: LANDING_PAD - 4n, int80: LANDING_PAD - 2n, landingPad: LANDING_PAD },
    rseq: { start: RSEQ_CS_START, end: RSEQ_CS_END, abort: RSEQ_ABORT },
    isKernelStack,
    kernelStackOf,
    describe: (rip) => T.describe(rip),
    fixupFor: (rip) => T.fixupFor(rip),
    symbols: (paging) => SYMBOLS[paging],
  };
}

/** True while task `t` has a kernel context that entered from user mode. */
export const inKernelFromUser = (t: Task): boolean => t.acts.some((a) => a.fromUser);
