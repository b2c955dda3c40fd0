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
import { knobOf } from './design.ts';
import { frameOf } from './entry-idt.ts';
import { act, call, cur, halt, note, ret, setCpu, tif, warn, writePt } from './ops.ts';
import { step, type Program } from './program.ts';
import { faultSignal } from './signals.ts';
import { uaccessFault } from './uaccess.ts';

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
        const rip = t.regs.rip;
        // An instruction breakpoint: hw_breakpoint_handler sets RF in the saved flags "to avoid
        // breakpoint recursion when returning back to origin" (arch/x86/kernel/hw_breakpoint.c),
        // so the IRET lets the instruction run once.
        if (cause === 'breakpoint') writePt(w, { rflags: t.regs.rflags | rf.RF });
        w.emit({ kind: 'trap', task: t.id, rip });
        // exc_debug_user -> send_sigtrap(regs, 0, get_si_code(dr6)) (arch/x86/kernel/traps.c):
        // DR_STEP -> TRAP_TRACE, a DR_TRAPn -> TRAP_HWBKPT, nothing (ICEBP, "icebp = !dr6")
        // -> TRAP_BRKPT; thread.trap_nr = X86_TRAP_DB, error_code 0; si_addr = regs->ip.
        const code = cause === 'single-step' ? SI.TRAP_TRACE : cause === 'icebp' ? SI.TRAP_BRKPT : SI.TRAP_HWBKPT;
        faultSignal(w, { nr: 1, error: 0n }, SIG.SIGTRAP, code, rip);
        return;
      }
      const f = frameOf(w);
      if (cause === 'watchpoint') {
        // A user watchpoint whose #DB was held by MOV SS and delivered at a kernel entry. Since
        // v5.10 exc_debug_kernel only lets ptrace_triggered record it in the virtual DR6 (no
        // signal; co-simulation on a real 6.18 kernel agrees). Before, do_debug ended in
        // send_sigtrap: a forced SIGTRAP whose si_addr is NULL, the regs being kernel mode.
        if (knobOf(d, 'kernelWatchpointSignal')) faultSignal(w, { nr: 1, error: 0n }, SIG.SIGTRAP, SI.TRAP_HWBKPT, 0n);
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
      // real 6.18 kernel agrees, found by co-simulation). do_trap records trap_nr and error_code.
      faultSignal(w, { nr: 3, error: 0n }, SIG.SIGTRAP, SI.KERNEL, 0n);
    }),
    // gp_user_force_sig_segv / do_error_trap record trap_nr and the error code (a selector for
    // a bad IRET frame: sigreturn.c reads them back as err and trapno).
    body('handler_gp', 'exc_general_protection', (w) => {
      if (!fromUser(w)) { kernelFault(c, w, '#GP'); return; }
      // With UMIP (X86_FEATURE_UMIP: Zen 2 and later, Ice Lake and later) exc_general_protection
      // first tries fixup_umip_exception, whose insn_fetch_from_user copies the instruction at
      // the user IP (arch/x86/kernel/traps.c, umip.c at v6.7): that read faults the code page in.
      const ip = cur(w).regs.rip;
      for (const a of [ip, ip + 14n]) {
        if (uaccessFault(w, a, 'read') !== null) break;
        w.touch(a);
      }
      faultSignal(w, { nr: 13, error: BigInt(act(w)?.hw.error ?? 0) }, SIG.SIGSEGV, SI.KERNEL, 0n);
    }),
    body('handler_np_ss', 'exc_segment_not_present / exc_stack_segment', (w) => {
      const a = act(w);
      if (fromUser(w)) faultSignal(w, { nr: a?.vector ?? 11, error: BigInt(a?.hw.error ?? 0) }, SIG.SIGBUS, SI.KERNEL, 0n);
      else kernelFault(c, w, '#NP/#SS');
    }),
    body('handler_ud', 'exc_invalid_op', (w) => {
      if (fromUser(w)) faultSignal(w, { nr: 6, error: 0n }, SIG.SIGILL, SI.ILL_ILLOPN, cur(w).regs.rip);
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

/**
 * Handlers of the vectors added later (their programs go at the end of the kernel text, so the
 * existing ones keep their addresses): #OF, #AC and #MC.
 */
export function moreTrapHandlers(c: Ctx): Program[] {
  const { T } = c;
  const body = (name: string, what: string, run: (w: Machine) => void): Program =>
    ({ name, items: [step(what, (w) => run(w)), step('ret', (w) => ret(w))] });
  return [
    // exc_overflow: do_error_trap(regs, 0, "overflow", X86_TRAP_OF, SIGSEGV, 0, NULL): SI_KERNEL.
    body('handler_of', 'exc_overflow', (w) => {
      if (fromUser(w)) faultSignal(w, { nr: 4, error: 0n }, SIG.SIGSEGV, SI.KERNEL, 0n);
      else halt(w, 'unhandled-fault', `#OF in kernel mode at ${T.describe(frameOf(w).rip)}`);
    }),
    // exc_alignment_check: do_trap(X86_TRAP_AC, SIGBUS, "alignment check", regs, error_code,
    // BUS_ADRALN, NULL): si_addr NULL; a kernel-mode #AC is a die().
    body('handler_ac', 'exc_alignment_check', (w) => {
      if (fromUser(w)) faultSignal(w, { nr: 17, error: BigInt(act(w)?.hw.error ?? 0) }, SIG.SIGBUS, 1, 0n);
      else halt(w, 'unhandled-fault', `#AC in kernel mode at ${T.describe(frameOf(w).rip)}`);
    }),
    // do_machine_check for an action-optional error (SRAO): logged (mce_log), the memory
    // failure handled later from a work item; nothing for the interrupted context to see. It ends
    // with mce_wrmsrl(MSR_IA32_MCG_STATUS, 0), clearing MCIP (arch/x86/kernel/cpu/mce/core.c).
    body('handler_mc', 'exc_machine_check: do_machine_check (SRAO: mce_log; MCG_STATUS = 0)', (w) => { w.hwW().mcip = false; }),
  ];
}
