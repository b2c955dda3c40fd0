/**
 * The kernel never oopses, panics, WARNs or hangs: no kernel-failure observation of any kind.
 * The more specific invariants say why a failure matters; this one catches every failure,
 * including WARNs the kernel survives (a single-step trap outside the SYSENTER region, B26).
 */
import { defineInvariant } from '../../src/index.ts';

export default defineInvariant({
  id: 'kernel-health',
  kind: 'step',
  summary: 'no oops, panic, WARN, double fault, triple fault or hang',
  source: 'DESIGN.md section 2.4 (kernel failures); linux-entry-history B26 (exc_debug_kernel WARN)',
  check(t) {
    const f = t.observations.find((o) => o.kind === 'kernel-failure');
    return f && f.kind === 'kernel-failure' ? `expected a healthy kernel, got ${f.what}: ${f.detail}` : true;
  },
});
