/**
 * No NMI is lost (each one the CPU delivers gets its handler run, nested ones as repeats), the
 * kernel never dies inside an NMI, and an NMI from user mode returns to user mode.
 */
import { defineInvariant } from '../../src/index.ts';

export default defineInvariant({
  id: 'nmi-safety',
  kind: 'step',
  summary: 'no NMI is lost, none ends in a kernel failure, and NMIs from user mode return correctly',
  source: 'x86-semantics 5.5; linux-entry-history 5.3, 6.5, B12-B14 (CVE-2015-3291, CVE-2015-5157, CVE-2015-3290)',
  check(t) {
    const s = t.after;
    const live = s.k.tasks.some((task) => task.acts.some((a) => a.vector === 2));
    if (!live && !s.hw.nmi && s.hw.nmiDelivered !== s.k.percpu.nmiHandled && s.k.halted === null) {
      return `expected every delivered NMI to be handled (${s.hw.nmiDelivered} delivered), got ${s.k.percpu.nmiHandled} handled`;
    }
    return true;
  },
  checkMicro(m) {
    if (m.after.k.halted === null || m.before.k.halted !== null) return true;
    const inNmi = m.before.k.tasks.some((task) => task.acts.some((a) => a.vector === 2));
    const o = m.after.k.halted;
    if (inNmi && o.kind === 'kernel-failure') return `expected an NMI to be survivable, got ${o.what}: ${o.detail}`;
    return true;
  },
});
