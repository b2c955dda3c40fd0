/**
 * Reachability claim that must be VIOLATED: an NMI never arrives inside a #PF entry before CR2
 * is read. The search reaches this state, or it is too shallow to find CR2 bugs.
 */
import { defineInvariant } from '../../src/index.ts';

export default defineInvariant({
  id: 'sanity-nmi-in-pf-entry',
  kind: 'state',
  granularity: 'micro',
  sanity: true,
  summary: '(must be violated) an NMI never arrives inside a #PF entry before CR2 is read',
  source: 'DESIGN.md section 4 (_sanity); linux-entry-history B16',
  check(s) {
    for (const t of s.k.tasks) {
      let pfUnread = false;
      for (const a of t.acts) {
        if (a.vector === 14 && a.notes.cr2 === undefined) pfUnread = true;
        else if (pfUnread && a.vector === 2) return 'expected no NMI inside a #PF entry before its CR2 read, got one';
      }
    }
    return true;
  },
});
