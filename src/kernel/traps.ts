/**
 * Handler bodies of the other exceptions and of device interrupts.
 *
 * Kernel guarantees: a user-mode trap becomes a signal with the si_code and si_addr Linux gives
 * it (#GP: SIGSEGV, SI_KERNEL, address 0; #DB single-step: SIGTRAP, TRAP_TRACE; INT3: SIGTRAP,
 * TRAP_BRKPT; #UD: SIGILL); a kernel-mode fault resumes at its exception-table fixup or is an
 * oops; a single-step trap inside the SYSENTER entry (TF survives SYSENTER, x86-semantics 4.3)
 * is ignored only while RIP is in the region that can be single-stepped (is_sysenter_singlestep).
 */
import { rf } from '../isa/index.ts';
import { SI, SIG, TIF, type Machine, type MachineState } from '../model/index.ts';
import type { Ctx } from './ctx.ts';
import { frameOf } from './entry-idt.ts';
import { act, call, cur, halt, note, ret, setCpu, tif, warn } from './ops.ts';
import { step, type Program } from './program.ts';
import { forceSig } from './signals.ts';

const fromUser = (m: MachineState): boolean => act(m)?.notes.userRegs === true;

/** A kernel-mode fault: exception-table fixup or oops. */
function kernelFault(c: Ctx, w: Machine, what: string): void {
  const f = frameOf(w);
  const fix = c.T.fixupFor(f.rip);
  if (fix !== undefined) w.writeQs(f.at, [fix]);
  else halt(w, 'unhandled-fault', `${what} in kernel mode at ${c.T.describe(f.rip)}`);
}

/** exc_debug, exc_int3, exc_general_protection & co, the double fault, device interrupts. */
export function trapHandlers(c: Ctx): Program[] {
  const { T, d } = c;
  const body = (name: string, what: string, run: (w: Machine, next: bigint) => void): Program =>
    ({ name, items: [step(what, (w, x) => run(w, x.next)), step('ret', (w) => ret(w))] });
  return [
    body('handler_db', 'exc_debug: read DR6', (w, next) => {
      const cause = act(w)?.hw.db ?? 'single-step';
      const t = cur(w);
      if (fromUser(w)) {
        if (cause === 'single-step' && t.ptrace.attached && (t.tif & TIF.SINGLESTEP) !== 0) {
          call(w, T.addr('ptrace_stop.singlestep'), next);
          return;
        }
        w.emit({ kind: 'trap', task: t.id, rip: t.regs.rip });
        forceSig(w, SIG.SIGTRAP, cause === 'watchpoint' ? SI.TRAP_HWBKPT : SI.TRAP_TRACE, t.regs.rip);
        return;
      }
      const f = frameOf(w);
      if (cause === 'watchpoint') {
        // A user watchpoint whose #DB was held by MOV SS and delivered at a kernel entry. Since
        // v5.10 exc_debug_kernel only lets ptrace_triggered record it in the virtual DR6 (no
        // signal; co-simulation on a real 6.18 kernel agrees). Before, do_debug ended in
        // send_sigtrap: a forced SIGTRAP whose si_addr is NULL, the regs being kernel mode.
        if (d.kernelWatchpointSignal !== false) forceSig(w, SIG.SIGTRAP, SI.TRAP_HWBKPT, 0n);
        return;
      }
      if (T.within(f.rip, 'entry_SYSENTER_compat', 'entry_SYSENTER_compat.tf_cleared')) return;
      warn(w, `single-step #DB in kernel mode at ${T.describe(f.rip)} (outside the SYSENTER region)`);
      w.writeQs(f.at + 16n, [f.flags & ~rf.TF]);
    }),
    body('handler_bp', 'exc_int3', (w) => {
      if (!fromUser(w)) { halt(w, 'unhandled-fault', `int3 in kernel mode at ${T.describe(frameOf(w).rip)}`); return; }
      const t = cur(w);
      w.emit({ kind: 'trap', task: t.id, rip: t.regs.rip });
      // do_int3_user -> do_trap(X86_TRAP_BP, SIGTRAP, "int3", regs, 0, 0, NULL): sicode 0 means
      // force_sig(SIGTRAP), i.e. si_code SI_KERNEL and no address (arch/x86/kernel/traps.c; the
      // real 6.18 kernel agrees, found by co-simulation).
      forceSig(w, SIG.SIGTRAP, SI.KERNEL, 0n);
    }),
    body('handler_gp', 'exc_general_protection', (w) => {
      if (fromUser(w)) forceSig(w, SIG.SIGSEGV, SI.KERNEL, 0n);
      else kernelFault(c, w, '#GP');
    }),
    body('handler_np_ss', 'exc_segment_not_present / exc_stack_segment', (w) => {
      if (fromUser(w)) forceSig(w, SIG.SIGBUS, SI.KERNEL, 0n);
      else kernelFault(c, w, '#NP/#SS');
    }),
    body('handler_ud', 'exc_invalid_op', (w) => {
      if (fromUser(w)) forceSig(w, SIG.SIGILL, SI.ILL_ILLOPN, cur(w).regs.rip);
      else halt(w, 'unhandled-fault', 'invalid opcode in kernel mode');
    }),
    body('handler_df', 'exc_double_fault: panic', (w) => halt(w, 'double-fault', `double fault at ${T.describe(frameOf(w).rip)}`)),
    body('handler_unexpected', 'unexpected exception: die()', (w) => halt(w, 'unhandled-fault', `unexpected vector ${act(w)?.vector ?? -1}`)),
    {
      name: 'handler_irq',
      items: [
        ...(d.irqSavesCr2 ? [step('save CR2 (an interrupted #PF entry may not have read it yet)', (w) => note(w, { cr2: w.cpu.cr2 }))] : []),
        step('irq_enter; handle the device; timer: scheduler_tick sets NEED_RESCHED', (w) => {
          if (act(w)?.vector === 0x20) tif(w, TIF.NEED_RESCHED);
        }),
        ...(d.irqSavesCr2 ? [step('restore CR2', (w) => setCpu(w, { cr2: act(w)?.notes.cr2 ?? w.cpu.cr2 }))] : []),
        step('ret', (w) => ret(w)),
      ],
    },
  ];
}
