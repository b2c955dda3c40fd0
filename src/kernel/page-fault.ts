/**
 * The #PF handler body (exc_page_fault / do_page_fault).
 *
 * Hardware (x86-semantics 5.2): CR2 holds the faulting address from delivery until the next #PF
 * overwrites it; the error code says not-present vs protection, write, user. Kernel guarantees
 * (linux-entry-history 5.5): the handler acts on the CR2 of its own fault, so CR2 is read before
 * anything that can fault (noinstr), with IRQs off (interrupt gate), and the value read survives
 * every intervening call; demand-paged user memory is filled in; a kernel fault on a user
 * address resumes at its exception-table fixup (copy_from_user returns -EFAULT); anything else
 * in the kernel is an oops; a user fault that cannot be resolved is SIGSEGV with si_addr = CR2.
 */
import { accessFault, pageOf, SI, SIG, type Machine, type StepOut } from '../model/index.ts';
import { taskSizeMax } from '../isa/index.ts';
import type { Ctx } from './ctx.ts';
import { frameOf, frameQ } from './entry-idt.ts';
import { act, cur, halt, note, ret, setCpu } from './ops.ts';
import { step, type Item, type Program } from './program.ts';
import { faultSignal } from './signals.ts';

/** The value a C call leaves in a caller-saved register the code thought still held CR2. */
export const CLOBBERED = 0n;

/** The #PF handler. */
export function pageFault(c: Ctx): Program {
  const { d, T } = c;
  const read = step('address = read_cr2()', (w) => note(w, { cr2: w.cpu.cr2 }));
  const instrumentation = step('irqentry_enter, trace_hardirqs_off, context tracking', (w): StepOut => {
    const fromUser = (frameQ(w, 8n) & 3n) === 3n;
    if (d.cr2Keep === 'caller-saved' && act(w)?.notes.cr2 !== undefined) note(w, { cr2: CLOBBERED });
    if (!d.faultingInstrumentation || !fromUser) return;
    // A tracer recording the user stack reads it here; that read can itself fault (B17).
    const f = accessFault(w.k, w.cpu.paging, cur(w).regs.rsp & ~7n, 'read', false);
    return f === null ? undefined : { fault: f };
  }, { fixup: 'handler_pf.after_trace' });
  const irqOn = step('local_irq_enable() if the fault came from user mode or IF was on', (w) => {
    if ((frameQ(w, 16n) & 0x200n) !== 0n) setCpu(w, { rflags: w.cpu.rflags | 0x200n });
  });
  const items: Item[] = [
    ...(d.cr2Read === 'first' ? [read] : []),
    instrumentation,
    { label: 'handler_pf.after_trace' },
    ...(d.cr2Read === 'after-instrumentation' ? [read] : []),
    ...(d.cr2Read === 'after-irq-enable' ? [irqOn, read] : [irqOn]),
    step('handle_page_fault(regs, error_code, address)', (w) => {
      const f = frameOf(w);
      const addr = act(w)?.notes.cr2 ?? w.cpu.cr2;
      note(w, { pfAddr: addr });
      const error = Number(f.err ?? 0n);
      const kind = pageOf(w.k, addr);
      const fromUser = (f.cs & 3n) === 3n;
      // Demand paging, unless page faults are disabled (NMI context: copy_from_user_nmi). An
      // instruction fetch from a demand page is an access error of its (non-executable, data)
      // VMA, refused before handle_mm_fault (do_user_addr_fault's access_error): SEGV_ACCERR,
      // nothing filled in (co-simulation on a real kernel shows it).
      const fetchFromData = kind === 'demand' && (error & 16) !== 0;
      if (kind === 'demand' && !fetchFromData && addr >> 47n === 0n && (fromUser || w.k.percpu.preemptCount === 0)) {
        w.setPage(addr, 'data');
        return;
      }
      // A user access to the kernel half (fault_in_kernel_space: addr >= TASK_SIZE_MAX) goes
      // through do_kern_addr_fault -> bad_area_nosemaphore: SEGV_MAPERR whatever the P bit says
      // (arch/x86/mm/fault.c; co-simulation on a real kernel agrees). User-half protection
      // faults are VMA access errors: SEGV_ACCERR, whether or not the page was present (a write
      // to a read-only page not yet faulted in has no P bit: user-memory.ts).
      if (fromUser) {
        const kernelHalf = addr >= taskSizeMax(w.cpu.paging);
        // set_signal_archinfo (arch/x86/mm/fault.c): "pretend that user-mode accesses to kernel
        // addresses are always protection faults"; trap_nr = X86_TRAP_PF, error_code | X86_PF_USER.
        const code = kind !== undefined && !kernelHalf ? SI.SEGV_ACCERR : SI.SEGV_MAPERR;
        faultSignal(w, { nr: 14, error: BigInt(error | 4 | (kernelHalf ? 1 : 0)), cr2: addr }, SIG.SIGSEGV, code, addr);
        return;
      }
      const fix = T.fixupFor(f.rip);
      if (fix !== undefined) { w.writeQs(f.at, [fix]); return; }
      halt(w, 'unhandled-fault', `kernel #PF at ${T.describe(f.rip)} on address 0x${addr.toString(16)}`);
    }),
    step('ret', (w) => ret(w)),
  ];
  return { name: 'handler_pf', items };
}

/** Marks the page holding `addr` present (demand paging). */
export function fillPage(w: Machine, addr: bigint): void {
  w.setPage(addr, 'data');
}
