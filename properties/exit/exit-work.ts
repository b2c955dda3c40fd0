/**
 * No return to user mode with work pending (NEED_RESCHED, SIGPENDING, NOTIFY_RESUME), and
 * one-shot syscall-exit work happens exactly once: a task single-stepped by a tracer reports
 * exactly one trap per instruction, SYSCALL included (the hardware masks TF there, so the kernel
 * must report it at syscall exit).
 */
import { defineInvariant, TIF } from '../../src/index.ts';

const WORK: ReadonlyArray<[number, string]> = [[TIF.NEED_RESCHED, 'NEED_RESCHED'], [TIF.SIGPENDING, 'SIGPENDING'], [TIF.NOTIFY_RESUME, 'NOTIFY_RESUME']];

export default defineInvariant({
  id: 'exit-work',
  kind: 'step',
  summary: 'no return to user mode with work pending; one single-step report per stepped instruction',
  source: 'linux-entry-history 6.2 (E1-E3), B20, B21, B23',
  check(t) {
    // One trap per instruction a stepped task executes, before its next instruction.
    const insns = t.observations.filter((o) => o.kind === 'user-insn');
    for (const now of insns) {
      if (now.kind !== 'user-insn') continue;
      const idx = t.history.findIndex((h) => h.o === now);
      let prev = -1;
      for (let i = idx - 1; i >= 0; i--) {
        const h = t.history[i]?.o;
        if (h?.kind === 'user-insn' && h.task === now.task) { prev = i; break; }
      }
      if (prev < 0) continue;
      const at = t.history[prev]?.at ?? 0;
      const stepping = (t.stateAt(at).k.tasks[now.task]?.tif ?? 0) & TIF.SINGLESTEP;
      if (!stepping) continue;
      const traps = t.history.slice(prev + 1, idx).filter((h) => h.o.kind === 'trap' && h.o.task === now.task).length;
      if (traps !== 1) return `expected one single-step report for task ${now.task}'s instruction at 0x${((t.history[prev]?.o as { rip: bigint }).rip).toString(16)}, got ${traps}`;
    }
    return true;
  },
  checkMicro(m) {
    if ((m.before.cpu.cs.sel & 3) !== 0 || (m.after.cpu.cs.sel & 3) !== 3) return true;
    const task = m.after.k.tasks[m.after.k.current];
    const pending = WORK.filter(([bit]) => ((task?.tif ?? 0) & bit) !== 0).map(([, n]) => n);
    return pending.length === 0 ? true : `expected no pending work on return to user mode, got ${pending.join('|')} still set`;
  },
});
