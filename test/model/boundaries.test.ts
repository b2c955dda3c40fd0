/**
 * The model's record of where an interrupt can land (RunOptions.boundaries): each kernel
 * micro-step's boundary and whether the CPU would take an IRQ or an NMI there at once. The facts:
 * SYSCALL clears IF through FMASK (SDM Vol. 2B SYSCALL), so a masked IRQ waits until the C entry
 * enables interrupts, and the exit masks them again before returning; an NMI is taken at any
 * kernel boundary except while NMIs are blocked, from NMI delivery to the next IRET (SDM Vol. 3 6.7.1).
 */
import { describe, expect, it } from 'vitest';
import { toTraceEvents } from '../../src/check/operands.ts';
import { kernelOf } from '../../src/check/session.ts';
import { initialState } from '../../src/kernel/index.ts';
import { ENTERS_PROGRAM as CALL, replay, TAKES_IRQ as IRQ, TAKES_NMI as NMI } from '../../src/model/index.ts';
import { design } from '../kernel/helpers.ts';

const K = kernelOf(design('linux-6.7'));

/** The boundaries of the kernel run after the last event of `raw`, with the name and program of the micro-step before each. */
function lastRun(raw: Parameters<typeof toTraceEvents>[0]): Array<{ step: string; path: string; taken: number }> {
  const r = replay(initialState(K, 'intel', 4), toTraceEvents(raw, 'test'), K, { micro: true, boundaries: true });
  const n = raw.length;
  const micro = r.micro?.filter((m) => m.event === n) ?? [];
  const bounds = (r.boundaries ?? []).filter(([event]) => event === n);
  expect(bounds).toHaveLength(micro.length);
  return bounds.map(([, , taken], i) => ({ step: K.describe(micro[i]?.rip ?? 0n), path: micro[i]?.step.path ?? '', taken }));
}

describe('the boundaries a run records (linux-6.7)', () => {
  it('a getpid by SYSCALL takes an IRQ only from one boundary after the C entry\'s STI (its shadow, SDM Vol. 3 6.8.3) until the exit masks them', () => {
    const b = lastRun([{ type: 'user.syscall', nr: 'getpid' }]);
    const on = b.findIndex((x) => x.step.includes('ENABLE_INTERRUPTS'));
    const off = b.findIndex((x) => x.step.includes('local_irq_disable_exit_to_user'));
    expect(on).toBeGreaterThan(0);
    expect(off).toBeGreaterThan(on);
    // The last boundary follows SYSRET, in user mode with IF loaded from R11.
    expect(b[b.length - 1]?.step).toContain('sysretq');
    b.forEach((x, i) => expect((x.taken & IRQ) !== 0, `${i} ${x.step}`).toBe((i > on && i < off) || i === b.length - 1));
  });

  it('takes an NMI at every boundary of the system call, and none inside an NMI handler', () => {
    expect(lastRun([{ type: 'user.syscall', nr: 'getpid' }]).every((x) => (x.taken & NMI) !== 0)).toBe(true);
    const inNmi = lastRun([{ type: 'hw.nmi', after: 0 }]);
    expect(inNmi.length).toBeGreaterThan(0);
    // The last boundary is after the NMI's IRET, which unblocks NMIs.
    expect(inNmi.slice(0, -1).every((x) => (x.taken & NMI) === 0)).toBe(true);
    expect((inNmi[inNmi.length - 1] as { taken: number }).taken & NMI).toBe(NMI);
  });

  it('marks the boundaries between two programs: the dispatch into sys_getpid, its return, the jumps to the exit and to SYSRET', () => {
    const b = lastRun([{ type: 'user.syscall', nr: 'getpid' }]);
    const marked = b.flatMap((x, i) => ((x.taken & CALL) !== 0 ? [i] : []));
    // Exactly where the next micro-step's program differs from this one's.
    b.slice(0, -1).forEach((x, i) => expect((x.taken & CALL) !== 0, `${i} ${x.step}`).toBe(x.path !== b[i + 1]?.path));
    expect(marked.map((i) => `${b[i]?.path} -> ${b[i + 1]?.path}`)).toEqual([
      'entry_SYSCALL_64 -> sys_getpid', 'sys_getpid -> entry_SYSCALL_64', 'entry_SYSCALL_64 -> syscall_exit_to_user_mode',
      'syscall_exit_to_user_mode -> exit_to_user_mode', 'exit_to_user_mode -> sysret_exit',
    ]);
    // The dispatch into the system call is one where an IRQ is taken (IRQs are on from the C entry to the exit's mask).
    expect((b[marked[0] as number] as { taken: number }).taken & IRQ).toBe(IRQ);
  });

  it('an IRQ whose `after` is a recorded boundary\'s clock (counted from the event\'s end) is taken at that boundary', () => {
    const raw = [{ type: 'user.syscall', nr: 'getpid' }, { type: 'user.nop' }] as const;
    const r = replay(initialState(K, 'intel', 4), toTraceEvents([raw[0]], 'test'), K, { boundaries: true });
    const from = (r.states[1] as { clock: number }).clock;
    const open = (r.boundaries ?? []).filter(([event, , taken]) => event === 1 && (taken & IRQ) !== 0).map(([, clock]) => clock - from);
    expect(open.length).toBeGreaterThan(3);
    for (const after of open) {
      const t = replay(initialState(K, 'intel', 4), toTraceEvents([raw[0], { type: 'hw.irq', after }, raw[1]], 'test'), K, { micro: true });
      const entry = t.micro?.find((m) => K.describe(m.rip).startsWith('asm_irq_timer+0'));
      expect(entry && entry.before.clock - from, `after ${after}`).toBe(after);
    }
  });
});
