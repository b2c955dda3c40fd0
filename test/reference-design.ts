/**
 * The reference design of the tests that need "and nothing on linux-6.7" with every invariant
 * judged: linux-6.7 with its lost step report fixed (design knob fastFaultExit = step-report: the
 * report alone, without 3.x's syscall-exit stop; docs/designs.md). linux-6.7 itself violates
 * step-report in 5 events of run's exploration.
 */
import { findDesign, variant, type Design } from '../src/kernel/index.ts';

/** `d` with the fast 32-bit -EFAULT return making the single-step report, and no syscall stop. */
export function withLostReportFixed(d: Design): Design {
  return variant(d, `${d.name}+fast-fault-step-report`, { fastFaultExit: 'step-report' });
}

/** linux-6.7 with the lost step report fixed. */
export const reference: Design = withLostReportFixed(findDesign('linux-6.7') as Design);
