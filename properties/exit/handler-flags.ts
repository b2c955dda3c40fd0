/**
 * A signal handler starts with DF and RF clear. The ABI promises DF clear at every function
 * entry (GCC 4.3's string operations stopped issuing CLD, which exposed kernels that entered
 * handlers with the interrupted code's DF: CVE-2008-1367), and RF set would suppress a debug
 * exception at the handler's first instruction (handle_signal's comment, arch/x86/kernel/signal.c).
 * Judged at the task's first return to user mode after the delivery, when it enters the handler
 * (RSP at the frame the kernel wrote: a return elsewhere, after a flaw that other invariants see
 * corrupted the frame, is not a handler's entry); a tracer's stop in between may rewrite the
 * registers, so a stop drops the claim.
 */
import { defineInvariant } from '../../src/index.ts';
import { rf } from '../../src/isa/index.ts';

const NAMES: ReadonlyArray<readonly [bigint, string]> = [[rf.DF, 'DF'], [rf.RF, 'RF']];

export default defineInvariant({
  id: 'handler-flags',
  kind: 'step',
  summary: 'a signal handler starts with DF and RF clear (the ABI at function entry; a debug exception at its first instruction)',
  source: 'CVE-2008-1367 (2.6.24 setup_rt_frame cleared TF alone); handle_signal (DF, RF, TF cleared since)',
  // The tasks with a handler set up and not yet entered, with the frame its RSP will point at.
  init: () => new Map<number, bigint>(),
  check(t, _ctx, entering) {
    for (const o of t.observations) {
      if (o.kind === 'signal' && o.frame !== undefined && !o.fatal) {
        entering.set(o.task, o.frame);
      } else if (o.kind === 'ptrace-stop') {
        entering.delete(o.task);
      } else if (o.kind === 'return-to-user') {
        const frame = entering.get(o.task);
        if (frame === undefined) continue;
        entering.delete(o.task);
        if (o.rsp !== frame) continue;
        const set = NAMES.filter(([b]) => (o.rflags & b) !== 0n).map(([, n]) => n);
        if (set.length > 0) return `expected DF and RF clear as task ${o.task} enters its signal handler at 0x${o.rip.toString(16)}, got ${set.join(' and ')} set`;
      }
    }
    return true;
  },
});
