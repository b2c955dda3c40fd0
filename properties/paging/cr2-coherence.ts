/**
 * Every #PF handler acts on the address of its own fault: the CR2 value the hardware recorded
 * when that #PF was delivered, whatever ran in between (NMIs that fault, tracing that faults, a
 * C call clobbering the register the value was kept in).
 */
import { defineInvariant } from '../../src/index.ts';

export default defineInvariant({
  id: 'cr2-coherence',
  kind: 'state',
  granularity: 'micro',
  summary: "every #PF handler acts on the CR2 of its own fault",
  source: 'linux-entry-history 5.5 (sufficient conditions 1-5), bugs B16-B18; x86-semantics 5.2',
  check(s) {
    for (const t of s.k.tasks) {
      for (const a of t.acts) {
        if (a.vector !== 14 || a.hw.cr2 === undefined || a.notes.pfAddr === undefined) continue;
        if (a.notes.pfAddr !== a.hw.cr2) {
          return `expected the #PF handler of task ${t.id} to act on its fault address 0x${a.hw.cr2.toString(16)}, got 0x${a.notes.pfAddr.toString(16)}`;
        }
      }
    }
    return true;
  },
});
