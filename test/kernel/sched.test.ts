/**
 * schedule(), switch_to, ret_from_fork, preemption inside the SYSCALL entry, and the per-task
 * state switch_to must move. Sources: linux-entry-history 6.3 (rsp_scratch), 6.4 (__switch_to,
 * X86_BUG_SYSRET_SS_ATTRS), bugs B5, B6 (CVE-2015-2830), B22.
 */
import { describe, expect, it } from 'vitest';
import { KERNEL_DS } from '../../src/isa/index.ts';
import { ptRegsAddr, stackTop, TASK1_RSP, TASK2_RIP, variant } from '../../src/kernel/index.ts';
import { design, ev, failures, firstStep, at, returns, run, stepsOf, task } from './helpers.ts';

describe('switch_to and ret_from_fork (linux-6.7)', () => {
  const r = run('linux-6.7', [ev.syscall('sched_yield'), ev.nop]);

  // __switch_to: the next task's stack, TSS.sp0 (top of its stack) and user GS base are loaded.
  it('saves where task 1 stopped and loads task 2\'s stack, TSS.sp0 and GS base', () => {
    const sw = at(r, firstStep(r, 'switch_to: load next stack'));
    expect(task(sw.before, 1).resume).toMatchObject({ rsp: sw.before.cpu.regs.rsp });
    expect(sw.after.k.current).toBe(2);
    expect(sw.after.cpu.tss.rsp0).toBe(stackTop(2));
    expect(sw.after.cpu.regs.rsp).toBe(ptRegsAddr(2));
    expect(sw.after.cpu.kernelGsBase).toBe(task(sw.before, 2).gsBase);
  });

  // ret_from_fork: schedule_tail, then the full exit (956421fbb74c): IRET to the child's user code, ax = 0.
  it('starts the new task in ret_from_fork and returns to its user code with RAX = 0', () => {
    expect(stepsOf(r, 'ret_from_fork')).toEqual([expect.stringMatching(/^schedule_tail/), 'jmp syscall_exit_to_user_mode (full exit)']);
    expect(returns(r, 2)).toEqual([expect.objectContaining({ via: 'iret', rip: TASK2_RIP, cs: 0x23 })]);
    expect(returns(r, 2)[0]?.view.regs.rax).toBe(0n);
    expect(task(r.final, 1)).toMatchObject({ mode: 'kernel', resume: expect.objectContaining({}) });
  });

  it('resumes task 1 inside sched_yield when task 2 yields back, and returns 0 by SYSRET', () => {
    const back = run('linux-6.7', [ev.syscall('sched_yield'), ev.nop, ev.int80('sched_yield'), ev.nop]);
    expect(failures(back)).toEqual([]);
    expect(returns(back, 1)).toEqual([expect.objectContaining({ via: 'sysret', rip: 0x400102n, rsp: TASK1_RSP })]);
    expect(returns(back, 1)[0]?.view.regs.rax).toBe(0n);
    expect(task(back.final, 1).resume).toBeNull();
  });

  // fork: the child gets a copy of pt_regs with ax = 0; the parent gets the child's pid.
  it('forks a child that returns 0 at the same RIP while the parent gets its pid', () => {
    const f = run('linux-6.7', [ev.syscall('fork'), ev.nop, ev.syscall('sched_yield'), ev.int80('sched_yield'), ev.nop]);
    expect(returns(f, 1)[0]?.view.regs.rax).toBe(3n);
    const child = returns(f, 3)[0];
    expect(child).toMatchObject({ rip: 0x400102n, rsp: TASK1_RSP });
    expect(child?.view.regs.rax).toBe(0n);
  });
});

describe('preemption inside the SYSCALL entry', () => {
  // v4.1 enables IRQs once rsp_scratch is consumed (section 6.3); a tick there may switch tasks.
  // The interrupted entry's registers are on its own stack (PUSH_AND_CLEAR_REGS/POP_REGS), so the
  // syscall completes correctly after the other task ran.
  it('linux-4.1: a tick between the pt_regs pushes switches tasks; getpid still returns 1 to the right RIP', () => {
    const r = run('linux-4.1', [ev.irq(7), ev.syscall('getpid'), ev.nop, ev.int80('sched_yield'), ev.nop]);
    expect(failures(r)).toEqual([]);
    expect(returns(r, 2).length).toBeGreaterThan(0);
    const back = returns(r, 1);
    expect(back).toHaveLength(1);
    expect(back[0]).toMatchObject({ rip: 0x400102n, rsp: TASK1_RSP });
    expect(back[0]?.view.regs.rax).toBe(1n);
    expect(back[0]?.pt.orig_rax).toBe(39n);
  });

  // B22: IRQs on before rsp_scratch is consumed; another task's SYSCALL overwrites the slot.
  // linux-3.19 survives because switch_to saves and restores the slot per task (old_rsp).
  const trace = [ev.irq(3), ev.syscall('getpid'), ev.syscall('sched_yield'), ev.nop, ev.nop];
  it('linux-3.19 (old_rsp saved by switch_to): task 1 gets its own RSP back', () => {
    const r = run('linux-3.19', trace, { initial: { task2Is64: true } });
    expect(returns(r, 1)[0]).toMatchObject({ rip: 0x400102n, rsp: TASK1_RSP });
  });

  it('without the per-task save, task 1 returns on task 2\'s user RSP', () => {
    const d = variant(design('linux-3.19'), 'no-old-rsp', { switchToSavesScratch: false });
    const r = run(d, trace, { initial: { task2Is64: true } });
    const t2rsp = returns(r, 2)[0]?.rsp;
    expect(t2rsp).not.toBe(TASK1_RSP);
    expect(returns(r, 1)[0]).toMatchObject({ rip: 0x400102n, rsp: t2rsp });
  });
});

describe('AMD SYSRET SS attributes (B5, X86_BUG_SYSRET_SS_ATTRS)', () => {
  // Task 1 sleeps in sched_yield; task 2 enters by an IRQ from user mode (SS := NULL) and switches
  // back; task 1 then leaves by SYSRET, which on AMD keeps the SS hidden attributes.
  const trace = [ev.syscall('sched_yield'), ev.nop, ev.irq(0), ev.nop, ev.nop];

  it('linux-6.7 reloads a NULL SS with __KERNEL_DS in switch_to, so SS is usable after SYSRET', () => {
    const r = run('linux-6.7', trace, { vendor: 'amd' });
    const fix = at(r, r.micro.findIndex((m, i) => i > firstStep(r, 'pt_regs: hardware frame') && m.step.name.startsWith('__switch_to: savesegment')));
    expect(fix.before.cpu.ss.usable).toBe(false);
    expect(fix.after.cpu.ss.sel).toBe(KERNEL_DS);
    expect(returns(r, 1)[0]).toMatchObject({ via: 'sysret', ss: 0x2b });
    expect(returns(r, 1)[0]?.view.ss.usable).toBe(true);
  });

  it('linux-3.19 (no workaround) returns on AMD with SS = 0x2b but unusable', () => {
    const r = run('linux-3.19', trace, { vendor: 'amd' });
    expect(returns(r, 1)[0]).toMatchObject({ via: 'sysret', ss: 0x2b });
    expect(returns(r, 1)[0]?.view.ss.usable).toBe(false);
  });

  it('Intel SYSRET loads fixed SS attributes either way', () => {
    const r = run('linux-3.19', trace, { vendor: 'intel' });
    expect(returns(r, 1)[0]?.view.ss).toMatchObject({ sel: 0x2b, usable: true, dpl: 3 });
  });
});

describe('CVE-2015-2830: int $0x80 fork from a 64-bit task', () => {
  const trace = [ev.int80('fork'), ev.nop, ev.int80('sched_yield'), ev.int80('sched_yield'), ev.nop];

  it('linux-3.19: the child leaves ret_from_fork by the SYSRET fast path with TS_COMPAT still set', () => {
    const r = run('linux-3.19', trace);
    expect(returns(r, 3)[0]).toMatchObject({ via: 'sysret' });
    expect(task(r.final, 3)).toMatchObject({ mode: 'user', tsCompat: true });
  });

  // 3.19 ret_from_fork: "pushq $0x0002; popfq" before the SYSRET path; 6.x: syscall_exit_to_user_mode.
  for (const name of ['linux-3.19', 'linux-6.7']) {
    it(`${name}: the child's exit runs with IRQs off from its work-flags check to the return`, () => {
      const r = run(name, trace);
      const child = r.micro.filter((m) => m.before.k.current === 3 && /^(exit_to_user_mode|sysret_exit|iret_exit)$/.test(m.step.path));
      expect(child.length).toBeGreaterThan(3);
      for (const m of child) expect(m.before.cpu.rflags & 0x200n, m.where).toBe(0n);
    });
  }

  it('linux-6.7: the child takes the full exit, which clears TS_COMPAT', () => {
    const r = run('linux-6.7', trace);
    expect(returns(r, 3)[0]).toMatchObject({ via: 'iret', rip: 0x400102n });
    expect(task(r.final, 3)).toMatchObject({ mode: 'user', tsCompat: false });
  });
});
