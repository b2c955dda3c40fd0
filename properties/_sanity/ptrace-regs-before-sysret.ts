/**
 * Reachability claim that must be VIOLATED: a tracer never rewrites a stopped task's registers
 * and then sees the task return to user mode by SYSRET (the CVE-2014-4699 shape).
 */
import { defineInvariant } from '../../src/index.ts';

export default defineInvariant({
  id: 'sanity-ptrace-then-sysret',
  kind: 'step',
  sanity: true,
  summary: '(must be violated) a task whose registers a tracer rewrote never returns by SYSRET',
  source: 'DESIGN.md section 4 (_sanity); linux-entry-history B3',
  check(t) {
    const wrote = new Set<number>();
    for (const h of t.history) {
      if (h.o.kind === 'ptrace-stop') wrote.add(h.o.task);
      if (h.o.kind === 'return-to-user' && h.o.via === 'sysret' && wrote.has(h.o.task)) return `expected no SYSRET after a ptrace stop of task ${h.o.task}, got one`;
    }
    return true;
  },
});
