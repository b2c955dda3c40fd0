/**
 * NMI entry and exit: from user mode (thread stack, no exit work), from kernel mode (paranoid GS,
 * return to the interrupted micro-step), latching, nested-NMI detection and the repeat.
 * Sources: linux-entry-history 5.3 (nmi_state), 6.5 (NMI nesting), bugs B12 (CVE-2015-3291),
 * B13 (9b6e6a8334d5).
 */
import { describe, expect, it } from 'vitest';
import { istTop, PERCPU_BASE, ptRegsAddr, USER_DEMAND } from '../../src/kernel/index.ts';
import { at, ev, failures, firstStep, only, returns, run, stepsOf, task, type Run } from './helpers.ts';

const counted = (r: Run) => [r.final.hw.nmiDelivered, r.final.k.percpu.nmiHandled];
const NMI_STACK_TOP = istTop(2);

describe('NMI from user mode', () => {
  // 9b6e6a8334d5: "We need to run on the thread stack"; return without exit work (IRQs stay off).
  it('linux-6.7: switches to the thread stack, builds pt_regs there and IRETs back without exit work', () => {
    const r = run('linux-6.7', [ev.nmi(0), ev.nop]);
    expect(failures(r)).toEqual([]);
    expect(counted(r)).toEqual([1, 1]);
    const sw = at(r, firstStep(r, 'switch to the thread stack'));
    expect(sw.before.cpu.regs.rsp > NMI_STACK_TOP - 0x1000n && sw.before.cpu.regs.rsp <= NMI_STACK_TOP).toBe(true);
    expect(sw.after.cpu.regs.rsp).toBe(ptRegsAddr(1) + 15n * 8n);
    expect(stepsOf(r, 'exit_to_user_mode')).toEqual([]);
    expect(returns(r)).toEqual([expect.objectContaining({ via: 'iret', rip: 0x400100n })]);
    expect(r.micro.every((m) => (m.before.cpu.rflags & 0x200n) === 0n)).toBe(true);
  });

  it('linux-4.1 (before 9b6e6a8334d5): handles it on the NMI IST stack with the paranoid GS test', () => {
    const r = run('linux-4.1', [ev.nmi(0), ev.nop]);
    expect(counted(r)).toEqual([1, 1]);
    expect(stepsOf(r, 'asm_exc_nmi')).not.toContain('switch to the thread stack; pt_regs from the frame');
    const call = at(r, firstStep(r, 'call exc_nmi'));
    expect(call.before.cpu.regs.rsp <= NMI_STACK_TOP).toBe(true);
    expect(call.before.cpu.gsBase).toBe(PERCPU_BASE);
    expect(r.final.cpu.gsBase).toBe(0n);
  });

  it('linux-4.1: its IRET from the IST frame is a resume user mode sees, with no pt_regs restored (user-resume, not return-to-user)', () => {
    const r = run('linux-4.1', [ev.nmi(0), ev.nop]);
    expect(returns(r)).toEqual([]);
    const resumed = only(r, 'user-resume');
    expect(resumed, '[FAIL] expected one resume of task 1 at 0x400100').toEqual([expect.objectContaining({ task: 1 })]);
    expect(resumed[0]?.view.regs.rip).toBe(0x400100n);
    expect(resumed[0]?.view.regs.rsp).toBe(0x7fffffffe000n);
  });
});

describe('NMI from kernel mode', () => {
  // An NMI at every micro-step of getpid's entry returns to exactly the step it interrupted.
  it('returns to the interrupted micro-step and leaves the syscall\'s result intact', () => {
    for (const k of [1, 2, 5, 20, 40]) {
      const r = run('linux-6.7', [ev.nmi(k), ev.syscall('getpid'), ev.nop]);
      const first = firstStep(r, 'NMI from user mode?');
      const interrupted = task(at(r, first).before, 1).acts.at(-1)?.interrupted;
      const iret = r.micro.findIndex((m, i) => i > first && m.step.name.startsWith('iretq from the "iret" frame'));
      const resumed = r.micro[iret + 1];
      expect(resumed?.rip, `k=${k}`).toBe(interrupted);
      expect(counted(r)).toEqual([1, 1]);
      expect(returns(r)[0]?.view.regs.rax).toBe(1n);
    }
  });

  // paranoid_entry (FSGSBASE era): save GS base, load the kernel's, restore the saved one.
  it('at the first SYSCALL instruction (user GS still loaded) runs exc_nmi on the kernel GS and restores the user GS', () => {
    const r = run('linux-6.7', [ev.nmi(1), ev.syscall('getpid'), ev.nop]);
    expect(at(r, 0).before.cpu.gsBase).toBe(0n);
    expect(at(r, firstStep(r, 'call exc_nmi')).before.cpu.gsBase).toBe(PERCPU_BASE);
    const back = r.micro.find((m) => m.step.path === 'entry_SYSCALL_64');
    expect(back?.step.name).toBe('swapgs');
    expect(back?.before.cpu.gsBase).toBe(0n);
  });

  // An NMI that arrives while NMIs are blocked is latched by the CPU and delivered after the IRET.
  it('latches a second NMI that arrives during the first, then handles it', () => {
    // After "push pt_regs->sp", so perf's user-stack read does not fault (no IRET inside the NMI).
    const r = run('linux-6.7', [ev.nmi(10), ev.nmi(12), ev.syscall('getpid'), ev.nop]);
    expect(r.micro.some((m) => m.before.hw.nmi)).toBe(true);
    expect(counted(r)).toEqual([2, 2]);
    expect(stepsOf(r, 'asm_exc_nmi')).not.toContain('nested NMI: make the outer NMI repeat');
  });

  // A #PF inside the NMI handler (perf reading a demand-paged user stack) IRETs and unblocks NMIs:
  // the next NMI really nests, is detected ("NMI executing") and makes the outer one repeat.
  it('detects a truly nested NMI and repeats the outer one: none is lost', () => {
    const trace = [ev.setReg('rsp', USER_DEMAND + 0x100n), ev.nmi(1), ev.nmi(30), ev.syscall('getpid'), ev.nop];
    const r = run('linux-6.7', trace);
    expect(stepsOf(r, 'asm_exc_nmi')).toContain('nested NMI: make the outer NMI repeat');
    expect(stepsOf(r, 'asm_exc_nmi').filter((s) => s.startsWith('repeat_nmi')).length).toBe(2);
    expect(counted(r)).toEqual([2, 2]);
    expect(failures(r)).toEqual([]);
  });

  it('does not lose a nested NMI at any arrival point inside the outer NMI', () => {
    for (let k2 = 20; k2 < 40; k2++) {
      const r = run('linux-6.7', [ev.setReg('rsp', USER_DEMAND + 0x100n), ev.nmi(1), ev.nmi(k2), ev.syscall('getpid'), ev.nop]);
      expect(counted(r), `second NMI after ${k2}`).toEqual([2, 2]);
    }
  });
});

describe('CVE-2015-3291: user RSP pointing into the NMI stack at SYSCALL', () => {
  // B12: an NMI at the first SYSCALL instruction sees "RSP within the NMI stack" and, with the
  // RSP-only test, believes it is nested: it returns without running the handler.
  const trace = [ev.setReg('rsp', NMI_STACK_TOP - 0x100n), ev.nmi(1), ev.syscall('getpid'), ev.nop];

  it('linux-4.1 (RSP test only) loses the NMI', () => {
    const r = run('linux-4.1', trace);
    expect(counted(r)).toEqual([1, 0]);
  });

  it('linux-6.7 (RSP and DF, 810bc075f78f) handles it: SYSCALL masked DF', () => {
    const r = run('linux-6.7', trace);
    expect(counted(r)).toEqual([1, 1]);
    expect(returns(r)[0]?.view.regs.rax).toBe(1n);
  });
});
