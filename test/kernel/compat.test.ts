/**
 * 32-bit system calls: SYSENTER (Intel), SYSCALL from compatibility mode (AMD), INT $0x80, the vDSO
 * landing pad, SYSRETL/SYSEXIT eligibility and restart through int $0x80.
 * Sources: linux-entry-history 2.2-2.4 (do_fast_syscall_32, vdso32/system_call.S), bug B6.
 */
import { describe, expect, it } from 'vitest';
import { rf } from '../../src/isa/index.ts';
import { LANDING_PAD, TASK2_RIP, TASK2_RSP } from '../../src/kernel/index.ts';
import { SI, SIG, TIF, type Event } from '../../src/model/index.ts';
import { reference } from '../reference-design.ts';
import { at, ev, failures, firstStep, only, returns, run, signals, stepsOf, task } from './helpers.ts';

/** Task 1 yields, so task 2 (32-bit, in ret_from_fork) runs and is in user mode. */
const toTask2 = ev.int80('sched_yield');
const sysenter = (nr: 'getpid' | 'nanosleep' = 'getpid'): Event => ({ type: 'user.sysenter', nr });
const GETPID32 = 20n;

describe('SYSENTER (Intel)', () => {
  it('linux-6.7: enters entry_SYSENTER_compat, fixes pt_regs (sp from EBP, ip = landing pad) and returns by SYSRETL', () => {
    const r = run('linux-6.7', [toTask2, sysenter(), ev.nop]);
    expect(failures(r)).toEqual([]);
    expect(at(r, firstStep(r, 'SWAPGS', 'entry_SYSENTER_compat')).before.k.current).toBe(2);
    const fixed = at(r, firstStep(r, 'regs->ip = landing_pad'));
    expect(task(fixed.after, 2).regs).toMatchObject({ rip: LANDING_PAD, rsp: TASK2_RSP, orig_rax: GETPID32 });
    expect(task(fixed.after, 2).regs.rflags & rf.IF).toBe(rf.IF);
    const [, back] = returns(r, 2);
    expect(back).toMatchObject({ via: 'sysretl', rip: LANDING_PAD, rsp: TASK2_RSP, cs: 0x23 });
    expect(back?.view.regs.rax).toBe(2n);
  });

  // __kernel_vsyscall picks SYSENTER on Intel and SYSCALL on AMD (ALTERNATIVE_2, system_call.S):
  // the same 32-bit call enters through entry_SYSCALL_compat there. SYSENTER itself is #UD in
  // long mode on AMD (x86-semantics 4.3), as a 64-bit task executing it finds.
  it('on AMD, the vDSO uses SYSCALL instead; a SYSENTER from 64-bit code is #UD (SIGILL)', () => {
    const r = run('linux-6.7', [toTask2, sysenter(), ev.nop], { vendor: 'amd' });
    expect(stepsOf(r, 'entry_SYSENTER_compat')).toEqual([]);
    expect(stepsOf(r, 'entry_SYSCALL_compat').length).toBeGreaterThan(0);
    expect(returns(r, 2)[1]).toMatchObject({ via: 'sysretl', rip: LANDING_PAD });
    const ud = run('linux-6.7', [sysenter(), ev.nop], { vendor: 'amd' });
    expect(signals(ud)).toEqual([expect.objectContaining({ signal: SIG.SIGILL, code: SI.ILL_ILLOPN, rip: 0x400100n })]);
  });

  // Pre-2015 kernels returned from an untouched SYSENTER with SYSEXIT (sysexit_from_sys_call).
  it('linux-3.19 and linux-4.1 return from an untouched SYSENTER by SYSEXIT', () => {
    for (const d of ['linux-3.19', 'linux-4.1']) {
      expect(returns(run(d, [toTask2, sysenter(), ev.nop]), 2)[1], d).toMatchObject({ via: 'sysexit', rip: LANDING_PAD });
    }
  });

  // The landing pad's epilogue pops what __kernel_vsyscall pushed and returns to its caller.
  it('continues at the caller of __kernel_vsyscall after the landing pad', () => {
    const r = run('linux-6.7', [toTask2, sysenter(), ev.nop, ev.nop]);
    expect(only(r, 'user-insn').filter((o) => o.task === 2).map((o) => o.rip)).toEqual([TASK2_RIP, LANDING_PAD, TASK2_RIP + 2n]);
  });
});

describe('SYSCALL from compatibility mode (AMD)', () => {
  it('linux-6.7: passes arg 2 from EBP (SYSCALL took ECX) and returns by SYSRETL to the landing pad', () => {
    const r = run('linux-6.7', [toTask2, ev.syscall('kill', [0n, 0n]), ev.nop], { vendor: 'amd' });
    expect(failures(r)).toEqual([]);
    const pushed = at(r, firstStep(r, 'pt_regs->rcx', 'entry_SYSCALL_compat'));
    expect(task(pushed.after, 2).regs.rcx).toBe(pushed.before.cpu.regs.rbp);
    expect(returns(r, 2)[1]).toMatchObject({ via: 'sysretl', rip: LANDING_PAD, rsp: TASK2_RSP });
    expect(returns(r, 2)[1]?.view.regs.rax).toBe(0n);
  });

  // SYSCALL is #UD in compatibility mode on Intel; the vDSO uses SYSENTER there.
  it('on Intel, the vDSO uses SYSENTER for the same call', () => {
    const r = run('linux-6.7', [toTask2, ev.syscall('getpid'), ev.nop]);
    expect(stepsOf(r, 'entry_SYSCALL_compat')).toEqual([]);
    expect(stepsOf(r, 'entry_SYSENTER_compat').length).toBeGreaterThan(0);
    expect(returns(r, 2)[1]?.view.regs.rax).toBe(2n);
  });
});

describe('INT $0x80', () => {
  // "INT80 always returns via IRET" (2.4); RIP is the instruction after int $0x80.
  it('from the 32-bit task returns by IRET right after the int $0x80', () => {
    const r = run('linux-6.7', [toTask2, ev.int80('getpid'), ev.nop]);
    expect(returns(r, 2)[1]).toMatchObject({ via: 'iret', rip: TASK2_RIP + 2n, cs: 0x23 });
    expect(returns(r, 2)[1]?.view.regs.rax).toBe(2n);
  });

  // __kernel_vsyscall's own "int $0x80" (the fallback, and what a restart re-executes) returns
  // to int80_landing_pad (vdso32/system_call.S).
  it('executed at the vDSO\'s int $0x80 returns by IRET to the landing pad', () => {
    const r = run('linux-6.7', [toTask2, ev.setReg('rax', GETPID32), ev.jump(LANDING_PAD - 2n), ev.nop, ev.nop]);
    expect(failures(r)).toEqual([]);
    expect(stepsOf(r, 'entry_INT80_compat').length).toBeGreaterThan(0);
    expect(returns(r, 2)[1]).toMatchObject({ via: 'iret', rip: LANDING_PAD });
    expect(returns(r, 2)[1]?.view.regs.rax).toBe(2n);
  });

  // "This entry point can be used by 32-bit and 64-bit programs to perform 32-bit system calls."
  it('from the 64-bit task runs the 32-bit call with TS_COMPAT set, cleared before the return', () => {
    const r = run('linux-6.7', [ev.int80('getpid'), ev.nop]);
    const dispatch = at(r, firstStep(r, 'dispatch', 'entry_INT80_compat'));
    expect(task(dispatch.before, 1).tsCompat).toBe(true);
    expect(task(dispatch.before, 1).regs.orig_rax).toBe(GETPID32);
    expect(returns(r)).toEqual([expect.objectContaining({ via: 'iret', rip: 0x400102n, cs: 0x33 })]);
    expect(returns(r)[0]?.view.regs.rax).toBe(1n);
    expect(task(r.final, 1).tsCompat).toBe(false);
  });
});

describe('syscall restart through the landing pad', () => {
  // do_fast_syscall_32: regs->ip = landing_pad, so that restart's "ip -= 2" lands on int $0x80.
  it('a SYSENTER nanosleep interrupted by a handled signal is set up to restart at the int $0x80', () => {
    const r = run('linux-6.7', [toTask2, sysenter('nanosleep'), ev.nop, ev.syscall('kill', [2n, BigInt(SIG.SIGUSR1)]), ev.nop]);
    expect(failures(r)).toEqual([]);
    expect(signals(r, 2)).toEqual([expect.objectContaining({ signal: SIG.SIGUSR1, rip: LANDING_PAD - 2n })]);
    const handler = returns(r, 2).at(-1)!;
    expect(handler.via).toBe('iret');
    const saved = task(r.final, 2).sigframes[handler.rsp.toString(16)];
    expect(saved).toMatchObject({ rip: LANDING_PAD - 2n, rax: 162n, orig_rax: 162n });
    expect(task(r.final, 2).tif & TIF.SIGPENDING).toBe(0);
  });
});

describe('a failed read of the sixth argument returns by IRET (defect 1)', () => {
  // __do_fast_syscall_32 (arch/x86/entry/common.c, v6.7): when __get_user of EBP from the vDSO
  // stack faults, "regs->ax = -EFAULT; ... /* User code screwed up. */ return false": IRET,
  // whatever the SYSRETL checks would say. syscall_arg_fault.c does SYSENTER with ESP = -1.
  it('SYSENTER from 64-bit code with ESP = 0xffffffff: -EFAULT, returned by IRET to the landing pad (Intel)', () => {
    const r = run('linux-6.7', [ev.setReg('rsp', 0xffff_ffffn), sysenter(), ev.nop]);
    expect(failures(r)).toEqual([]);
    const back = returns(r)[0];
    expect(back, '[FAIL] expected the -EFAULT return by iret').toMatchObject({ via: 'iret', rip: LANDING_PAD, cs: 0x23 });
    expect(back?.pt.rax).toBe((1n << 64n) - 14n);
  });

  // The failed __get_user zeroes what it was to load: the low half of regs->bp (uaccess.h).
  it('the failed read leaves EBP 0 and RBP\'s upper half as it was (Intel)', () => {
    const r = run('linux-6.7', [ev.setReg('rsp', 0x7fff_ffff_f000n), sysenter(), ev.nop]);
    expect(failures(r)).toEqual([]);
    const back = returns(r)[0];
    expect(back, '[FAIL] expected the -EFAULT return by iret').toMatchObject({ via: 'iret', rip: LANDING_PAD });
    expect(back?.pt.rbp).toBe(0x7fff_0000_0000n);
  });

  // The fault path leaves by irqentry_exit_to_user_mode: syscall_enter_from_user_mode_work never
  // ran, and syscall_exit_to_user_mode's work does not run either (syscall_32.c @ v6.18).
  it('a PTRACE_SYSCALL tracer sees neither an entry nor an exit stop for that call (Intel)', () => {
    const attach: Event = { type: 'tracer.attach', options: { syscalls: true } };
    const r = run('linux-6.7', [attach, ev.setReg('rsp', 0xffff_ffffn), sysenter(), ev.nop]);
    expect(failures(r)).toEqual([]);
    expect(only(r, 'ptrace-stop'), '[FAIL] expected no syscall stop').toEqual([]);
    expect(returns(r)[0]).toMatchObject({ via: 'iret', rip: LANDING_PAD, cs: 0x23 });
    expect(returns(r)[0]?.pt.rax).toBe((1n << 64n) - 14n);
  });

  // Nor does a single-step report: syscall_exit_work makes it (report_single_step), and the
  // fault path skips that work. The landing pad's first instruction then pops from the stack the
  // fetch could not read and faults: the SYSENTER, which completed, never gets its report
  // (docs/designs.md: step-report calls this a lost report, on every design from v4.4 on).
  it('a single-stepped SYSENTER whose fetch faults gets no step report; the next instruction faults (Intel)', () => {
    const attach: Event = { type: 'tracer.attach', options: { syscalls: true } };
    const steps: Event[] = [attach, ev.syscall('getpid'), { type: 'tracer.singleStep' }, { type: 'tracer.singleStep' }];
    const r = run('linux-6.7', [...steps, { type: 'user.sysenter', nr: 'getpid', ebp: 0x6f_fff8n }, ev.nop]);
    expect(failures(r)).toEqual([]);
    const from = r.obs.findIndex((o) => o.kind === 'user-insn' && o.insn === 'sysenter');
    const after = r.obs.slice(from + 1).filter((o) => 'task' in o && o.task === 1).map((o) => o.kind);
    expect(from, '[FAIL] expected the stepped SYSENTER').toBeGreaterThan(0);
    expect(after, '[FAIL] expected the -EFAULT return, the faulting pop and its SIGSEGV, no trap').toEqual(['return-to-user', 'user-insn', 'signal']);
    expect(returns(r).at(-1)).toMatchObject({ via: 'iret', rip: LANDING_PAD });
    expect(signals(r).at(-1)).toMatchObject({ signal: SIG.SIGSEGV, rip: LANDING_PAD, fatal: true });
  });

  // Before v4.4 the fault went to ia32_badarg, which returns through ia32_sysret and
  // int_ret_from_sys_call: the system call exit, whose work (syscall_trace_leave) reports the
  // step (design knob fastFaultExit = syscall-exit; ia32entry.S in 3.x).
  it('linux-3.19 and linux-4.1: the same SYSENTER gets its step report before the landing pad faults (Intel)', () => {
    const attach: Event = { type: 'tracer.attach', options: { syscalls: true } };
    const steps: Event[] = [attach, ev.syscall('getpid'), { type: 'tracer.singleStep' }, { type: 'tracer.singleStep' }];
    for (const name of ['linux-3.19', 'linux-4.1']) {
      const r = run(name, [...steps, { type: 'user.sysenter', nr: 'getpid', ebp: 0x6f_fff8n }, { type: 'tracer.singleStep' }, ev.nop]);
      expect(failures(r)).toEqual([]);
      const from = r.obs.findIndex((o) => o.kind === 'user-insn' && o.insn === 'sysenter');
      const after = r.obs.slice(from + 1).filter((o) => 'task' in o && o.task === 1).map((o) => o.kind);
      expect(after.slice(0, 3), `[FAIL] ${name}: expected the step report, then the -EFAULT return`).toEqual(['ptrace-stop', 'trap', 'return-to-user']);
      expect(returns(r).at(-1)).toMatchObject({ via: 'iret', rip: LANDING_PAD });
    }
  });

  // The fix of both (fastFaultExit = step-report, no Linux has it): the step report alone from
  // the exit work, and no syscall-exit stop for a call whose entry stop never came.
  it('fastFaultExit = step-report: the stepped SYSENTER gets its report; a PTRACE_SYSCALL tracer gets no stop (Intel)', () => {
    const attach: Event = { type: 'tracer.attach', options: { syscalls: true } };
    const steps: Event[] = [attach, ev.syscall('getpid'), { type: 'tracer.singleStep' }, { type: 'tracer.singleStep' }];
    const r = run(reference, [...steps, { type: 'user.sysenter', nr: 'getpid', ebp: 0x6f_fff8n }, { type: 'tracer.singleStep' }, ev.nop]);
    expect(failures(r)).toEqual([]);
    const from = r.obs.findIndex((o) => o.kind === 'user-insn' && o.insn === 'sysenter');
    const after = r.obs.slice(from + 1).filter((o) => 'task' in o && o.task === 1);
    expect(after.slice(0, 3).map((o) => o.kind), '[FAIL] expected the step report, then the -EFAULT return').toEqual(['ptrace-stop', 'trap', 'return-to-user']);
    expect(after[0]).toMatchObject({ why: 'singlestep' });
    const quiet = run(reference, [attach, ev.setReg('rsp', 0xffff_ffffn), sysenter(), ev.nop]);
    expect(only(quiet, 'ptrace-stop'), '[FAIL] expected no syscall stop').toEqual([]);
    expect(returns(quiet)[0]).toMatchObject({ via: 'iret', rip: LANDING_PAD, cs: 0x23 });
  });

  it('the same on AMD: a 32-bit task single-stepped through a compat SYSCALL with ESP = 0xffffffff gets no step report for it', () => {
    const attach: Event = { type: 'tracer.attach', options: { syscalls: true } };
    const steps: Event[] = [toTask2, attach, ev.setReg('rsp', 0xffff_ffffn), ev.int80('getpid'), { type: 'tracer.singleStep' }, { type: 'tracer.singleStep' }];
    const r = run('linux-6.7', [...steps, { type: 'user.syscall', nr: 'getpid', raw: true } as Event, ev.nop], { vendor: 'amd' });
    expect(failures(r)).toEqual([]);
    const from = r.obs.findIndex((o) => o.kind === 'user-insn' && o.task === 2 && o.insn === 'syscall');
    const after = r.obs.slice(from + 1).filter((o) => 'task' in o && o.task === 2).map((o) => o.kind);
    expect(from, '[FAIL] expected the stepped compat SYSCALL').toBeGreaterThan(0);
    expect(after, '[FAIL] expected the -EFAULT return, the faulting pop and its SIGSEGV, no trap').toEqual(['return-to-user', 'user-insn', 'signal']);
    expect(returns(r, 2).at(-1)).toMatchObject({ via: 'iret', rip: LANDING_PAD });
  });

  it('the same through entry_SYSCALL_compat on AMD (compat SYSCALL with ESP = 0xffffffff)', () => {
    const r = run('linux-6.7', [toTask2, ev.setReg('rsp', 0xffff_ffffn), { type: 'user.syscall', nr: 'getpid', raw: true } as Event, ev.nop], { vendor: 'amd' });
    expect(failures(r)).toEqual([]);
    expect(returns(r, 2)[1]).toMatchObject({ via: 'iret', rip: LANDING_PAD, cs: 0x23 });
  });
});

describe('__kernel_vsyscall from 32-bit code with 64-bit values left in registers', () => {
  // vdso32/system_call.S: "movl %ecx, %ebp; syscall" (AMD) and "movl %esp, %ebp; sysenter" (Intel)
  // are 32-bit moves: EBP is zero-extended. entry_SYSCALL_compat stores RBP as pt_regs->cx, so
  // bits 63:32 of RCX that 64-bit code left there do not reach pt_regs (co-simulation, AMD 6.18).
  it('AMD: pt_regs->cx is ECX zero-extended, not the whole RCX', () => {
    const frame = { rip: 0x40_0400n, cs: 0x23, ss: 0x2b, rsp: 0xffff_b000n, rcx: (1n << 48n) | 5n, rflags: 0x202n };
    const r = run('linux-6.7', [ev.syscall('rt_sigreturn', undefined, frame), { type: 'user.syscall', nr: 'getpid' }, ev.nop, ev.nop], { vendor: 'amd' });
    expect(failures(r)).toEqual([]);
    const entered = at(r, firstStep(r, 'swapgs', 'entry_SYSCALL_compat'));
    expect(entered.before.cpu.regs.rbp).toBe(5n);
    const stored = at(r, firstStep(r, 'regs->ip = landing_pad'));
    expect(task(stored.after, 1).regs.rcx).toBe(5n);
  });
});

describe('__kernel_vsyscall under RFLAGS.AC with a misaligned ESP', () => {
  // SDM Vol. 3 6.15, Interrupt 17 (#AC): at CPL 3 with CR0.AM (Linux's CR0_STATE) and RFLAGS.AC,
  // a misaligned stack reference faults too; the call's push of its return address is the first.
  // exc_alignment_check: SIGBUS, BUS_ADRALN, no address (co-simulation on AMD 6.18 saw it).
  const frame = (rsp: bigint) => ({ rip: 0x40_0400n, cs: 0x23, ss: 0x2b, rsp, rflags: 0x202n | rf.AC });
  it.each(['intel', 'amd'] as const)('%s: the call faults with #AC at its call site, and no system call is made', (vendor) => {
    const r = run('linux-6.7', [ev.syscall('rt_sigreturn', undefined, frame(0xffff_b002n)), { type: 'user.syscall', nr: 'getpid' }, ev.nop], { vendor });
    expect(failures(r)).toEqual([]);
    expect(signals(r)).toEqual([expect.objectContaining({ signal: SIG.SIGBUS, code: 1, siAddr: 0n, rip: 0x40_0400n })]);
    expect(stepsOf(r, vendor === 'intel' ? 'entry_SYSENTER_compat' : 'entry_SYSCALL_compat')).toEqual([]);
  });
  it('an aligned ESP under AC makes the call as usual', () => {
    const r = run('linux-6.7', [ev.syscall('rt_sigreturn', undefined, frame(0xffff_b000n)), { type: 'user.syscall', nr: 'getpid' }, ev.nop], { vendor: 'amd' });
    expect(signals(r)).toEqual([]);
    expect(stepsOf(r, 'entry_SYSCALL_compat').length).toBeGreaterThan(0);
  });
});

