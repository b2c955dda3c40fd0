/**
 * Reachability claim that must be VIOLATED: no task is ever switched out in the middle of a
 * system call while another task runs user code.
 */
import { defineInvariant } from '../../src/index.ts';

export default defineInvariant({
  id: 'sanity-switch-mid-syscall',
  kind: 'state',
  sanity: true,
  summary: '(must be violated) no task is switched out mid-syscall while another runs user code',
  source: 'DESIGN.md section 4 (_sanity): task switches between entry micro-steps are reachable',
  check(s) {
    if ((s.cpu.cs.sel & 3) !== 3) return true;
    const other = s.k.tasks.find((t) => t.id !== s.k.current && t.acts.some((a) => a.cause !== 'idt' || a.vector === 0x80) && t.mode !== 'dead' && t.mode !== 'new');
    return other ? `expected no task suspended in a syscall, got task ${other.id}` : true;
  },
});
