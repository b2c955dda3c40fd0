/**
 * One-shot syscall-exit work happens exactly once: a task single-stepped by a tracer reports
 * exactly one trap per instruction it completes, SYSCALL included (the hardware masks TF there,
 * so the kernel must report it at syscall exit: linux-entry-history E3, B23 and B4).
 * Split from exit-work on 2026-12-03 so that a flaw every Linux shares here (the fast 32-bit
 * system call's -EFAULT return skips the report: docs/designs.md) leaves exit-work's
 * pending-work half sharp on every design.
 */
import { defineInvariant, TIF } from '../../src/index.ts';
import { VEC } from '../../src/isa/index.ts';

/** Per task, the instruction it is on: where it was, whether it was being stepped, traps so far. */
interface Open {
  readonly rip: bigint;
  readonly insn: string;
  readonly stepped: boolean;
  traps: number;
}

const miscount = (task: number, cur: Open): string =>
  `expected one single-step report for task ${task}'s instruction at 0x${cur.rip.toString(16)}, got ${cur.traps}`;

export default defineInvariant({
  id: 'step-report',
  kind: 'step',
  summary: 'a task single-stepped by a tracer gets one single-step report per instruction it completes',
  source: 'linux-entry-history 6.2 (E3), B23, B4',
  init: () => new Map<number, Open | null>(),
  check(t, _ctx, open) {
    // One trap per instruction a stepped task completes, before its next instruction or signal.
    // A faulting instruction does not complete and does not trap; a MOV SS holds its own trap
    // until after the next instruction, which reports both (SDM Vol. 3 6.8.3); a signal handler
    // entered while stepping gets a report of its own (after the signal, not counted here). An
    // INT n whose exception the kernel turns into a signal (INT $4: #OF, SIGSEGV) has only that
    // one: delivery cleared TF (SDM 6.12.1.2) and handle_signal reports at the handler.
    for (const o of t.observations) {
      if (o.kind === 'trap') {
        const cur = open.get(o.task);
        if (cur) cur.traps++;
        // A second report is wrong whatever comes next: said now, a trace that ends on it shows it.
        if (cur?.stepped && cur.traps > 1) return miscount(o.task, cur);
        continue;
      }
      // A machine check taken at the boundary after a stepped instruction outranks its single-step
      // trap, which the CPU discards (SDM Vol. 3 6.9, Table 6-2): no kernel can report it. A
      // return from #MC while the instruction has no report yet is that case.
      if (o.kind === 'return-to-user' && o.act?.cause === 'idt' && o.act.vector === VEC.MC) {
        const cur = open.get(o.task);
        if (cur?.stepped && cur.traps === 0) open.set(o.task, { ...cur, stepped: false });
        continue;
      }
      // Any other return to user mode comes after the stepped instruction's report or never
      // gets one: the trap of an instruction outranks interrupts at its boundary (SDM Vol. 3
      // 6.9), and a system call's report is made by its exit, before the return. Said now, a
      // trace that ends on the return shows it.
      if (o.kind === 'return-to-user') {
        const cur = open.get(o.task);
        if (cur?.stepped && cur.traps === 0) return miscount(o.task, cur);
        continue;
      }
      if (o.kind !== 'user-insn' && o.kind !== 'signal') continue;
      const cur = open.get(o.task);
      const reportedAtHandler = o.kind === 'signal' && cur?.insn === 'int' && cur.traps === 0;
      if (cur?.stepped && cur.traps !== 1 && !reportedAtHandler) return miscount(o.task, cur);
      // The next instruction counts if it completes, is not a MOV SS, and its task was being
      // stepped when it began (the state before this event).
      // A task id a dead task held is a new task's (fork reuses the slot): the dead one's flags
      // say nothing of it.
      const counts = o.kind === 'user-insn' && !o.faulted && o.insn !== 'movSs';
      const was = t.before.k.tasks[o.task];
      const stepped = counts && was !== undefined && was.mode !== 'dead' && (was.tif & TIF.SINGLESTEP) !== 0;
      open.set(o.task, counts ? { rip: o.rip, insn: o.insn, stepped, traps: 0 } : null);
    }
    // A tracer that stops stepping a task (detach, PTRACE_CONT: user_disable_single_step) while
    // it is stopped inside a stepped instruction's system call cancels a report not yet made;
    // one already made stays counted, so a second (a TF brought back by SYSRET) still shows.
    if (t.event.type.startsWith('tracer.')) {
      for (const [id, cur] of open) {
        if (cur?.stepped && cur.traps === 0 && ((t.after.k.tasks[id]?.tif ?? 0) & TIF.SINGLESTEP) === 0) open.set(id, { ...cur, stepped: false });
      }
    }
    // A task that died owes no report for the instruction it was on.
    for (const id of open.keys()) if (t.after.k.tasks[id]?.mode === 'dead') open.delete(id);
    return true;
  },
});
