/**
 * User code never runs with work pending (NEED_RESCHED, SIGPENDING, NOTIFY_RESUME) unless an
 * interrupt is already on its way to handle it (an NMI returns without exit work, and a remote
 * CPU kicks the task with an IPI; "the final check happens with IRQs off" is what makes a
 * normal return satisfy this), and
 * one-shot syscall-exit work happens exactly once: a task single-stepped by a tracer reports
 * exactly one trap per instruction, SYSCALL included (the hardware masks TF there, so the kernel
 * must report it at syscall exit).
 */
import { defineInvariant, TIF } from '../../src/index.ts';

const WORK: ReadonlyArray<[number, string]> = [[TIF.NEED_RESCHED, 'NEED_RESCHED'], [TIF.SIGPENDING, 'SIGPENDING'], [TIF.NOTIFY_RESUME, 'NOTIFY_RESUME']];

export default defineInvariant({
  id: 'exit-work',
  kind: 'step',
  summary: 'user code never runs with exit work pending; one single-step report per stepped instruction',
  source: 'linux-entry-history 6.2 (E1-E3), B20, B21, B23',
  check(t) {
    const s = t.after;
    const task = s.k.tasks[s.k.current];
    if ((s.cpu.cs.sel & 3) === 3 && s.k.halted === null && s.hw.irq.length === 0 && !s.hw.nmi) {
      const pending = WORK.filter(([bit]) => ((task?.tif ?? 0) & bit) !== 0).map(([, n]) => n);
      if (pending.length > 0) return `expected no pending work while task ${s.k.current} runs user code, got ${pending.join('|')} still set`;
    }
    // One trap per instruction a stepped task completes, before its next instruction or signal.
    // A faulting instruction does not complete and does not trap; a MOV SS holds its own trap
    // until after the next instruction, which reports both (SDM Vol. 3 6.8.3); a signal handler
    // entered while stepping gets a report of its own (after the signal, not counted here).
    for (const end of t.observations) {
      if (end.kind !== 'user-insn' && end.kind !== 'signal') continue;
      const idx = t.history.findIndex((h) => h.o === end);
      let start = -1;
      for (let i = idx - 1; i >= 0; i--) {
        const h = t.history[i]?.o;
        if (h !== undefined && (h.kind === 'user-insn' || h.kind === 'signal') && h.task === end.task) { start = i; break; }
      }
      const first = t.history[start];
      if (first === undefined || first.o.kind !== 'user-insn' || first.o.faulted || first.o.insn === 'movSs') continue;
      if (((t.stateAt(first.at).k.tasks[end.task]?.tif ?? 0) & TIF.SINGLESTEP) === 0) continue;
      const traps = t.history.slice(start + 1, idx).filter((h) => h.o.kind === 'trap' && h.o.task === end.task).length;
      if (traps !== 1) return `expected one single-step report for task ${end.task}'s instruction at 0x${first.o.rip.toString(16)}, got ${traps}`;
    }
    return true;
  },
});
