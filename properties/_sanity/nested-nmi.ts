/**
 * Reachability claim that must be VIOLATED: NMIs never nest (a second NMI arriving while the
 * first one's handler runs, after an IRET inside it unblocked NMIs).
 */
import { defineInvariant } from '../../src/index.ts';

export default defineInvariant({
  id: 'sanity-nested-nmi',
  kind: 'state',
  granularity: 'micro',
  sanity: true,
  summary: '(must be violated) NMIs never nest',
  source: 'DESIGN.md section 4 (_sanity); x86-semantics 5.5 (any IRET unblocks NMIs)',
  check(s) {
    let n = 0;
    for (const t of s.k.tasks) for (const a of t.acts) if (a.vector === 2) n++;
    return n > 1 ? `expected at most one NMI activation, got ${n}` : true;
  },
});
