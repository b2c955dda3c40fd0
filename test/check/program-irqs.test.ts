/**
 * Run's exploration places an IRQ at each boundary between two programs of a first event's kernel
 * run (explore.ts programIrqs, boundaries.ts programInterrupts), and after a preemption it follows
 * an IRQ nested in the other task's entry (gen/enabled.ts preemptedNested). Neither is written
 * for a bug: the first is read off the model's micro-steps (a call, a return, a jump to the exit),
 * the second off the enabling mask. Together they find irqs-on-syscall-entry's flaw on AMD, where
 * the alphabet's interrupt window (the first three boundaries of an event) never reaches the body
 * of a system call.
 */
import { describe, expect, it } from 'vitest';
import { discoverInvariants } from '../../src/check/discover.ts';
import { runExploration } from '../../src/check/explore/alphabet.ts';
import { programInterrupts } from '../../src/check/explore/boundaries.ts';
import { explore, judgeOn } from '../../src/check/explore/explore.ts';
import { enabledMask, preemptedNested } from '../../src/check/gen/enabled.ts';
import { kernelOf } from '../../src/check/session.ts';
import type { RawEvent } from '../../src/check/trace-file.ts';
import { findDesign, type Design } from '../../src/kernel/index.ts';
import type { MachineState } from '../../src/model/index.ts';

const invariants = (await discoverInvariants()).map((d) => d.invariant);
const only = (id: string) => invariants.filter((i) => i.id === id);
const cellOf = (name: string) => ({ kernel: kernelOf(findDesign(name) as Design), vendor: 'amd' as const, paging: 4 as const });
const GETPID: RawEvent = { type: 'user.syscall', nr: 'getpid' };
const INT80: RawEvent = { type: 'user.int80', nr: 'getpid' };

/** The enabling mask at the settled end of `raw` on `name` (AMD, 4-level paging). */
function maskAfter(raw: RawEvent[], name = 'irqs-on-syscall-entry'): number {
  const j = judgeOn([], cellOf(name), raw, null, {});
  return enabledMask(j.run.states[j.run.states.length - 1] as MachineState);
}

describe('IRQs at the boundaries between two programs', () => {
  it('are the dispatch into sys_getpid and its return (where IRQs are on), never the alphabet\'s first three boundaries', () => {
    const j = judgeOn([], cellOf('linux-6.7'), [GETPID], null, { boundaries: true });
    const afters = programInterrupts(j, 1, runExploration().alphabet).map((e) => (e.type === 'hw.irq' ? e.after : -1));
    // linux-6.7 runs a getpid by SYSCALL in 46 micro-steps; IRQs are on from 28 to 36 (after the
    // C entry's STI, until the exit masks them), and the programs change at 29 (into sys_getpid),
    // 31 (back) and 33 (the jump to syscall_exit_to_user_mode).
    expect(afters).toEqual([29, 31, 33]);
  });
});

describe('an IRQ nested in an entry taken while another task waits preempted', () => {
  it('follows the other task\'s entry in the window, not a nop, not an NMI, not a window already open', () => {
    const preempted = [GETPID, { type: 'hw.irq', after: 29 } as RawEvent];
    const before = maskAfter([]);
    const mask = maskAfter([...preempted, INT80]);
    const IRQ: RawEvent = { type: 'hw.irq', after: 2 };
    expect(preemptedNested(IRQ, INT80, mask, before), '[FAIL] expected an IRQ in the other task\'s entry to be followed').toBe(true);
    expect(preemptedNested({ type: 'hw.nmi', after: 2 }, INT80, mask, before)).toBe(false);
    expect(preemptedNested(IRQ, { type: 'user.nop' }, mask, before)).toBe(false);
    expect(preemptedNested(IRQ, INT80, mask, mask), 'not new').toBe(false);
    // Without the preemption (the IRQ at the alphabet's boundary 2 is still in the rewound SYSCALL window) there is no window.
    expect(preemptedNested(IRQ, INT80, maskAfter([GETPID, { type: 'hw.irq', after: 2 }, INT80]), before)).toBe(false);
  });
});

describe('run\'s exploration on irqs-on-syscall-entry (AMD)', () => {
  const sysret = only('sysret-iret-equivalence');
  const on = (name: string, programIrqs?: number) =>
    explore({ invariants: sysret, cell: cellOf(name), ...runExploration(), ...(programIrqs !== undefined ? { programIrqs } : {}), depth: 2 }).found;

  it('finds task 1 back in user mode by SYSRET with the NULL SS an interrupt loaded: preempted at the dispatch, the other task\'s IRQ rewrote the shared IST frame', () => {
    const found = on('irqs-on-syscall-entry');
    expect(found?.raw, '[FAIL] expected the preemption at the dispatch and an IRQ nested in the other task\'s entry').toEqual([
      GETPID, { type: 'hw.irq', after: 29 }, INT80, { type: 'hw.irq', after: 2 },
    ]);
    expect(found?.failure.message).toContain('after SYSRET');
  });

  it('does not find it without the program-boundary IRQs', () => {
    // (linux-6.7 holds: reference-holds.test.ts)
    expect(on('irqs-on-syscall-entry', 0), 'the alphabet alone never preempts a system call\'s body').toBeNull();
  });
});
