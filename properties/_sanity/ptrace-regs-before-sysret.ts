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
  // Tasks that have stopped for a tracer so far.
  init: () => new Set<number>(),
  check(t, _ctx, stopped) {
    for (const o of t.observations) {
      if (o.kind === 'ptrace-stop') stopped.add(o.task);
      if (o.kind === 'return-to-user' && o.via === 'sysret' && stopped.has(o.task)) return `expected no SYSRET after a ptrace stop of task ${o.task}, got one`;
    }
    return true;
  },
});
