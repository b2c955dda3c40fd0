/**
 * The exploration's enabling conditions (gen/enabled.ts) and the equality boundary of register
 * frames (gen/events.ts bitAway). A window condition (an armed watchpoint, a trap held by a MOV SS
 * shadow, an armed NMI) makes the events that act on it "newly enabled", so the run's exploration
 * extends exactly the states that opened one; and the exploration then finds, with no sequence
 * written for it, CVE-2018-8897's four events, a nested NMI, and CVE-2015-3291's NMI in the
 * SYSCALL window with a user RSP on the NMI stack.
 */
import { describe, expect, it } from 'vitest';
import { discoverInvariants } from '../../src/check/discover.ts';
import { defaultAlphabet, runExploration } from '../../src/check/explore/alphabet.ts';
import { explore } from '../../src/check/explore/explore.ts';
import { enabledMask, newlyEnabled, newlyPreempted, newRelease, newStep, newStop, preemptedSetup } from '../../src/check/gen/enabled.ts';
import { bitAway } from '../../src/check/gen/events.ts';
import { toTraceEvents } from '../../src/check/operands.ts';
import { kernelOf } from '../../src/check/session.ts';
import type { RawEvent } from '../../src/check/trace-file.ts';
import { findDesign, initialState, variant, type Design } from '../../src/kernel/index.ts';
import { replay } from '../../src/model/index.ts';

const design = (name: string): Design => findDesign(name) as Design;
const maskAfter = (raw: RawEvent[], name = 'linux-6.7'): number => {
  const K = kernelOf(design(name));
  return enabledMask(replay(initialState(K, 'intel', 4), toTraceEvents(raw, 'test'), K).final);
};
const WATCH: RawEvent[] = [{ type: 'tracer.attach' }, { type: 'tracer.watch', addr: '$user_data' }];
const MOVSS: RawEvent = { type: 'user.movSs', watched: true };
const INT3: RawEvent = { type: 'user.int3' };
const ATTACH: RawEvent = { type: 'tracer.attach', options: { syscalls: true } };
const GETPID: RawEvent = { type: 'user.syscall', nr: 'getpid' };
const STEP: RawEvent = { type: 'tracer.singleStep' };
const DETACH: RawEvent = { type: 'tracer.detach' };

describe('a tracee stopped for a new reason', () => {
  it('is a new situation for the tracer\'s actions: stopped at a system call\'s entry, then at its exit', () => {
    const atEntry = maskAfter([ATTACH, GETPID]);
    const atExit = maskAfter([ATTACH, GETPID, STEP]);
    expect(newStop(STEP, atEntry, maskAfter([ATTACH])), '[FAIL] expected the first stop to be new').toBe(true);
    expect(newStop(STEP, atExit, atEntry), '[FAIL] expected the exit stop to be new after the entry stop').toBe(true);
    expect(newStop({ type: 'tracer.cont' }, atExit, atEntry)).toBe(true);
    // The same stop again is nothing new; nor does it concern a user instruction or the attach.
    expect(newStop(STEP, atEntry, atEntry)).toBe(false);
    expect(newStop(GETPID, atExit, atEntry)).toBe(false);
    expect(newStop(ATTACH, atExit, atEntry)).toBe(false);
  });

  it('lets run\'s exploration follow a single-stepping chain: user-progress on ts-fastsyscall (the unchecked SYSRET brings back the user\'s TF)', async () => {
    // (linux-6.7 holds: reference-holds.test.ts)
    const user = (await discoverInvariants()).map((d) => d.invariant).filter((i) => i.id === 'user-progress');
    const run = (name: string) => explore({ invariants: user, cell: { kernel: kernelOf(design(name)), vendor: 'amd', paging: 4 }, ...runExploration(), depth: 2 });
    const found = run('ts-fastsyscall').found;
    expect(found, '[FAIL] expected user-progress on ts-fastsyscall within the six extension levels').not.toBeNull();
    expect(found?.raw.filter((e) => e.type === 'tracer.singleStep').length).toBeGreaterThanOrEqual(1);
  });
});

describe('a task the tracer single-steps', () => {
  const FRAME: RawEvent = { type: 'user.syscall', nr: 'rt_sigreturn', frame: { rip: '$next', rcx: '$next' } };
  // Stopped at the step report of the call's exit, then stepped once more: back in user mode with TF.
  const stopped = (): number => maskAfter([ATTACH, GETPID, STEP]);
  const stepping = (): number => maskAfter([ATTACH, GETPID, STEP, STEP]);

  it('is a window the system calls act on (syscall_exit_work owes a step report, reference B23), not other instructions', () => {
    expect(newlyEnabled(GETPID, stepping(), stopped()), '[FAIL] expected a system call in the step window').toBe(true);
    expect(newlyEnabled(FRAME, stepping(), stopped()), '[FAIL] expected a forged-frame sigreturn in the step window').toBe(true);
    expect(newlyEnabled({ type: 'user.nop' }, stepping(), stopped())).toBe(false);
    // TF set by the user's own POPF is no step window: no tracer reads a report.
    const popf = maskAfter([{ type: 'user.popf', flags: '0x302' }]);
    expect(newlyEnabled(GETPID, popf, maskAfter([]))).toBe(false);
  });

  it('is followed past the second level by the calls without a forged frame', () => {
    expect(newStep(GETPID, stepping(), stopped()), '[FAIL] expected getpid followed').toBe(true);
    expect(newStep(FRAME, stepping(), stopped())).toBe(false);
    expect(newStep(GETPID, stepping(), stepping())).toBe(false);
  });

  it('lets run\'s exploration find the lost step report: step-report on B23 (linux-6.7 without it) and on ts-fastsyscall', async () => {
    // (linux-6.7 holds under this exploration: reference-holds.test.ts)
    const stepReport = (await discoverInvariants()).map((d) => d.invariant).filter((i) => i.id === 'step-report');
    const run = (d: Design) => explore({ invariants: stepReport, cell: { kernel: kernelOf(d), vendor: 'amd', paging: 4 }, ...runExploration(), depth: 2 });
    const b23 = run(variant(design('linux-6.7'), 'linux-6.7-no-step-report', { singleStepReport: false })).found;
    expect(b23, '[FAIL] expected step-report on B23').not.toBeNull();
    expect(b23?.raw.length).toBe(4);
    const ts = run(design('ts-fastsyscall')).found;
    expect(ts, '[FAIL] expected step-report on ts-fastsyscall (a stepped call comes back by SYSRET with TF)').not.toBeNull();
  });
});

describe('a tracer that lets go', () => {

  it('is a change the next system call acts on: not a forged frame, not another instruction, not while still attached', () => {
    const stopped = maskAfter([ATTACH, GETPID]);
    const released = maskAfter([ATTACH, GETPID, DETACH]);
    expect(newRelease(GETPID, released, stopped), '[FAIL] expected getpid after the detach').toBe(true);
    expect(newRelease({ type: 'user.int80', nr: 'getpid' }, released, stopped)).toBe(true);
    expect(newRelease({ type: 'user.syscall', nr: 'rt_sigreturn', frame: { rip: '$next' } }, released, stopped)).toBe(false);
    expect(newRelease({ type: 'user.nop' }, released, stopped)).toBe(false);
    expect(newRelease(GETPID, maskAfter([ATTACH, GETPID, { type: 'tracer.cont' }]), stopped)).toBe(false);
    expect(newRelease(GETPID, released, released)).toBe(false);
  });

  it('lets run\'s exploration reach a SYSRET after a ptrace stop on linux-3.19 (attach, a call, detach, a call: 3.19 forces IRET only once)', async () => {
    const sanity = (await discoverInvariants()).map((d) => d.invariant).filter((i) => i.id === 'sanity-ptrace-then-sysret');
    const found = explore({ invariants: sanity, cell: { kernel: kernelOf(design('linux-3.19')), vendor: 'intel', paging: 4 }, ...runExploration(), depth: 2 }).found;
    expect(found, '[FAIL] expected a SYSRET after the stop').not.toBeNull();
    expect(found?.raw.map((e) => e.type)).toContain('tracer.detach');
  });
});

describe('a task preempted inside a kernel path', () => {
  const SYSENTER: RawEvent = { type: 'user.sysenter', nr: 'getpid' };
  const IRQ: RawEvent = { type: 'hw.irq', after: 0 };
  const ACCESS: RawEvent = { type: 'user.access', addr: '$user_demand', write: false };
  const YIELD: RawEvent = { type: 'user.syscall', nr: 'sched_yield' };

  it('is a window the other task\'s kernel entries act on (they rewrite CR2, the scratch slot); a task that yielded at a schedule() is not', () => {
    // pf-trap-gate on Intel: SYSENTER from 64-bit code faults on the user stack in the kernel,
    // and the IRQ waiting for IF lands in that #PF entry (a trap gate) and preempts.
    const preempted = maskAfter([SYSENTER, IRQ], 'pf-trap-gate');
    const before = maskAfter([SYSENTER], 'pf-trap-gate');
    expect(newlyPreempted(ACCESS, preempted, before), '[FAIL] expected a fault entry of the other task to act on it').toBe(true);
    expect(newlyPreempted(GETPID, preempted, before)).toBe(true);
    expect(newlyPreempted({ type: 'sched.signal', task: 1, signal: 10 }, preempted, before), '[FAIL] expected a signal to act on it').toBe(true);
    expect(newlyPreempted({ type: 'user.nop' }, preempted, before)).toBe(false);
    expect(newlyPreempted({ type: 'user.syscall', nr: 'rt_sigreturn', frame: {} }, preempted, before)).toBe(false);
    expect(newlyPreempted(ACCESS, preempted, preempted), 'not new').toBe(false);
    // sched_yield switches task 1 out at a schedule(), inside its system call only.
    expect(newlyPreempted(ACCESS, maskAfter([YIELD], 'pf-trap-gate'), maskAfter([], 'pf-trap-gate'))).toBe(false);
  });

  it('lets run\'s exploration find pf-trap-gate\'s CR2 clobber on Intel (the other task\'s own #PF while the first waits in its #PF entry)', async () => {
    // (linux-6.7 holds: reference-holds.test.ts)
    const cr2 = (await discoverInvariants()).map((d) => d.invariant).filter((i) => i.id === 'cr2-coherence');
    const on = (name: string) => explore({ invariants: cr2, cell: { kernel: kernelOf(design(name)), vendor: 'intel', paging: 4 }, ...runExploration(), depth: 2 }).found;
    const found = on('pf-trap-gate');
    expect(found, '[FAIL] expected the CR2 clobber').not.toBeNull();
    expect(found?.raw.map((e) => e.type).slice(0, 2), '[FAIL] expected an entry preempted by an IRQ first').toEqual(['user.sysenter', 'hw.irq']);
    expect(found?.failure.message).toContain('#PF handler of task 1');
  });

  it('is a window the other task\'s register writes set up for its next entry; an entry, a nop or a state not newly preempted is not', () => {
    const preempted = maskAfter([SYSENTER, IRQ], 'pf-trap-gate');
    const before = maskAfter([SYSENTER], 'pf-trap-gate');
    const RSP0: RawEvent = { type: 'user.setReg', reg: 'rsp', value: '0x0' };
    expect(preemptedSetup(RSP0, preempted, before), '[FAIL] expected a register write to set up the next entry').toBe(true);
    expect(preemptedSetup({ type: 'user.popf', flags: '0x302' }, preempted, before), 'flags: measured and left out').toBe(false);
    expect(preemptedSetup(GETPID, preempted, before), 'an entry is followed by newlyPreempted').toBe(false);
    expect(preemptedSetup({ type: 'user.nop' }, preempted, before)).toBe(false);
    expect(preemptedSetup(RSP0, preempted, preempted), 'not new').toBe(false);
  });

  it('lets run\'s exploration find pf-trap-gate\'s CR2 clobber on AMD too: an IRQ at the third boundary of a fault entry, the other task\'s RSP written, its call through the vDSO faults', async () => {
    // (linux-6.7 holds: reference-holds.test.ts)
    // AMD has no SYSENTER in 64-bit code, so the other task's own #PF must come from user mode
    // (the vDSO call's push with RSP 0), after the setup the window now follows.
    const cr2 = (await discoverInvariants()).map((d) => d.invariant).filter((i) => i.id === 'cr2-coherence');
    const on = (name: string) => explore({ invariants: cr2, cell: { kernel: kernelOf(design(name)), vendor: 'amd', paging: 4 }, ...runExploration(), depth: 2 }).found;
    const found = on('pf-trap-gate');
    // RSP on the NMI stack or 0: either way the vDSO call's push faults in user mode.
    expect(found?.raw.map((e) => e.type), '[FAIL] expected the CR2 clobber through the setup window').toEqual(['user.access', 'hw.irq', 'user.setReg', 'user.syscall']);
    expect(found?.raw[1]).toEqual({ type: 'hw.irq', after: 2 });
    expect(found?.failure.message).toContain('#PF handler of task 1');
  });
});

describe('a signal sent while a task is preempted in its exit path', () => {
  it('lets run\'s exploration find linux-4.16 testing the exit work with IRQs on (B21\'s shape): the task goes back to user mode with SIGPENDING; nothing on linux-4.16', async () => {
    const exitWork = (await discoverInvariants()).map((d) => d.invariant).filter((i) => i.id === 'exit-work');
    const on = (d: Design) => explore({ invariants: exitWork, cell: { kernel: kernelOf(d), vendor: 'intel', paging: 4 }, ...runExploration(), depth: 2 }).found;
    const found = on(variant(design('linux-4.16'), 'linux-4.16-check-irqs-on', { exitWork: 'check-irqs-on' }));
    expect(found, '[FAIL] expected exit-work: work pending while user code runs').not.toBeNull();
    expect(found?.raw.map((e) => e.type)).toContain('sched.signal');
    expect(found?.failure.message).toContain('SIGPENDING');
    expect(on(design('linux-4.16'))).toBeNull();
  });
});

describe('window conditions', () => {
  it('an armed watchpoint newly enables the watched MOV SS, not an unwatched one', () => {
    const before = maskAfter([{ type: 'tracer.attach' }]);
    const after = maskAfter(WATCH);
    expect(newlyEnabled(MOVSS, after, before), '[FAIL] expected the watched MOV SS').toBe(true);
    expect(newlyEnabled({ type: 'user.movSs', watched: false }, after, before)).toBe(false);
    expect(newlyEnabled(INT3, after, before)).toBe(false);
  });

  it('a trap held by the MOV SS shadow newly enables every user instruction (SDM Vol. 3 6.8.3)', () => {
    const before = maskAfter(WATCH);
    const held = maskAfter([...WATCH, MOVSS]);
    expect(newlyEnabled(INT3, held, before), '[FAIL] expected INT3 in the held trap\'s window').toBe(true);
    expect(newlyEnabled({ type: 'user.syscall', nr: 'getpid' }, held, before)).toBe(true);
    // With no watchpoint the MOV SS holds nothing: no window opens.
    expect(newlyEnabled(INT3, maskAfter([MOVSS]), maskAfter([]))).toBe(false);
  });

  it('an armed NMI newly enables another NMI (one that lands in its handler) and a kernel entry, not an IRQ', () => {
    // Due one boundary into the next event: still armed when this trace ends.
    const armed = maskAfter([{ type: 'hw.nmi', after: 1 }]);
    const root = maskAfter([]);
    expect(newlyEnabled({ type: 'hw.nmi', after: 1 }, armed, root)).toBe(true);
    expect(newlyEnabled({ type: 'hw.irq', after: 1 }, armed, root)).toBe(false);
    // ... and a system call, in whose entry it lands (the SYSCALL window before the stack switch).
    expect(newlyEnabled({ type: 'user.syscall', nr: 'getpid' }, armed, root)).toBe(true);
    expect(newlyEnabled({ type: 'user.nop' }, armed, root)).toBe(false);
    // An armed IRQ opens no window: IRQs are masked in the entries.
    expect(newlyEnabled({ type: 'user.syscall', nr: 'getpid' }, maskAfter([{ type: 'hw.irq', after: 1 }]), root)).toBe(false);
  });

  it('a halted kernel enables nothing', () => {
    expect(newlyEnabled(INT3, -1, 0)).toBe(false);
  });
});

describe('the run\'s exploration finds what a window hides', () => {
  const invs = async (id: string) => (await discoverInvariants()).map((d) => d.invariant).filter((i) => i.id === id);
  const run = (name: string, invariants: Awaited<ReturnType<typeof invs>>) =>
    explore({ invariants, cell: { kernel: kernelOf(design(name)), vendor: 'amd', paging: 5 }, alphabet: defaultAlphabet(), depth: 2, extendNewlyEnabled: true, extraLevels: 2 });

  it('CVE-2018-8897 on linux-4.16 (#BP on the #DB IST stack), and not on linux-6.7', async () => {
    const health = await invs('kernel-health');
    const x = run('linux-4.16', health);
    expect(x.found?.raw.map((e) => e.type), '[FAIL] expected attach, watch, MOV SS, an instruction').toEqual(['tracer.attach', 'tracer.watch', 'user.movSs', expect.stringMatching(/^user\./)]);
    expect(run('linux-6.7', health).found).toBeNull();
  });

  it('CVE-2015-3291 on linux-6.7 with the nested-NMI test by RSP only (no DF test), not on linux-6.7', async () => {
    const safety = await invs('nmi-safety');
    const rspOnly = variant(design('linux-6.7'), 'linux-6.7-nested-by-rsp', { nestedNmi: 'rsp' });
    const x = explore({ invariants: safety, cell: { kernel: kernelOf(rspOnly), vendor: 'intel', paging: 4 }, alphabet: defaultAlphabet(), depth: 2, extendNewlyEnabled: true, extraLevels: 2 });
    expect(x.found?.raw.map((e) => e.type), '[FAIL] expected a user RSP, an NMI, a kernel entry').toEqual(['user.setReg', 'hw.nmi', expect.stringMatching(/^user\./)]);
    expect(run('linux-6.7', safety).found).toBeNull();
  });

  it('a nested NMI on linux-6.7 (the handler faults on a user stack on the null page)', async () => {
    const x = run('linux-6.7', await invs('sanity-nested-nmi'));
    expect(x.found?.raw.filter((e) => e.type === 'hw.nmi').length, '[FAIL] expected two NMIs').toBe(2);
  });
});

describe('bitAway: an equality test at its boundary', () => {
  it('flips bit k of a number, adds 2^k to a symbol\'s offset', () => {
    expect(bitAway('0x400000', 32)).toBe('0x100400000');
    expect(bitAway('0x100400000', 32)).toBe('0x400000');
    expect(bitAway('$next', 0)).toBe('$next+0x1');
    expect(bitAway('$user_half_end-2', 40)).toBe('$user_half_end+0xfffffffffe');
  });
});
