/**
 * The instructions that leave the kernel for user mode, each preceded by the register restore it
 * needs. Hardware: SYSRET takes RIP from RCX and RFLAGS from R11 and loads fixed CS/SS; SYSEXIT
 * takes RIP from RDX and RSP from RCX and leaves RFLAGS alone; IRET pops RIP, CS, RFLAGS, RSP,
 * SS and checks them (x86-semantics 4.2, 4.3, 4.5).
 * Kernel guarantees: from the moment RSP holds the user's value (SYSRET/SYSEXIT) or GS the
 * user's base, nothing runs that could be interrupted by code trusting them (IRQs are off).
 */
import { popf, rf, sysexit, sysret, iretq, type CpuState, type ExecResult } from '../isa/index.ts';
import { TIF, type Machine, type PtRegs, type ReturnVia } from '../model/index.ts';
import { GPR_PUSH_ORDER, stiStep, swapgsStep, type Ctx } from './ctx.ts';
import { topOfStack } from './entry-syscall-64.ts';
import { isa, patchTask, popAct, setRegs, pt, tif } from './ops.ts';
import { ptRead, returnObs } from './observe.ts';
import { espfixFrame, needsEspfix } from './espfix.ts';
import { label, step, type Program, type StepSpec } from './program.ts';

/** Restores the general registers from pt_regs, except those listed. */
function popRegs(except: readonly string[] = []): StepSpec {
  const fields = GPR_PUSH_ORDER.filter((f) => !except.includes(f));
  return step(`POP_REGS${except.length ? ` (not ${except.join(', ')})` : ''}`, (w) => {
    ptRead(w, 'the exit path (POP_REGS)');
    const r = pt(w);
    const regs = w.regsW();
    if (fields.length === GPR_PUSH_ORDER.length) {
      // All fifteen (the IRET exit): field by field, no keyed access.
      regs.rdi = r.rdi; regs.rsi = r.rsi; regs.rdx = r.rdx; regs.rcx = r.rcx; regs.rax = r.rax; regs.r8 = r.r8; regs.r9 = r.r9;
      regs.r10 = r.r10; regs.r11 = r.r11; regs.rbx = r.rbx; regs.rbp = r.rbp; regs.r12 = r.r12; regs.r13 = r.r13; regs.r14 = r.r14;
      regs.r15 = r.r15;
    } else for (const f of fields) regs[f] = r[f];
  }, { stack: true });
}

/** After a successful return to user: end the activation, drop per-syscall flags, observe. */
function returned(w: Machine, via: ReturnVia): void {
  w.emit(returnObs(w, via));
  popAct(w);
  tif(w, 0, TIF.FASTSYSCALL | TIF.FORCE_IRET);
  patchTask(w, { mode: 'user' });
}

/** Executes an exit instruction and records the return (or lets its fault be delivered). */
function leave(via: ReturnVia, run: (cpu: CpuState, w: Machine) => ExecResult): StepSpec {
  const names: Record<ReturnVia, string> = { sysret: 'sysretq', sysretl: 'sysretl', sysexit: 'sysexit', iret: 'iretq' };
  return step(names[via], (w) => {
    const fault = isa(w, run(w.cpu, w));
    if (fault) return fault;
    returned(w, via);
  }, { insn: true });
}

/** The SYSRET, SYSRETL, SYSEXIT and IRET exits. */
export function exitPaths(c: Ctx): Program[] {
  const fast = c.d.sysretWhere === 'fast-path-only';
  const ripFrom = (r: PtRegs): bigint => (fast ? r.rip : r.rcx);
  const flagsFrom = (r: PtRegs): bigint => (fast ? r.rflags : r.r11);
  return [
    {
      name: 'sysret_exit',
      items: [
        { ...popRegs(['rcx', 'r11']), fork: 'sysret' },
        step(fast ? 'movq RIP(%rsp), %rcx; movq EFLAGS(%rsp), %r11' : 'movq RCX(%rsp), %rcx; movq R11(%rsp), %r11',
          (w) => setRegs(w, { rcx: ripFrom(pt(w)), r11: flagsFrom(pt(w)) }), { stack: true }),
        step('movq RSP(%rsp), %rsp (user RSP from here on)', (w) => setRegs(w, { rsp: pt(w).rsp }), { stack: true }),
        swapgsStep('swapgs (user GS from here on)'),
        leave('sysret', (cpu, w) => sysret(cpu, w.mem, true)),
      ],
    },
    {
      name: 'sysretl_exit',
      items: [
        { ...popRegs(['rcx', 'r11']), fork: 'sysretl' },
        // sysret32_from_system_call (entry_64_compat.S): "We zero R8-R10 to avoid info leaks";
        // R11 = flags; R12-R15 are not reloaded, so they keep what the compat entry's
        // PUSH_AND_CLEAR_REGS left: 0 (pending gap sysretl-r12-r15).
        step('movl RIP(%rsp), %ecx; movl EFLAGS(%rsp), %r11d; zero r8-r10 (r12-r15 still clear)', (w) => {
          const r = pt(w);
          setRegs(w, { rcx: r.rip, r11: r.rflags, r8: 0n, r9: 0n, r10: 0n, r12: 0n, r13: 0n, r14: 0n, r15: 0n });
        }, { stack: true }),
        // A 32-bit move zero-extends (SDM Vol. 1 3.4.1.1); the full values are kept here, since
        // after the switch to compatibility mode the upper halves are undefined (the same section;
        // AMD APM Vol. 1 3.1.2, "GPR High 32 Bits Across Mode Switches").
        step('movl RSP(%rsp), %esp', (w) => setRegs(w, { rsp: pt(w).rsp }), { stack: true }),
        swapgsStep('swapgs'),
        leave('sysretl', (cpu, w) => sysret(cpu, w.mem, false)),
      ],
    },
    {
      name: 'sysexit_exit',
      items: [
        { ...popRegs(['rcx', 'rdx']), fork: 'sysexit' },
        step('popfq (pt_regs->flags without IF)', (w) => isa(w, popf(w.cpu, w.mem, pt(w).rflags & ~rf.IF)), { insn: true, stack: true }),
        step('movl RIP(%rsp), %edx; movl RSP(%rsp), %ecx', (w) => setRegs(w, { rdx: pt(w).rip, rcx: pt(w).rsp }), { stack: true }),
        swapgsStep('swapgs'),
        stiStep('sti (its shadow covers sysexit)'),
        leave('sysexit', (cpu, w) => sysexit(cpu, w.mem, false)),
      ],
    },
    {
      name: 'iret_exit',
      items: [
        popRegs(),
        step('IRET frame from pt_regs (ip, cs, flags, sp, ss); an LDT SS: on the espfix64 stack', (w) => {
          const r = pt(w);
          // native_irq_return_ldt: the frame goes to the espfix stack, RSP bits 31:16 the user's.
          const at = needsEspfix(c, r) ? espfixFrame(r.rsp) : topOfStack(w) - 40n;
          setRegs(w, { rsp: at });
          w.writeQs(at, [r.rip, r.cs, r.rflags, r.rsp, r.ss]);
        }, { stack: true }),
        swapgsStep('swapgs'),
        label('native_irq_return_iret'),
        leave('iret', (cpu, w) => iretq(cpu, w.mem)),
      ],
    },
  ];
}
