/**
 * The instructions that leave the kernel for user mode, each preceded by the register restore it
 * needs. Hardware: SYSRET takes RIP from RCX and RFLAGS from R11 and loads fixed CS/SS; SYSEXIT
 * takes RIP from RDX and RSP from RCX and leaves RFLAGS alone; IRET pops RIP, CS, RFLAGS, RSP,
 * SS and checks them (x86-semantics 4.2, 4.3, 4.5).
 * Kernel guarantees: from the moment RSP holds the user's value (SYSRET/SYSEXIT) or GS the
 * user's base, nothing runs that could be interrupted by code trusting them (IRQs are off).
 */
import { popf, rf, sysexit, sysret, iretq, writeQs, type CpuState } from '../isa/index.ts';
import { TIF, type MachineState, type PtRegs, type ReturnVia, type StepOut } from '../model/index.ts';
import { GPR_PUSH_ORDER, stiStep, swapgsStep, type Ctx } from './ctx.ts';
import { topOfStack } from './entry-syscall-64.ts';
import { isa, patchCur, popAct, setRegs, pt, tif } from './ops.ts';
import { ptRead, returnObs } from './observe.ts';
import { label, step, type Program, type StepSpec } from './program.ts';

/** Restores the general registers from pt_regs, except those listed. */
function popRegs(except: readonly string[] = []): StepSpec {
  return step(`POP_REGS${except.length ? ` (not ${except.join(', ')})` : ''}`, (m, x) => {
    ptRead(m, 'the exit path (POP_REGS)', x.emit);
    const r = pt(m);
    const regs: Record<string, bigint> = { ...m.cpu.regs };
    for (const f of GPR_PUSH_ORDER) if (!except.includes(f)) regs[f] = r[f];
    return { ...m, cpu: { ...m.cpu, regs: regs as CpuState['regs'] } };
  }, { stack: true });
}

/** After a successful return to user: end the activation, drop per-syscall flags, observe. */
function returned(m: MachineState, via: ReturnVia, emit: (o: ReturnType<typeof returnObs>) => void): MachineState {
  emit(returnObs(m, via));
  return patchCur(tif(popAct(m), 0, TIF.FASTSYSCALL | TIF.FORCE_IRET), { mode: 'user' });
}

/** Executes an exit instruction and records the return (or lets its fault be delivered). */
function leave(via: ReturnVia, run: (cpu: CpuState, m: MachineState) => ReturnType<typeof sysret>): StepSpec {
  const names: Record<ReturnVia, string> = { sysret: 'sysretq', sysretl: 'sysretl', sysexit: 'sysexit', iret: 'iretq' };
  return step(names[via], (m, x): StepOut => {
    const out = isa(m, run(m.cpu, m));
    if ('fault' in out) return out;
    return returned(out, via, x.emit);
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
          (m) => setRegs(m, { rcx: ripFrom(pt(m)), r11: flagsFrom(pt(m)) }), { stack: true }),
        step('movq RSP(%rsp), %rsp (user RSP from here on)', (m) => setRegs(m, { rsp: pt(m).rsp }), { stack: true }),
        swapgsStep('swapgs (user GS from here on)'),
        leave('sysret', (cpu, m) => sysret(cpu, m.mem, true)),
      ],
    },
    {
      name: 'sysretl_exit',
      items: [
        { ...popRegs(['rcx', 'r11']), fork: 'sysretl' },
        step('movl RIP(%rsp), %ecx; movl EFLAGS(%rsp), %r11d; zero r8-r10', (m) => {
          const r = pt(m);
          return setRegs(m, { rcx: r.rip, r11: r.rflags, r8: 0n, r9: 0n, r10: 0n });
        }, { stack: true }),
        step('movl RSP(%rsp), %esp', (m) => setRegs(m, { rsp: pt(m).rsp }), { stack: true }),
        swapgsStep('swapgs'),
        leave('sysretl', (cpu, m) => sysret(cpu, m.mem, false)),
      ],
    },
    {
      name: 'sysexit_exit',
      items: [
        { ...popRegs(['rcx', 'rdx']), fork: 'sysexit' },
        step('popfq (pt_regs->flags without IF)', (m) => isa(m, popf(m.cpu, m.mem, pt(m).rflags & ~rf.IF)), { insn: true, stack: true }),
        step('movl RIP(%rsp), %edx; movl RSP(%rsp), %ecx', (m) => setRegs(m, { rdx: pt(m).rip, rcx: pt(m).rsp }), { stack: true }),
        swapgsStep('swapgs'),
        stiStep('sti (its shadow covers sysexit)'),
        leave('sysexit', (cpu, m) => sysexit(cpu, m.mem, false)),
      ],
    },
    {
      name: 'iret_exit',
      items: [
        popRegs(),
        step('IRET frame from pt_regs (ip, cs, flags, sp, ss)', (m) => {
          const r = pt(m);
          const at = topOfStack(m) - 40n;
          return { ...setRegs(m, { rsp: at }), mem: writeQs(m.mem, at, [r.rip, r.cs, r.rflags, r.rsp, r.ss]) };
        }, { stack: true }),
        swapgsStep('swapgs'),
        label('native_irq_return_iret'),
        leave('iret', (cpu, m) => iretq(cpu, m.mem)),
      ],
    },
  ];
}
