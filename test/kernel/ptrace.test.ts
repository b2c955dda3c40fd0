/**
 * ptrace: stops at syscall entry/exit and at fork events, register writes while stopped, and
 * single-stepping over a syscall. Sources: linux-entry-history 6.1 (putreg writes task_pt_regs),
 * bugs B3 (CVE-2014-4699) and B23 (single-step report at syscall exit).
 */
import { describe, expect, it } from 'vitest';
import { rf } from '../../src/isa/index.ts';
import { variant } from '../../src/kernel/index.ts';
import { SI, SIG, TIF, type Event } from '../../src/model/index.ts';
import { design, ev, failures, only, returns, run, signals, task } from './helpers.ts';

const attach = (options: { syscalls?: boolean; fork?: boolean }): Event => ({ type: 'tracer.attach', options });
const cont: Event = { type: 'tracer.cont' };
const singleStep: Event = { type: 'tracer.singleStep' };
/** Task 2 (32-bit, runnable) gives the CPU back: after a stop, it is what runs. */
const yield2 = ev.int80('sched_yield');
const stops = (r: ReturnType<typeof run>) => only(r, 'ptrace-stop').map((s) => `${s.task}:${s.why}`);

describe('ptrace stops', () => {
  // syscall_trace_enter / syscall_exit_work: PTRACE_SYSCALL stops on both sides of the call.
  it('stops a PTRACE_SYSCALL tracee at syscall entry and at syscall exit', () => {
    const r = run('linux-6.7', [attach({ syscalls: true }), ev.syscall('getpid'), cont, yield2, cont, yield2, ev.nop]);
    expect(failures(r)).toEqual([]);
    // The second yield2 runs on task 1 (int $0x80 from 64-bit code), which stops at its entry too.
    expect(stops(r)).toEqual(['1:syscall-entry', '1:syscall-exit', '1:syscall-entry']);
    expect(r.r.skipped).toEqual([]);
    const back = returns(r, 1);
    expect(back).toHaveLength(1);
    expect(back[0]?.view.regs.rax).toBe(1n);
  });

  it('leaves the stopped task stopped (mode and stop reason) while another task runs', () => {
    const r = run('linux-6.7', [attach({ syscalls: true }), ev.syscall('getpid'), ev.nop]);
    expect(task(r.final, 1).mode).toBe('stopped');
    expect(task(r.final, 1).ptrace.stop).toBe('syscall-entry');
    expect(r.final.k.current).toBe(2);
  });

  // PTRACE_O_TRACEFORK: ptrace_event(PTRACE_EVENT_FORK) inside the fork syscall.
  it('stops at the fork event with the child already created', () => {
    const r = run('linux-6.7', [attach({ fork: true }), ev.syscall('fork'), ev.nop]);
    expect(stops(r)).toEqual(['1:fork']);
    expect(task(r.final, 3).mode).toBe('new');
    expect(task(r.final, 3).ptrace.attached).toBe(false);
  });

  // putreg: the tracer writes task_pt_regs; tracer.setRegs is refused unless the tracee is stopped.
  it('writes the tracer\'s registers into pt_regs, only while the tracee is stopped', () => {
    const setRegs: Event = { type: 'tracer.setRegs', regs: { rdi: 0x1234n, rip: 0x401000n } };
    const running = run('linux-6.7', [attach({}), setRegs]);
    expect(running.r.skipped).toEqual([1]);
    const r = run('linux-6.7', [attach({ syscalls: true }), ev.syscall('getpid'), setRegs]);
    expect(r.r.skipped).toEqual([]);
    expect(task(r.final, 1).regs).toMatchObject({ rdi: 0x1234n, rip: 0x401000n, rcx: 0x400102n });
  });

  // putreg refuses a CS/SS without RPL 3 (-EIO) and masks flags to FLAG_MASK. PTRACE_SETREGS
  // stops at the refused field: RIP, before CS in user_regs_struct, is already written.
  it('refuses a kernel CS and keeps IF/IOPL out of the tracer\'s reach', () => {
    const bad: Event = { type: 'tracer.setRegs', regs: { cs: 0x10, rip: 0x401000n } };
    const r1 = run('linux-6.7', [attach({ syscalls: true }), ev.syscall('getpid'), bad]);
    expect(task(r1.final, 1).regs.rip).toBe(0x401000n);
    expect(task(r1.final, 1).regs.cs).toBe(0x33n);
    const flags: Event = { type: 'tracer.setRegs', regs: { rflags: 0x3000n | rf.DF } };
    const r2 = run('linux-6.7', [attach({ syscalls: true }), ev.syscall('getpid'), flags]);
    expect(task(r2.final, 1).regs.rflags).toBe(0x202n | rf.DF);
  });

  // The exit after a ptrace stop copes with any register values: the RIP check sends 2^63-ish to IRET.
  it('after setRegs(rip = non-canonical) at syscall exit, returns by IRET and SIGSEGVs at that RIP', () => {
    const rip = 0x8fff_ffff_ffff_ffffn;
    const set: Event = { type: 'tracer.setRegs', regs: { rip, rcx: rip } };
    const r = run('linux-6.7', [attach({ syscalls: true }), ev.syscall('getpid'), cont, yield2, set, cont, yield2, ev.nop]);
    // The last stop is the signal handler's int $0x80 (the second yield2 runs on task 1).
    expect(stops(r)).toEqual(['1:syscall-entry', '1:syscall-exit', '1:syscall-entry']);
    expect(failures(r)).toEqual([]);
    expect(signals(r)).toEqual([expect.objectContaining({ signal: SIG.SIGSEGV, code: SI.KERNEL, rip })]);
  });
});

describe('CVE-2014-4699: a fork-event stop, a non-canonical RIP, and the old SYSRET fast path', () => {
  const rip = 0x8fff_ffff_ffff_ffffn;
  // B3 trace: TRACEFORK, fork stops at the event, SETREGS rip, CONT; task 2 then the child run first.
  const trace: Event[] = [attach({ fork: true }), ev.syscall('fork'), { type: 'tracer.setRegs', regs: { rip, rcx: rip } },
    cont, yield2, ev.syscall('sched_yield'), yield2, ev.nop];
  const unfixed = variant(design('linux-3.19'), 'linux-3.19-without-force-iret', { forceIretAfterPtraceStop: false });

  it('linux-3.19 (force_iret after ptrace_stop) returns by IRET: SIGSEGV in user mode', () => {
    const r = run('linux-3.19', trace);
    expect(failures(r)).toEqual([]);
    expect(signals(r)).toEqual([expect.objectContaining({ signal: SIG.SIGSEGV, rip })]);
  });

  it('without that fix, Intel SYSRET faults at CPL 0 on the user RSP', () => {
    const r = run(unfixed, trace);
    expect(failures(r)).toEqual([expect.stringMatching(/^user-stack: asm_exc_general_protection/)]);
  });

  it('without that fix, AMD SYSRET completes and the fault happens in user mode', () => {
    const r = run(unfixed, trace, { vendor: 'amd' });
    expect(failures(r)).toEqual([]);
    expect(returns(r, 1)[0]).toMatchObject({ via: 'sysret', rip });
    expect(signals(r)).toEqual([expect.objectContaining({ signal: SIG.SIGSEGV, rip })]);
  });
});

describe('single-stepping a syscall (B23, 6342adcaa683)', () => {
  const trace: Event[] = [attach({ syscalls: true }), ev.syscall('getpid'), singleStep, yield2, singleStep, yield2, ev.nop, ev.nop];
  /** Task 1's user instructions and traps, in order. */
  const t1 = (r: ReturnType<typeof run>) => r.obs.flatMap((o) =>
    ((o.kind === 'user-insn' || o.kind === 'trap') && o.task === 1 ? [`${o.kind} 0x${o.rip.toString(16)}`] : []));

  // PTRACE_SINGLESTEP from the entry stop clears SYSCALL_TRACE: the exit reports the single
  // step instead of a syscall-exit stop (ptrace_resume, syscall_exit_work; a real kernel agrees).
  it('reports exactly one single-step trap at syscall exit, before any further user instruction', () => {
    const r = run('linux-6.7', trace);
    expect(stops(r).slice(0, 2)).toEqual(['1:syscall-entry', '1:singlestep']);
    expect(t1(r).slice(0, 2)).toEqual(['user-insn 0x400100', 'trap 0x400102']);
    expect(task(r.final, 1).tif & TIF.SINGLESTEP).toBe(TIF.SINGLESTEP);
  });

  it('with the 2021 regression (no single-step report), the tracee runs on past the syscall', () => {
    const r = run(variant(design('linux-6.7'), 'no-singlestep-report', { singleStepReport: false }), trace);
    expect(stops(r)[0]).toBe('1:syscall-entry');
    expect(t1(r).slice(0, 2)).toEqual(['user-insn 0x400100', 'user-insn 0x400102']);
  });
});
