/**
 * The 64-bit SYSCALL entry (entry_SYSCALL_64) and its SYSRET/IRET exits, micro-step by micro-step.
 * Sources: linux-entry-history 1.1-1.3 (SYSRET conditions), 6.1 (task_pt_regs), 6.3 (rsp_scratch).
 */
import { describe, expect, it } from 'vitest';
import { rf, USER_CS, USER_DS } from '../../src/isa/index.ts';
import { PERCPU_BASE, ptRegsAddr, stackTop, TASK1_RSP, variant } from '../../src/kernel/index.ts';
import { PT_COMPLETE, PT_FIELDS, ptBit, SIG, SI } from '../../src/model/index.ts';
import { at, design, ev, failures, firstStep, NR_GETPID, returns, run, signals, stepsOf, task } from './helpers.ts';

const getpid = () => run('linux-6.7', [ev.syscall('getpid'), ev.nop]);

describe('entry_SYSCALL_64 (linux-6.7)', () => {
  // entry_64.S: "SWAPGS_UNSAFE_STACK" is the first instruction; SYSCALL switched neither GS nor RSP.
  it('does SWAPGS first, still on the user stack', () => {
    const r = getpid();
    const first = at(r, 0);
    expect(first.where).toBe('entry_SYSCALL_64+0 (swapgs)');
    expect(first.before.cpu.gsBase).toBe(0n);
    expect(first.before.cpu.regs.rsp).toBe(TASK1_RSP);
    expect(first.after.cpu.gsBase).toBe(PERCPU_BASE);
  });

  // linux-entry-history 6.3: "movq %rsp, PER_CPU_VAR(cpu_tss_rw + TSS_sp2)" before the stack switch.
  it('saves the user RSP in the per-CPU scratch slot, then switches to the thread stack', () => {
    const r = getpid();
    expect(at(r, 1).after.k.percpu.rspScratch).toBe(TASK1_RSP);
    expect(at(r, 1).after.cpu.regs.rsp).toBe(TASK1_RSP);
    expect(at(r, 2).after.cpu.regs.rsp).toBe(stackTop(1));
  });

  // entry_64.S pushes pt_regs one field at a time, top down, ending at task_pt_regs (section 6.1).
  it('builds pt_regs field by field: ss, sp, flags, cs, ip, orig_ax, then the GPRs', () => {
    const r = getpid();
    const pushes = r.micro.filter((m) => m.step.name.startsWith('push ')).map((m) => /pt_regs->(\w+)/.exec(m.step.name)?.[1]);
    expect(pushes.slice(0, 6)).toEqual(['ss', 'rsp', 'rflags', 'cs', 'rip', 'orig_rax']);
    expect(new Set(pushes)).toEqual(new Set(PT_FIELDS));
    const lastPush = r.micro.filter((m) => m.step.name.startsWith('push ')).at(-1);
    expect(lastPush?.after.cpu.regs.rsp).toBe(ptRegsAddr(1));
  });

  it('leaves a partly built frame visible as such in task.written', () => {
    const r = getpid();
    const i = firstStep(r, 'pt_regs->rip');
    const afterRip = task(at(r, i).after, 1).written;
    expect(afterRip).toBe(ptBit('ss') | ptBit('rsp') | ptBit('rflags') | ptBit('cs') | ptBit('rip'));
    expect(task(at(r, i).after, 1).regs.rip).toBe(0x400102n);
    expect(task(at(r, i).after, 1).regs.rsp).toBe(TASK1_RSP);
    const j = firstStep(r, 'dispatch');
    expect(task(at(r, j).before, 1).written).toBe(PT_COMPLETE);
  });

  // An NMI taken between two pushes finds the task's frame half written, and the entry resumes.
  it('shows an NMI in the middle of the pushes exactly the fields pushed so far', () => {
    const k = 8; // SYSCALL, swapgs, scratch, stack switch, ss, sp, flags, cs: the NMI comes before "push ip"
    const r = run('linux-6.7', [ev.nmi(k), ev.syscall('getpid'), ev.nop]);
    const nmi = at(r, firstStep(r, 'NMI from user mode?'));
    expect(task(nmi.before, 1).acts.at(-1)).toMatchObject({ vector: 2, interrupted: at(r, firstStep(r, 'pt_regs->rip')).rip });
    expect(task(nmi.before, 1).written).toBe(ptBit('ss') | ptBit('rsp') | ptBit('rflags') | ptBit('cs'));
    expect(returns(r).find((o) => o.pt.orig_rax === NR_GETPID)?.view.regs.rax).toBe(1n);
  });

  it('dispatches through the table with IRQs enabled and stores the return value in pt_regs->ax', () => {
    const r = getpid();
    const d = at(r, firstStep(r, 'dispatch'));
    expect(d.before.cpu.rflags & rf.IF).toBe(rf.IF);
    expect(stepsOf(r, 'sys_getpid')).toEqual(['return task_tgid_vnr(current)', 'ret']);
    expect(task(at(r, firstStep(r, 'regs->ax = return value')).after, 1).regs.rax).toBe(1n);
  });
});

describe('the 64-bit syscall exit', () => {
  // syscall_64.c (S6): SYSRET requires RCX == RIP and R11 == EFLAGS; SYSRET loads RIP from RCX.
  it('returns from getpid by SYSRET with RCX = RIP and R11 = RFLAGS', () => {
    const r = getpid();
    expect(failures(r)).toEqual([]);
    const [ret] = returns(r);
    expect(ret).toMatchObject({ via: 'sysret', rip: 0x400102n, cs: USER_CS, ss: USER_DS });
    expect(ret?.view.regs.rax).toBe(1n);
    expect(ret?.view.regs.rcx).toBe(ret?.rip);
    expect(ret?.view.regs.r11).toBe(ret?.rflags);
    expect(ret?.rsp).toBe(TASK1_RSP);
  });

  // The order before SYSRET: POP_REGS, RCX/R11, user RSP, SWAPGS, sysretq (entry_64.S).
  it('restores the user RSP and GS only in the last steps before sysretq', () => {
    expect(stepsOf(getpid(), 'sysret_exit')).toEqual([
      'POP_REGS (not rcx, r11)', 'movq RCX(%rsp), %rcx; movq R11(%rsp), %r11',
      'movq RSP(%rsp), %rsp (user RSP from here on)', 'swapgs (user GS from here on)', 'sysretq',
    ]);
  });

  // rt_sigreturn may load any RIP/RCX (section 1.2 C1): RCX != RIP means SYSRET cannot reproduce it.
  it('returns by IRET when rt_sigreturn leaves RCX != RIP', () => {
    const r = run('linux-6.7', [ev.syscall('rt_sigreturn', undefined, { rip: 0x401000n, rcx: 0x1234n }), ev.nop]);
    const [ret] = returns(r);
    expect(ret).toMatchObject({ via: 'iret', rip: 0x401000n });
    expect(ret?.view.regs.rcx).toBe(0x1234n);
  });

  it('still uses SYSRET after rt_sigreturn when the frame satisfies every check', () => {
    const r = run('linux-6.7', [ev.syscall('rt_sigreturn', undefined, { rip: 0x401000n, rcx: 0x401000n, r11: 0x202n, rflags: 0x202n }), ev.nop]);
    expect(returns(r)[0]).toMatchObject({ via: 'sysret', rip: 0x401000n });
  });

  // Section 1.2 C6: TF restored by SYSRET would trap before the first user instruction.
  it('returns by IRET when pt_regs->flags has TF set', () => {
    const r = run('linux-6.7', [ev.syscall('rt_sigreturn', undefined, { rip: 0x401000n, rcx: 0x401000n, r11: 0x302n, rflags: 0x302n }), ev.nop]);
    expect(returns(r)[0]).toMatchObject({ via: 'iret', rip: 0x401000n });
    expect(returns(r)[0]!.rflags & rf.TF).toBe(rf.TF);
  });

  // Section 1.3, 58978b44df72: RIP >= TASK_SIZE_MAX goes to IRET; the IRET faults (#GP) and
  // fixup_bad_iret turns it into a user-mode SIGSEGV at that RIP, on both vendors.
  for (const vendor of ['intel', 'amd'] as const) {
    it(`on ${vendor}: rt_sigreturn to RIP 2^47 (even with RCX == RIP) exits by IRET and SIGSEGVs at that RIP`, () => {
      const r = run('linux-6.7', [ev.syscall('rt_sigreturn', undefined, { rip: 1n << 47n, rcx: 1n << 47n, r11: 0x202n, rflags: 0x202n }), ev.nop], { vendor });
      expect(failures(r)).toEqual([]);
      expect(stepsOf(r, 'sysret_exit')).toEqual([]);
      expect(stepsOf(r, 'fixup_bad_iret')).toHaveLength(2);
      expect(signals(r)).toEqual([expect.objectContaining({ signal: SIG.SIGSEGV, code: SI.KERNEL, siAddr: 0n, rip: 1n << 47n, fatal: false })]);
    });
  }

  // CVE-2006-0744 / B1: with the RIP test removed, Intel SYSRET #GPs at CPL 0 on the user RSP.
  it('with no RIP test, a non-canonical RCX makes Intel SYSRET fault in the kernel on the user stack', () => {
    const d = variant(design('linux-6.7'), 'no-rip-test', { sysretChecks: { ...design('linux-6.7').knobs.sysretChecks, rip: 'none' } });
    const frame = { rip: 1n << 47n, rcx: 1n << 47n, r11: 0x202n, rflags: 0x202n };
    const intel = run(d, [ev.syscall('rt_sigreturn', undefined, frame), ev.nop]);
    expect(failures(intel)).toEqual([expect.stringMatching(/^user-stack: asm_exc_general_protection/)]);
    const amd = run(d, [ev.syscall('rt_sigreturn', undefined, frame), ev.nop], { vendor: 'amd' });
    expect(failures(amd)).toEqual([]);
    expect(returns(amd)[0]).toMatchObject({ via: 'sysret', rip: 1n << 47n });
    expect(signals(amd)[0]).toMatchObject({ signal: SIG.SIGSEGV, rip: 1n << 47n });
  });
});

describe('the system call number', () => {
  // entry_64.S (v5.14+): "movslq %eax, %rsi" -- do_syscall_64 takes int nr, so RAX bits 63:32
  // are ignored; before, the whole of RAX was compared with the table size (-ENOSYS).
  const call = (d: string, nr: bigint) => returns(run(d, [{ type: 'user.syscall', nr }, ev.nop]))[0]?.view.regs.rax;
  it('linux-6.7 dispatches on EAX: 0x1_0000_0027 is getpid', () => {
    expect(call('linux-6.7', (1n << 32n) | 39n)).toBe(1n);
    expect(call('linux-6.7', 39n)).toBe(1n);
  });
  it('linux-5.8 compares all of RAX: 0x1_0000_0027 is -ENOSYS', () => {
    expect(call('linux-5.8', (1n << 32n) | 39n)).toBe(BigInt.asUintN(64, -38n));
  });
  it('numbers that are negative as an int, or x32 numbers without x32 support, are -ENOSYS', () => {
    expect(call('linux-6.7', 0xffff_fffen)).toBe(BigInt.asUintN(64, -38n));
    expect(call('linux-6.7', 0x4000_0027n)).toBe(BigInt.asUintN(64, -38n));
  });
});
