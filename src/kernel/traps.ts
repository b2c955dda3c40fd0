/**
 * Handler bodies of the other exceptions and of device interrupts.
 *
 * Kernel guarantees: a user-mode trap becomes a signal with the si_code and si_addr Linux gives
 * it (#GP: SIGSEGV, SI_KERNEL, address 0; #DB single-step: SIGTRAP, TRAP_TRACE; INT3: SIGTRAP,
 * TRAP_BRKPT; #UD: SIGILL); a kernel-mode fault resumes at its exception-table fixup or is an
 * oops; a single-step trap inside the SYSENTER entry (TF survives SYSENTER, x86-semantics 4.3)
 * is ignored only while RIP is in the region that can be single-stepped (is_sysenter_singlestep).
 */
import { rf, writeQs } from '../isa/index.ts';
import { SI, SIG, TIF, type MachineState } from '../model/index.ts';
import type { Ctx } from './ctx.ts';
import { frameOf } from './entry-idt.ts';
import { act, call, cur, halt, note, ret, setPercpu, tif, warn } from './ops.ts';
import { step, type Program } from './program.ts';
import { forceSig } from './signals.ts';

const fromUser = (m: MachineState): boolean => act(m)?.notes.userRegs === true;

/** A kernel-mode fault: exception-table fixup or oops. */
function kernelFault(c: Ctx, m: MachineState, emit: Parameters<typeof halt>[1], what: string): MachineState {
  const f = frameOf(m);
  const fix = c.T.fixupFor(f.rip);
  if (fix !== undefined) return { ...m, mem: writeQs(m.mem, f.at, [fix]) };
  return halt(m, emit, 'unhandled-fault', `${what} in kernel mode at ${c.T.describe(f.rip)}`);
}

/** exc_debug, exc_int3, exc_general_protection & co, the double fault, device interrupts. */
export function trapHandlers(c: Ctx): Program[] {
  const { T, d } = c;
  const body = (name: string, what: string, run: (m: MachineState, emit: Parameters<typeof halt>[1], next: bigint) => MachineState): Program =>
    ({ name, items: [step(what, (m, x) => run(m, x.emit, x.next)), step('ret', (m) => ret(m))] });
  return [
    body('handler_db', 'exc_debug: read DR6', (m, emit, next) => {
      const a = act(m);
      const cause = a?.hw.db ?? 'single-step';
      const t = cur(m);
      if (fromUser(m)) {
        if (cause === 'single-step' && t.ptrace.attached && (t.tif & TIF.SINGLESTEP) !== 0) {
          return call(m, T.addr('ptrace_stop.singlestep'), next);
        }
        emit({ kind: 'trap', task: t.id, rip: t.regs.rip });
        return forceSig(m, SIG.SIGTRAP, cause === 'watchpoint' ? SI.TRAP_HWBKPT : SI.TRAP_TRACE, t.regs.rip);
      }
      const f = frameOf(m);
      if (cause === 'watchpoint') {
        // A user watchpoint whose #DB was held by MOV SS and delivered at a kernel entry. Since
        // v5.10 exc_debug_kernel only lets ptrace_triggered record it in the virtual DR6 (no
        // signal; co-simulation on a real 6.18 kernel agrees). Before, do_debug ended in
        // send_sigtrap: a forced SIGTRAP whose si_addr is NULL, the regs being kernel mode.
        if (d.kernelWatchpointSignal === false) return m;
        return forceSig(m, SIG.SIGTRAP, SI.TRAP_HWBKPT, 0n);
      }
      if (T.within(f.rip, 'entry_SYSENTER_compat', 'entry_SYSENTER_compat.tf_cleared')) return m;
      warn(emit, `single-step #DB in kernel mode at ${T.describe(f.rip)} (outside the SYSENTER region)`);
      return { ...m, mem: writeQs(m.mem, f.at + 16n, [f.flags & ~rf.TF]) };
    }),
    body('handler_bp', 'exc_int3', (m, emit) => {
      if (!fromUser(m)) return halt(m, emit, 'unhandled-fault', `int3 in kernel mode at ${T.describe(frameOf(m).rip)}`);
      const t = cur(m);
      emit({ kind: 'trap', task: t.id, rip: t.regs.rip });
      // do_int3_user -> do_trap(X86_TRAP_BP, SIGTRAP, "int3", regs, 0, 0, NULL): sicode 0 means
      // force_sig(SIGTRAP), i.e. si_code SI_KERNEL and no address (arch/x86/kernel/traps.c; the
      // real 6.18 kernel agrees, found by co-simulation).
      return forceSig(m, SIG.SIGTRAP, SI.KERNEL, 0n);
    }),
    body('handler_gp', 'exc_general_protection', (m, emit) =>
      (fromUser(m) ? forceSig(m, SIG.SIGSEGV, SI.KERNEL, 0n) : kernelFault(c, m, emit, '#GP'))),
    body('handler_np_ss', 'exc_segment_not_present / exc_stack_segment', (m, emit) =>
      (fromUser(m) ? forceSig(m, SIG.SIGBUS, SI.KERNEL, 0n) : kernelFault(c, m, emit, '#NP/#SS'))),
    body('handler_ud', 'exc_invalid_op', (m, emit) =>
      (fromUser(m) ? forceSig(m, SIG.SIGILL, SI.ILL_ILLOPN, cur(m).regs.rip) : halt(m, emit, 'unhandled-fault', 'invalid opcode in kernel mode'))),
    body('handler_df', 'exc_double_fault: panic', (m, emit) => halt(m, emit, 'double-fault', `double fault at ${T.describe(frameOf(m).rip)}`)),
    body('handler_unexpected', 'unexpected exception: die()', (m, emit) =>
      halt(m, emit, 'unhandled-fault', `unexpected vector ${act(m)?.vector ?? -1}`)),
    {
      name: 'handler_irq',
      items: [
        ...(d.irqSavesCr2 ? [step('save CR2 (an interrupted #PF entry may not have read it yet)', (m) => note(m, { cr2: m.cpu.cr2 }))] : []),
        step('irq_enter; handle the device; timer: scheduler_tick sets NEED_RESCHED', (m) =>
          (act(m)?.vector === 0x20 ? tif(m, TIF.NEED_RESCHED) : m)),
        ...(d.irqSavesCr2 ? [step('restore CR2', (m) => ({ ...m, cpu: { ...m.cpu, cr2: act(m)?.notes.cr2 ?? m.cpu.cr2 } }))] : []),
        step('ret', (m) => ret(m)),
      ],
    },
  ];
  void setPercpu;
}
