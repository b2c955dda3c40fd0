/**
 * The step semantics of traces (DESIGN.md 2.3): hardware countdowns count instruction boundaries
 * (user instructions and kernel micro-steps), a masked IRQ stays pending, a blocked NMI is latched
 * (one), events that are not enabled are skipped, `hw.*` events do not run the kernel, and the
 * kernel runs to user mode after the last event.
 */
import { describe, expect, it } from 'vitest';
import { rf } from '../../src/isa/index.ts';
import { STEP_BYTES, type MachineState, type TraceEvent } from '../../src/model/index.ts';
import { variant } from '../../src/kernel/index.ts';
import { design, ev, only, returns, run, task } from '../kernel/helpers.ts';

describe('hardware countdowns', () => {
  it('`after: 0` fires at the next boundary, before the next user instruction', () => {
    const r = run('linux-6.7', [ev.nmi(0), ev.nop]);
    expect(r.micro[0]?.step.path).toBe('asm_exc_nmi');
    expect(r.micro[0]?.event).toBe(1);
    expect(only(r, 'user-insn')).toEqual([expect.objectContaining({ rip: 0x400100n })]);
    expect(returns(r)[0]).toMatchObject({ rip: 0x400100n });
  });

  it('`after: k` counts user instructions: after 2 NOPs, before the third', () => {
    const r = run('linux-6.7', [ev.nmi(2), ev.nop, ev.nop, ev.nop]);
    expect(r.tagged.map((t) => `${t.at} ${t.o.kind}`)).toEqual(['1 user-insn', '2 user-insn', '3 return-to-user', '3 user-insn']);
    expect(r.micro.every((m) => m.event === 3)).toBe(true);
  });

  it('counts kernel micro-steps too: `after: 1` with SYSCALL lands on the entry\'s first step', () => {
    const r = run('linux-6.7', [ev.nmi(1), ev.syscall('getpid'), ev.nop]);
    const nmi = r.micro.find((m) => m.step.path === 'asm_exc_nmi');
    expect(task(nmi!.before, 1).acts.at(-1)?.interrupted).toBe(r.micro.find((m) => m.step.path === 'entry_SYSCALL_64')?.rip);
    expect(r.micro[0]?.step.path).toBe('asm_exc_nmi');
  });

  // SYSCALL masks IF (FMASK); the IRQ waits for do_syscall_64's local_irq_enable and its STI shadow.
  it('keeps a masked IRQ pending until IF = 1 and the STI shadow has passed', () => {
    const r = run('linux-6.7', [ev.irq(1, 0x21), ev.syscall('getpid'), ev.nop]);
    const i = r.micro.findIndex((m) => m.step.path === 'asm_irq_device');
    expect(r.micro[i - 2]?.step.name).toMatch(/^ENABLE_INTERRUPTS/);
    expect(r.micro[i - 2]!.before.cpu.rflags & rf.IF).toBe(0n);
    const interrupted = task(r.micro[i]!.before, 1).acts.at(-1)?.interrupted;
    expect(interrupted).toBe(r.micro[i - 1]!.rip + STEP_BYTES);
    expect(r.micro.slice(0, i).every((m) => m.before.hw.irq.includes(0x21) || m.before.hw.armed.length > 0)).toBe(true);
  });

  it('latches one NMI while NMIs are blocked; a third in the same window merges with it', () => {
    const r = run('linux-6.7', [ev.nmi(10), ev.nmi(11), ev.nmi(12), ev.syscall('getpid'), ev.nop]);
    expect(r.final.hw.nmiDelivered).toBe(2);
    expect(r.final.k.percpu.nmiHandled).toBe(2);
  });
});

describe('events and the kernel', () => {
  it('skips an event that is not enabled (tracer.cont with no tracee) and goes on', () => {
    const r = run('linux-6.7', [{ type: 'tracer.cont' }, ev.syscall('getpid')]);
    expect(r.r.skipped).toEqual([0]);
    expect(r.r.states[1]).toBe(r.r.states[0]);
    expect(returns(r)[0]?.view.regs.rax).toBe(1n);
  });

  it('does not run the kernel for `hw.*` events: they only arm a countdown where the CPU is', () => {
    const r = run('linux-6.7', [ev.syscall('getpid'), ev.nmi(0)]);
    const [, afterSyscall, afterNmi] = r.r.states;
    expect(afterNmi?.cpu.regs.rip).toBe(afterSyscall?.cpu.regs.rip);
    expect(afterNmi?.cpu.cs.sel).toBe(0x10);
    expect(afterNmi?.hw.armed).toEqual([{ kind: 'nmi', vector: 2, due: afterSyscall?.clock }]);
    expect(r.final.hw.nmiDelivered).toBe(1);
  });

  it('runs the kernel to user mode after the last event (observations tagged events.length)', () => {
    const r = run('linux-6.7', [ev.syscall('getpid')]);
    expect(r.r.states).toHaveLength(3);
    expect(r.tagged.map((t) => [t.at, t.o.kind])).toEqual([[0, 'user-insn'], [1, 'return-to-user']]);
    expect(task(r.final, 1).mode).toBe('user');
  });

  // README, Values: a tracer's event resolves $rip at the tracee's saved registers. Stopped at
  // its system call's entry, task 1's pt_regs hold RIP 0x400102 while task 2 runs at 0x8048100.
  it('resolves a tracer event\'s $rip at the stopped tracee\'s pt_regs, not at the task running meanwhile', () => {
    const setRegs = { type: 'tracer.setRegs', regs: { rcx: { sym: 'rip', off: 0n }, rip: { sym: 'rip', off: 2n } } } as TraceEvent;
    const r = run('linux-6.7', [{ type: 'tracer.attach', options: { syscalls: true } }, ev.syscall('getpid'), setRegs]);
    expect(r.r.states[3]?.cpu.regs.rip, '[FAIL] expected task 2 to run while the tracee is stopped').toBe(0x8048100n);
    expect(r.r.events[2]).toEqual({ type: 'tracer.setRegs', regs: { rcx: 0x400102n, rip: 0x400104n } });
    expect(task(r.r.states[3] as MachineState, 1).regs.rip).toBe(0x400104n);
  });

  it('resolves it at the CPU while the tracee is the task running user code', () => {
    const brk = { type: 'tracer.break', addr: { sym: 'next', off: 0n } } as TraceEvent;
    const r = run('linux-6.7', [{ type: 'tracer.attach', options: {} }, ev.nop, brk]);
    expect(r.r.events[2]).toEqual({ type: 'tracer.break', addr: 0x400101n });
  });

  // A design without the SYSRET RIP test dies on Intel (CVE-2006-0744 class); nothing runs after.
  it('skips every event once the kernel has halted', () => {
    const base = design('linux-6.7');
    const d = variant(base, 'no-rip-test', { sysretChecks: { ...base.knobs.sysretChecks, rip: 'none' } });
    const frame = { rip: 1n << 47n, rcx: 1n << 47n, r11: 0x202n, rflags: 0x202n };
    const r = run(d, [ev.syscall('rt_sigreturn', undefined, frame), ev.nop, ev.nop, ev.nmi(0)]);
    expect(r.final.k.halted).toMatchObject({ kind: 'kernel-failure', what: 'user-stack' });
    expect(r.r.skipped).toEqual([1, 2, 3]);
    expect(only(r, 'user-insn')).toHaveLength(1);
  });
});
