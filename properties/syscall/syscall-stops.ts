/**
 * A tracer that asked for system-call stops (PTRACE_SYSCALL) gets them in pairs: the
 * syscall-exit stop of a call the tracee entered while so traced comes after that call's
 * syscall-entry stop. A tracer tells entry from exit only by their order (ptrace(2),
 * "Syscall-stops": strace keeps a flag that each stop flips), so an exit stop with no entry stop
 * before it is taken for the next call's entry, and every stop after it is read the wrong way
 * round. The entry work and the exit work of a call go together (linux-entry-history E3, B27).
 * A call entered while not so traced (the tracer attached, or resumed with PTRACE_SYSCALL from
 * another stop, inside it; or it was single-stepping, which clears the syscall stops) may
 * report its exit alone: not judged.
 */
import { defineInvariant } from '../../src/index.ts';

/** The user instructions that enter a system call (user-insn names). */
const SYSCALL_INSNS: ReadonlySet<string> = new Set(['syscall', 'sysenter', 'int80']);

/** Per task, the system call it is in: where, whether entered with syscall stops on, entry stop seen. */
interface Call {
  readonly rip: bigint;
  readonly traced: boolean;
  entry: boolean;
}

export default defineInvariant({
  id: 'syscall-stops',
  kind: 'step',
  summary: 'a system call entered under PTRACE_SYSCALL reports its entry stop before its exit stop',
  source: 'ptrace(2) "Syscall-stops"; linux-entry-history E3, B27 (a syscall path with exit work and no entry work)',
  init: () => new Map<number, Call>(),
  check(t, _ctx, calls) {
    for (const o of t.observations) {
      if (o.kind === 'user-insn') {
        if (o.faulted || !SYSCALL_INSNS.has(o.insn)) continue;
        // As syscall entry work decides it: traced, syscall stops asked for, not single-stepping.
        const p = t.before.k.tasks[o.task]?.ptrace;
        calls.set(o.task, { rip: o.rip, traced: p !== undefined && p.attached && p.syscalls && !p.stepping, entry: false });
      } else if (o.kind === 'ptrace-stop' && o.why === 'syscall-entry') {
        const c = calls.get(o.task);
        if (c) c.entry = true;
      } else if (o.kind === 'ptrace-stop' && o.why === 'syscall-exit') {
        const c = calls.get(o.task);
        if (c?.traced && !c.entry) return `expected task ${o.task}'s syscall-entry stop for its system call at 0x${c.rip.toString(16)} before its syscall-exit stop, got none`;
      } else if (o.kind === 'return-to-user') {
        calls.delete(o.task);
      }
    }
    // A task that died is in no call; its id may go to a fork child.
    for (const id of calls.keys()) if (t.after.k.tasks[id]?.mode === 'dead') calls.delete(id);
    return true;
  },
});
