/**
 * A task running in user mode never has TS_COMPAT set: the flag marks a 32-bit system call in
 * progress, and seccomp/audit trust it on the next entry (CVE-2015-2830).
 */
import { defineInvariant } from '../../src/index.ts';

export default defineInvariant({
  id: 'compat-status',
  kind: 'state',
  granularity: 'micro',
  summary: 'a task running in user mode never has TS_COMPAT set',
  source: 'linux-entry-history 6.2 (E5), B6 (CVE-2015-2830, S17: "tasks executing in user mode never have TS_COMPAT set")',
  check(s) {
    if ((s.cpu.cs.sel & 3) !== 3) return true;
    const t = s.k.tasks[s.k.current];
    return t?.tsCompat ? `expected task ${t.id} in user mode without TS_COMPAT, got it set` : true;
  },
});
