/**
 * No NMI is lost: after every NMI the CPU delivers, the NMI handler body runs (again) before the
 * kernel settles. NMIs that arrive while one is being handled may be folded into one repeat,
 * as the hardware itself folds NMIs into one latch (handlers poll every source each run). The
 * kernel never dies inside an NMI, and an NMI from user mode returns to user mode.
 */
import { defineInvariant, type MachineState } from '../../src/index.ts';

const inNmi = (s: MachineState): boolean => s.k.tasks.some((task) => task.acts.some((a) => a.vector === 2));

export default defineInvariant({
  id: 'nmi-safety',
  kind: 'step',
  summary: 'no NMI is lost, none ends in a kernel failure, and NMIs from user mode return correctly',
  source: 'x86-semantics 5.5; linux-entry-history 5.3, 6.5, B12-B14 (CVE-2015-3291, CVE-2015-5157, CVE-2015-3290)',
  check(t) {
    const s = t.after;
    // A halted machine keeps the activations it died in: the kernel died inside an NMI when one
    // is still live in the state it halted in.
    if (s.k.halted !== null && t.before.k.halted === null && inNmi(s) && s.k.halted.kind === 'kernel-failure') {
      return `expected an NMI to be survivable, got ${s.k.halted.what}: ${s.k.halted.detail}`;
    }
    if (!inNmi(s) && !s.hw.nmi && s.hw.nmiLastDelivered > s.k.percpu.nmiLastHandled && s.k.halted === null) {
      return `expected the NMI handler to run after the NMI delivered at boundary ${s.hw.nmiLastDelivered}, got its last run at ${s.k.percpu.nmiLastHandled < 0 ? 'never' : `boundary ${s.k.percpu.nmiLastHandled}`}`;
    }
    return true;
  },
});
