/**
 * syscall-restart and the return that enters a signal handler. Found by `run --runs 3000` on
 * intel-5 of every linux-5.8-based design: system call 0 (ENOSYS), a signal handled at its exit;
 * setup_rt_frame sets the handler's RAX to 0, which equals the call's number and orig_ax, so the
 * handler entry was taken for a restart at the handler's first instruction. The handler entry is
 * the return on the delivered frame; any other such return is still judged.
 */
import { describe, expect, it } from 'vitest';
import { discoverInvariants } from '../../src/check/discover.ts';
import { judge } from '../../src/check/evaluate.ts';
import { toTraceEvents } from '../../src/check/operands.ts';
import { kernelOf } from '../../src/check/session.ts';
import type { RawEvent } from '../../src/check/trace-file.ts';
import type { Transition } from '../../src/check/invariant.ts';
import { findDesign, type Design } from '../../src/kernel/index.ts';

const inv = (await discoverInvariants()).map((d) => d.invariant).find((i) => i.id === 'syscall-restart');
const TRACE: RawEvent[] = [
  { type: 'tracer.attach', options: { syscalls: true } }, { type: 'user.syscall', nr: '0x0' },
  { type: 'sched.signal', task: 1, signal: 7 }, { type: 'tracer.detach' }, { type: 'user.int', vector: 41 },
];
const cell = (paging: 4 | 5) => ({ kernel: kernelOf(findDesign('linux-6.7') as Design), vendor: 'intel' as const, paging });

describe('syscall-restart at a signal handler\'s entry', () => {
  it('holds on linux-6.7: the handler entry after system call 0 is no restart', () => {
    for (const paging of [4, 5] as const) {
      const j = judge(inv ? [inv] : [], cell(paging), toTraceEvents(TRACE, 'test'));
      const entry = j.run.observations.map((x) => x.o).find((o) => o.kind === 'return-to-user' && o.task === 1);
      expect(entry?.kind === 'return-to-user' && entry.pt.rax === 0n && entry.pt.orig_rax === 0n, '[FAIL] expected RAX = orig_ax = 0').toBe(true);
      expect(j.violations.get('syscall-restart'), '[FAIL] expected no violation').toBeUndefined();
    }
  });

  it('still judges the same return as a restart when no delivery set it up', () => {
    const j = judge(inv ? [inv] : [], cell(5), toTraceEvents(TRACE, 'test'));
    const observations = j.run.observations.map((x) => x.o).filter((o) => o.kind !== 'signal');
    const s = j.run.states[0];
    const t = { observations, history: [], historyStart: 0, before: s, after: s } as unknown as Transition;
    const verdict = inv?.kind === 'step' ? inv.check(t, { vendor: 'intel', paging: 5, kernel: cell(5).kernel }, inv.init?.()) : true;
    expect(verdict, '[FAIL] expected a restart at a non-syscall instruction').toMatch(/SYSCALL or INT \$0x80 instruction, got user.int/);
  });
});

describe('syscall-restart when the trace runs another instruction at the restart address', () => {
  // Found by run --runs 3000 --seed 7 on amd-4 of four designs: nanosleep stopped at its entry,
  // SIGCONT, the tracer detaches; the call restarts at the SYSCALL (regs->ip -= 2), and the trace's
  // next event runs a SYSENTER at that address (#UD on AMD). The restart was judged against that
  // later instruction; the code there is the SYSCALL that ran before.
  const trace: RawEvent[] = [
    { type: 'tracer.attach', options: { syscalls: true } }, { type: 'user.syscall', nr: 'nanosleep' },
    { type: 'sched.signal', task: 1, signal: 18 }, { type: 'tracer.detach' }, { type: 'user.sysenter', nr: 'pause', ebp: '0xfffffe0000007ff8' },
  ];
  it('holds on rseq-at-exit (amd, 4-level): the restart lands on the SYSCALL', () => {
    const j = judge(inv ? [inv] : [], { kernel: kernelOf(findDesign('rseq-at-exit') as Design), vendor: 'amd', paging: 4 }, toTraceEvents(trace, 'test'));
    const back = j.run.observations.map((x) => x.o).find((o) => o.kind === 'return-to-user' && o.task === 1);
    expect(back?.kind === 'return-to-user' && back.rip === 0x400100n, '[FAIL] expected task 1 back at its SYSCALL').toBe(true);
    expect(j.violations.get('syscall-restart'), '[FAIL] expected no violation').toBeUndefined();
  });
});

describe('syscall-restart when rseq moves the restart point to its abort handler', () => {
  // Found by 30,000 guided runs (seed 1) on intel-4 of a linux-6.7 variant, and a violation on
  // linux-6.7 itself: a 64-bit int $0x80 fork inside the rseq critical section returns
  // -ERESTARTNOINTR; the exit puts ax back and ip -= 2, then rseq_ip_fixup (which runs after
  // arch_do_signal_or_restart in the exit loop) moves ip to the abort handler, which runs with
  // RAX = the call's number. rseq(2) promises the abort; the system call in the section is the
  // user's mistake.
  const trace: RawEvent[] = [
    { type: 'user.syscall', nr: 'rt_sigreturn', frame: { rip: '$rseq_cs-8' } }, { type: 'user.setReg', reg: 'rbx', value: '0x0' },
    { type: 'sched.signal', task: 2, signal: 15 }, { type: 'user.int80', nr: 'fork' }, { type: 'hw.irq', after: 0 }, { type: 'user.int3' },
  ];
  it('holds on linux-6.7 (intel and amd): the return at the abort handler is no restart at the wrong instruction', () => {
    for (const vendor of ['intel', 'amd'] as const) {
      const j = judge(inv ? [inv] : [], { kernel: kernelOf(findDesign('linux-6.7') as Design), vendor, paging: 4 }, toTraceEvents(trace, 'test'));
      const { abort } = kernelOf(findDesign('linux-6.7') as Design).rseq;
      const back = j.run.observations.map((x) => x.o).find((o) => o.kind === 'return-to-user' && o.task === 1 && o.rip === abort);
      expect(back?.kind === 'return-to-user' && back.pt.rax === back.pt.orig_rax, '[FAIL] expected task 1 at the abort handler with RAX = orig_ax').toBe(true);
      expect(j.violations.get('syscall-restart'), '[FAIL] expected no violation').toBeUndefined();
    }
  });
});

describe('syscall-restart when a tracer moved RIP and the result equals the number', () => {
  // Found by run --runs 20000 --seed 22 on linux-6.7 amd-5: at a syscall-entry stop of a 32-bit
  // fork the tracer writes RIP; the fork returns the child's pid, 2, which is also int $0x80's
  // number for fork, so RAX = orig_ax = 2 at the tracer's RIP looked like a restart there. A
  // return whose RIP a tracer chose is not judged as a restart.
  const trace: RawEvent[] = [
    { type: 'tracer.attach', options: { syscalls: true } }, { type: 'sched.signal', task: 2, signal: 14 }, { type: 'user.int80', nr: 'fork' },
    { type: 'tracer.setRegs', regs: { rip: '0x3fffffffffff' } }, { type: 'tracer.detach' }, { type: 'user.setReg', reg: 'rdx', value: '0x0' },
  ];
  it('holds on linux-6.7 (amd, 5-level)', () => {
    const j = judge(inv ? [inv] : [], { kernel: kernelOf(findDesign('linux-6.7') as Design), vendor: 'amd', paging: 5 }, toTraceEvents(trace, 'test'));
    const back = j.run.observations.map((x) => x.o).find((o) => o.kind === 'return-to-user' && o.task === 1);
    expect(back?.kind === 'return-to-user' && back.rip === 0x3fffffffffffn && back.pt.rax === 2n && back.pt.orig_rax === 2n, '[FAIL] expected the fork to return 2 at the tracer\'s RIP').toBe(true);
    expect(j.violations.get('syscall-restart'), '[FAIL] expected no violation').toBeUndefined();
  });
});

describe('syscall-restart when another task of the same memory ran something else at the call\'s address', () => {
  // Found by run --runs 20000 --seed 27 on linux-6.7 intel-5: task 2 (32-bit) clones task 3 and
  // sleeps in pause() by int $0x80 at 0x8048102; task 3 runs a CLI at that address (#GP); SIGCONT
  // restarts the pause at its int $0x80 (regs->ip -= 2). The restart was judged against task 3's
  // CLI. At the call's own address the instruction is the call's own.
  const trace: RawEvent[] = [
    { type: 'hw.irq', after: 0 }, { type: 'user.syscall', nr: 'clone' }, { type: 'user.pop', reg: 'r13' }, { type: 'tracer.attach' },
    { type: 'user.int80', nr: 'pause' }, { type: 'hw.irq', after: 11 }, { type: 'user.popf', flags: '0x202' }, { type: 'user.cli' },
    { type: 'sched.signal', task: 2, signal: 18 }, { type: 'user.syscall', nr: 'exit' },
  ];
  it('holds on linux-6.7 (intel, 5-level): the restart lands on task 2\'s int $0x80', () => {
    const j = judge(inv ? [inv] : [], { kernel: kernelOf(findDesign('linux-6.7') as Design), vendor: 'intel', paging: 5 }, toTraceEvents(trace, 'test'));
    const obs = j.run.observations.map((x) => x.o);
    const back = obs.find((o) => o.kind === 'return-to-user' && o.task === 2 && o.act?.insn === o.rip);
    expect(back?.kind === 'return-to-user' && back.pt.rax === back.pt.orig_rax, '[FAIL] expected task 2 restarted at its int $0x80').toBe(true);
    expect(obs.some((o) => o.kind === 'user-insn' && o.task === 3 && o.insn === 'cli' && back?.kind === 'return-to-user' && o.rip === back.rip), '[FAIL] expected task 3\'s CLI at that address').toBe(true);
    expect(j.violations.get('syscall-restart'), '[FAIL] expected no violation').toBeUndefined();
  });
});
