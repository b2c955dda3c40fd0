/**
 * User code never runs with work pending (NEED_RESCHED, SIGPENDING, NOTIFY_RESUME) unless an
 * interrupt is already on its way to handle it (an NMI returns without exit work, and a remote
 * CPU kicks the task with an IPI; "the final check happens with IRQs off" is what makes a
 * normal return satisfy this). The single-step reports, once part of this, are step-report's.
 */
import { defineInvariant, TIF } from '../../src/index.ts';

const WORK: ReadonlyArray<[number, string]> = [[TIF.NEED_RESCHED, 'NEED_RESCHED'], [TIF.SIGPENDING, 'SIGPENDING'], [TIF.NOTIFY_RESUME, 'NOTIFY_RESUME']];

export default defineInvariant({
  id: 'exit-work',
  kind: 'step',
  summary: 'user code never runs with exit work pending',
  source: 'linux-entry-history 6.2 (E1, E2), B20, B21',
  check(t) {
    const s = t.after;
    const task = s.k.tasks[s.k.current];
    if ((s.cpu.cs.sel & 3) === 3 && s.k.halted === null && s.hw.irq.length === 0 && !s.hw.nmi) {
      const pending = WORK.filter(([bit]) => ((task?.tif ?? 0) & bit) !== 0).map(([, n]) => n);
      if (pending.length > 0) return `expected no pending work while task ${s.k.current} runs user code, got ${pending.join('|')} still set`;
    }
    return true;
  },
});
