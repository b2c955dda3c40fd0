/**
 * Traps and faults: #DB single-step, INT3, #GP from a non-canonical jump, the bad-IRET fixup, the
 * MOV SS-delayed #DB at a kernel entry, and SYSENTER with TF. Sources: linux-entry-history 3
 * (BadIRET, CVE-2018-8897), 6.5 (error_entry, is_sysenter_singlestep), bugs B7, B15, B26.
 */
import { describe, expect, it } from 'vitest';
import { rf } from '../../src/isa/index.ts';
import { LANDING_PAD, PERCPU_BASE, TASK2_RIP, variant } from '../../src/kernel/index.ts';
import { SI, SIG, type Event } from '../../src/model/index.ts';
import { at, design, ev, failures, firstStep, only, returns, run, signals, stepsOf, task } from './helpers.ts';

const sysenter: Event = { type: 'user.sysenter', nr: 'getpid' };

describe('user-mode traps (linux-6.7)', () => {
  // TF set by POPF traps after the following instruction; exc_debug_user -> SIGTRAP TRAP_TRACE.
  it('single-steps: TF from POPF traps after the next instruction with SIGTRAP/TRAP_TRACE', () => {
    const r = run('linux-6.7', [ev.popf(rf.IF | rf.TF), ev.nop, ev.nop]);
    expect(only(r, 'trap')).toEqual([{ kind: 'trap', task: 1, rip: 0x400102n }]);
    expect(signals(r)).toEqual([expect.objectContaining({ signal: SIG.SIGTRAP, code: SI.TRAP_TRACE, rip: 0x400102n })]);
    expect(task(at(r, firstStep(r, 'call handler_db')).before, 1).regs.rflags & rf.TF).toBe(rf.TF);
    expect(returns(r)[0]!.rflags & rf.TF).toBe(0n); // the handler starts with TF clear
  });

  // do_int3_user: do_trap(..., sicode 0) = force_sig(SIGTRAP): SI_KERNEL, no address, with RIP
  // after the INT3 (it is a trap). Co-simulation on a real 6.18 kernel agrees.
  it('turns INT3 into SIGTRAP/SI_KERNEL at the following RIP', () => {
    const r = run('linux-6.7', [{ type: 'user.int3' }, ev.nop]);
    expect(failures(r)).toEqual([]);
    expect(signals(r)).toEqual([expect.objectContaining({ signal: SIG.SIGTRAP, code: SI.KERNEL, siAddr: 0n, rip: 0x400101n })]);
    expect(stepsOf(r, 'asm_exc_int3')[0]).toContain('from user mode');
  });

  // A jump to a non-canonical address raises #GP(0) on the JMP itself (SDM JMP, 64-bit mode
  // exceptions; co-simulation on AMD: pending gap jump-non-canonical): SIGSEGV at the jump.
  for (const vendor of ['intel', 'amd'] as const) {
    it(`on ${vendor}: a jump to 2^47 raises #GP on the jump: SIGSEGV SI_KERNEL with RIP at the jump`, () => {
      const r = run('linux-6.7', [ev.jump(1n << 47n), ev.nop], { vendor });
      expect(failures(r)).toEqual([]);
      expect(at(r, 0).where).toBe('asm_exc_general_protection+0 (ASM_CLAC; testb $3, CS(%rsp): from user mode?)');
      expect(signals(r)).toEqual([expect.objectContaining({ signal: SIG.SIGSEGV, code: SI.KERNEL, siAddr: 0n, rip: 0x400100n })]);
      expect(signals(r)[0]?.ctx).toMatchObject({ trapno: 13n, err: 0n, rip: 0x400100n });
    });
  }
});

describe('a fault on the IRET to user mode', () => {
  // sigreturn with SS = a not-present LDT selector: IRET raises #SS at CPL 0 with the user GS loaded.
  const trace = [ev.syscall('modify_ldt', [1n, 0n, 0n]), ev.syscall('rt_sigreturn', undefined, { rip: 0x401000n, ss: 0x7 }), ev.nop];

  // error_entry + fixup_bad_iret (b645af2d5905): SWAPGS back, then pretend the fault came from
  // user. SS = __USER_CS (GDT, not data): #GP(0x30), no espfix (sigreturn.c "#GP(SS)").
  it('linux-6.7: fixup_bad_iret makes it a user-mode fault at the IRET target, on the kernel GS', () => {
    const r = run('linux-6.7', [ev.syscall('rt_sigreturn', undefined, { rip: 0x401000n, ss: 0x33 }), ev.nop]);
    expect(failures(r)).toEqual([]);
    const fix = at(r, firstStep(r, 'fixup_bad_iret:'));
    expect(fix.before.cpu.gsBase).toBe(PERCPU_BASE);
    expect(signals(r)).toEqual([expect.objectContaining({ signal: SIG.SIGSEGV, code: SI.KERNEL, rip: 0x401000n })]);
    expect(signals(r)[0]?.ctx).toMatchObject({ trapno: 13n, err: 0x30n });
    expect(returns(r).at(-1)?.view.gsBase).toBe(0n);
  });

  // An LDT SS goes through espfix64: the IRET runs on the read-only espfix stack, its #SS cannot
  // be pushed and becomes #DF, which exc_double_fault turns into #GP(0) from user mode ("64-bit
  // Linux will lose track of the actual cause of failure and report #GP(0)", sigreturn.c).
  it('linux-6.7: an LDT SS fault on the espfix64 stack comes back as #GP(0) from user mode', () => {
    const r = run('linux-6.7', trace);
    expect(failures(r)).toEqual([]);
    expect(stepsOf(r, 'asm_exc_double_fault')).toContain('exc_double_fault: IRET fault on the espfix64 stack -> #GP(0) from user mode');
    expect(signals(r)).toEqual([expect.objectContaining({ signal: SIG.SIGSEGV, code: SI.KERNEL, rip: 0x401000n })]);
    expect(signals(r)[0]?.ctx).toMatchObject({ trapno: 13n, err: 0n, ss: 0x7n });
    expect(returns(r).at(-1)?.view.gsBase).toBe(0n);
  });

  // B7 (CVE-2014-9322): #SS on an IST stack with the paranoid MSR-sign GS test, and the old
  // bad_iret doing its own SWAPGS: one swap too many.
  it('pre-3.17.5 (IST #SS, old bad_iret): the handler runs on the user GS and user mode gets the kernel GS base', () => {
    const base = design('linux-3.19');
    const old = variant(base, 'pre-3.17.5', { badIret: 'legacy', ist: { ...base.knobs.ist, ss: true } });
    const r = run(old, trace);
    const h = at(r, firstStep(r, 'exc_segment_not_present'));
    expect(h.before.cpu.gsBase).toBe(0n);
    expect(returns(r).at(-1)?.view.gsBase).toBe(PERCPU_BASE);
  });

  // After b645af2d5905 only error_entry knows the bad-IRET case ("Non-paranoid faults on return
  // to userspace are handled by fixup_bad_iret ... Other faults here are fatal", entry_64.S): a
  // #SS on an IST stack (paranoid_entry) at that IRET is a kernel-mode fault with no fixup.
  it('linux-6.7 with #SS on an IST stack: the IRET fault is fatal, not a user-mode SIGBUS', () => {
    const base = design('linux-6.7');
    const r = run(variant(base, 'ss-on-ist', { ist: { ...base.knobs.ist, ss: true } }), trace);
    expect(stepsOf(r, 'fixup_bad_iret')).toEqual([]);
    expect(failures(r), '[FAIL] expected an unhandled #SS in kernel mode').toEqual([expect.stringMatching(/^unhandled-fault: #NP\/#SS in kernel mode at iret_exit\+\d+ \(iretq\)$/)]);
    expect(signals(r)).toEqual([]);
  });
});

describe('MOV SS followed by SYSCALL (CVE-2018-8897, B15)', () => {
  const trace: Event[] = [{ type: 'tracer.attach' }, { type: 'tracer.watch', addr: 0x60_0000n },
    { type: 'user.movSs', watched: true }, ev.syscall('getpid'), ev.nop];

  // The held data-breakpoint #DB is delivered at the first instruction of entry_SYSCALL_64: CPL 0,
  // user GS, user RSP; the paranoid #DB entry must cope.
  for (const name of ['linux-6.7', 'linux-5.8', 'linux-4.16']) {
    const signalled = name !== 'linux-6.7';
    it(`${name}: #DB arrives at CPL 0 before the SWAPGS, and the syscall still completes`, () => {
      const r = run(name, trace);
      const db = at(r, 0);
      expect(db.step.path).toBe('asm_exc_debug');
      expect(db.before.cpu.cs.sel & 3).toBe(0);
      expect(db.before.cpu.gsBase).toBe(0n);
      expect(task(db.before, 1).acts.map((a) => a.vector)).toEqual([-1, 1]);
      expect(task(db.before, 1).acts[1]?.interrupted).toBe(at(r, firstStep(r, 'swapgs', 'entry_SYSCALL_64')).rip);
      expect(failures(r)).toEqual([]);
      if (!signalled) {
        // Since v5.10 a user watchpoint hit in kernel mode only lands in the virtual DR6: no
        // signal (exc_debug_kernel; co-simulation on a real 6.18 kernel agrees).
        expect(signals(r)).toEqual([]);
        expect(returns(r)[0]).toMatchObject({ rip: 0x400108n, view: { regs: { rax: 1n } } });
        return;
      }
      // Up to v5.9 do_debug's send_sigtrap forces a SIGTRAP on the way out of getpid, si_addr
      // NULL (the #DB interrupted kernel mode); its frame holds getpid's return value.
      expect(signals(r)).toEqual([expect.objectContaining({ signal: SIG.SIGTRAP, code: SI.TRAP_HWBKPT, siAddr: 0n, rip: 0x400108n })]);
      const handler = returns(r)[0]!;
      expect(task(r.final, 1).sigframes[handler.rsp.toString(16)]).toMatchObject({ rax: 1n, rip: 0x400108n });
    });
  }
});

describe('SYSENTER with TF set (is_sysenter_singlestep, B26)', () => {
  // Task 2 (32-bit) sets TF and executes SYSENTER: TF survives SYSENTER, so the kernel entry is
  // single-stepped until it clears TF; #DB ignores traps inside the SYSENTER region.
  const trace = [ev.int80('sched_yield'), ev.popf(rf.IF | rf.TF), sysenter, ev.nop, ev.nop];

  // The SYSENTER is __kernel_vsyscall's; TF in pt_regs->flags forces IRET to the landing pad, whose
  // epilogue ("popl ...; ret") is the first user instruction: the trap follows it, at the caller.
  it('linux-6.7: the in-kernel single-step is ignored; the trap reaches user code after the landing pad', () => {
    const r = run('linux-6.7', trace);
    expect(failures(r)).toEqual([]);
    expect(stepsOf(r, 'handler_db')).toContain('exc_debug: read DR6');
    expect(returns(r, 2)[1]).toMatchObject({ via: 'iret', rip: LANDING_PAD });
    expect(returns(r, 2)[1]!.rflags & rf.TF).toBe(rf.TF);
    expect(only(r, 'user-insn').filter((o) => o.task === 2).map((o) => o.rip).slice(0, 3)).toEqual([TASK2_RIP, TASK2_RIP + 1n, LANDING_PAD]);
    expect(only(r, 'trap')).toEqual([{ kind: 'trap', task: 2, rip: TASK2_RIP + 3n }]);
  });

  it('with a call out of the region before TF is cleared (BHI mitigation), #DB WARNs', () => {
    const r = run(variant(design('linux-6.7'), 'bhi-call-first', { sysenterCallBeforeTfClear: true }), trace);
    expect(failures(r)).toEqual([expect.stringMatching(/WARNING: single-step #DB in kernel mode at clear_bhb_loop/)]);
  });
});
