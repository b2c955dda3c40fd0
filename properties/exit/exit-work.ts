/**
 * User code never runs with work pending (NEED_RESCHED, SIGPENDING, NOTIFY_RESUME) unless an
 * interrupt is already on its way to handle it (an NMI returns without exit work, and a remote
 * CPU kicks the task with an IPI; "the final check happens with IRQs off" is what makes a
 * normal return satisfy this), and
 * one-shot syscall-exit work happens exactly once: a task single-stepped by a tracer reports
 * exactly one trap per instruction, SYSCALL included (the hardware masks TF there, so the kernel
 * must report it at syscall exit).
 */
import { defineInvariant, TIF, type Observation } from '../../src/index.ts';

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
    // One trap per instruction a stepped task executes, before its next instruction.
    // Only completed instructions: a faulting one is not "executed" and does not trap. A MOV SS
    // holds its own single-step trap until after the next instruction, which reports both
    // (SDM Vol. 3 6.8.3: debug exceptions and single-step traps are inhibited by the shadow).
    const counted = (o: Observation): boolean => o.kind === 'user-insn' && !o.faulted && o.insn !== 'movSs';
    const insns = t.observations.filter(counted);
    for (const now of insns) {
      if (now.kind !== 'user-insn') continue;
      const idx = t.history.findIndex((h) => h.o === now);
      let prev = -1;
      for (let i = idx - 1; i >= 0; i--) {
        const h = t.history[i]?.o;
        if (h !== undefined && counted(h) && h.kind === 'user-insn' && h.task === now.task) { prev = i; break; }
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
});
