/**
 * The probes of run's exploration past its depth (explore/probes.ts, beyond.ts preemptProbe):
 * an IRQ after each trace at the depth, followed as a preemption's window where it preempted the
 * task; an NMI at the boundary where a window's end returns to user mode; and two IRQs due at
 * each IRQ-taking boundary of a first event's run and the next. None names a bug: the first reads
 * the enabling mask (a task waits preempted inside a kernel path), the others the run's clock and
 * boundaries. Each case fails without its option (`windowProbes`, `irqPairs`).
 */
import { describe, expect, it } from 'vitest';
import { discoverInvariants } from '../../src/check/discover.ts';
import { runExploration } from '../../src/check/explore/alphabet.ts';
import { explore, judgeOn } from '../../src/check/explore/explore.ts';
import { enabledMask, preemptedSince, resumedPreempted } from '../../src/check/gen/enabled.ts';
import { irqBoundaries } from '../../src/check/explore/boundaries.ts';
import { returnNmi, stormPair } from '../../src/check/explore/probes.ts';
import { kernelOf } from '../../src/check/session.ts';
import type { RawEvent } from '../../src/check/trace-file.ts';
import { findDesign, type Design } from '../../src/kernel/index.ts';
import type { MachineState } from '../../src/model/index.ts';

const invariants = (await discoverInvariants()).map((d) => d.invariant);
const only = (id: string) => invariants.filter((i) => i.id === id);
const cellOf = (name: string, vendor: 'intel' | 'amd' = 'amd') => ({ kernel: kernelOf(findDesign(name) as Design), vendor, paging: 4 as const });
const ATTACH: RawEvent = { type: 'tracer.attach', options: { syscalls: true } };
const GETPID: RawEvent = { type: 'user.syscall', nr: 'getpid' };
const INT80: RawEvent = { type: 'user.int80', nr: 'getpid' };
const SIGNAL: RawEvent = { type: 'sched.signal', task: 1, signal: 10 };
const irq = (after: number): RawEvent => ({ type: 'hw.irq', after });

/** Run's exploration of `id` on irqs-on-syscall-entry, with or without the probes. */
const found = (id: string, vendor: 'intel' | 'amd', windowProbes: boolean) =>
  explore({ invariants: only(id), cell: cellOf('irqs-on-syscall-entry', vendor), ...runExploration(), windowProbes, depth: 2 }).found;

describe('an IRQ after a trace at the depth', () => {
  for (const vendor of ['intel', 'amd'] as const) {
    it(`preempts a traced system call before its entry stop; the other task's IRQ then overwrites the shared IST frame (syscall-stops, ${vendor})`, () => {
      // irqs-on-syscall-entry moves the IRQs to an IST stack: task 1, preempted from it, is
      // resumed through a frame the other task's nested IRQ wrote, past its syscall-entry stop.
      const f = found('syscall-stops', vendor, true);
      expect(f?.raw, '[FAIL] expected the attach, the call, the probe\'s IRQ, the other task\'s call and an IRQ in it').toEqual([ATTACH, INT80, irq(0), GETPID, irq(2)]);
      expect(f?.failure.message).toContain('syscall-entry stop');
    });
  }

  it('is not followed without windowProbes', () => {
    expect(found('syscall-stops', 'amd', false), 'the windows a depth-2 trace opens are a tracer\'s, not a preemption\'s').toBeNull();
  });
});

describe('the masks the probes read', () => {
  const maskAfter = (raw: RawEvent[]) => {
    const j = judgeOn([], cellOf('irqs-on-syscall-entry'), raw, null, {});
    return enabledMask(j.run.states[j.run.states.length - 1] as MachineState);
  };
  it('tell a task preempted inside its system call, and the same task resumed by the other task\'s IRQ', () => {
    const start = maskAfter([]);
    const preempted = maskAfter([GETPID, irq(29)]);
    const resumed = maskAfter([GETPID, irq(29), SIGNAL, irq(0)]);
    expect(preemptedSince(preempted, start), '[FAIL] expected the IRQ at the dispatch to preempt task 1').toBe(true);
    expect(preemptedSince(maskAfter([GETPID]), start), 'a call alone').toBe(false);
    expect(resumedPreempted(resumed, preempted), '[FAIL] expected the other task\'s IRQ to switch back to task 1').toBe(true);
    expect(resumedPreempted(maskAfter([GETPID, irq(29), SIGNAL]), preempted), 'still waiting').toBe(false);
  });
});

describe('an NMI where a window\'s end returns to user mode', () => {
  it('lands at the first boundary back in user mode: the run\'s length from the end of the last event, and no other count', () => {
    // The preemption (an IRQ at the dispatch of a SYSCALL), a signal for the other task to run
    // to user mode, and its IRQ, which switches back to task 1 through the frame it overwrote:
    // task 1 is in user mode with the kernel's GS base, which only an NMI there turns into a crash.
    const raw = [GETPID, irq(29), SIGNAL, irq(0)];
    const j = judgeOn([], cellOf('irqs-on-syscall-entry'), raw, null, {});
    const nmi = returnNmi(j, raw.length);
    expect(nmi).toEqual({ type: 'hw.nmi', after: 25 });
    const hit = (after: number) => judgeOn(only('nmi-safety'), cellOf('irqs-on-syscall-entry'), [...raw, { type: 'hw.nmi', after }], null, {}).violations.size > 0;
    expect([24, 25, 26].map(hit), '[FAIL] expected the NMI to crash only at the boundary back in user mode').toEqual([false, true, false]);
  });

  for (const vendor of ['intel', 'amd'] as const) {
    it(`finds nmi-safety's flaw on irqs-on-syscall-entry (${vendor}), and not without windowProbes`, () => {
      expect(found('nmi-safety', vendor, true)?.raw, '[FAIL] expected the window and the NMI back in user mode').toEqual([GETPID, irq(29), SIGNAL, irq(0), { type: 'hw.nmi', after: 25 }]);
      expect(found('nmi-safety', vendor, false)).toBeNull();
    });
  }
});

describe('two IRQs due at a boundary and the next', () => {
  it('are placed at each boundary of the run where an IRQ is taken at once: linux-6.7\'s getpid from its C entry\'s STI to the exit\'s CLI, and back in user mode', () => {
    const j = judgeOn([], cellOf('linux-6.7'), [GETPID], null, { boundaries: true });
    // IRQs are on from boundary 28 (after the STI in do_syscall_64) to 36 (syscall_exit_to_user_mode
    // masks them), and again at 46, the first boundary after the SYSRET.
    expect(irqBoundaries(j, 1)).toEqual([28, 29, 30, 31, 32, 33, 34, 35, 36, 46]);
    expect(stormPair(28)).toEqual([irq(28), irq(29)]);
  });

  for (const vendor of ['intel', 'amd'] as const) {
    it(`the second held while the first is handled: irqs-on-syscall-entry's half-built pt_regs (pt-regs-coherence, ${vendor})`, () => {
      // The first IRQ lands past the rewind window, before the entry has pushed all of pt_regs,
      // and preempts task 1 from the IST stack; the second is taken when the next task turns IRQs
      // on, on the same IST stack, and switches back: rseq reads task 1's half-built pt_regs.
      const regs = only('pt-regs-coherence');
      const hit = (raw: RawEvent[]) => judgeOn(regs, cellOf('irqs-on-syscall-entry', vendor), raw, null, {}).violations.size > 0;
      expect(hit([GETPID, ...stormPair(5)]), '[FAIL] expected the pair at the fifth boundary to leave pt_regs half-built').toBe(true);
      expect(hit([GETPID, irq(5)]), 'one IRQ alone').toBe(false);
      const run = (irqPairs: boolean) => explore({ invariants: regs, cell: cellOf('irqs-on-syscall-entry', vendor), ...runExploration(), windowProbes: false, irqPairs, extraLevels: 0, loops: false, depth: 2 }).found;
      expect(run(true)?.raw, '[FAIL] expected the exploration to find the pair').toEqual([GETPID, irq(5), irq(6)]);
      expect(run(false)).toBeNull();
    });
  }
});
