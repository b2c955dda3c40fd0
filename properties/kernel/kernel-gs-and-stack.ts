/**
 * Kernel code that uses per-CPU data runs with the kernel GS base and on a kernel stack; SWAPGS
 * is balanced (user mode never runs with the kernel's GS base, and the kernel's base is waiting
 * in KERNEL_GS_BASE); an IRET back into the kernel resumes exactly where its event interrupted
 * (so no frame on an IST stack was overwritten while live).
 */
import { defineInvariant } from '../../src/index.ts';

export default defineInvariant({
  id: 'kernel-gs-and-stack',
  kind: 'step',
  summary: 'per-CPU accesses see the kernel GS base on a kernel stack; SWAPGS balanced; IST frames never overwritten while live',
  source: 'x86-semantics 4.1, 4.4, 7 (facts 4, 11); linux-entry-history 6.5, B7, B12-B15, B24, B25',
  check(t, ctx) {
    for (const o of t.observations) {
      if (o.kind === 'kernel-failure' && (o.what === 'user-gs' || o.what === 'user-stack')) return `expected kernel GS and a kernel stack, got ${o.what}: ${o.detail}`;
      // An IRET that ended an activation and stayed in the kernel must land where the event
      // interrupted (or at that instruction's exception fixup), on the RSP it had then.
      if (o.kind !== 'kernel-resume') continue;
      const fix = ctx.kernel.fixupFor(o.interrupted);
      if (o.rip !== o.interrupted && o.rip !== fix) {
        return `expected the IRET ending vector ${o.vector} to resume at ${ctx.kernel.describe(o.interrupted)}, got ${ctx.kernel.describe(o.rip)} (its frame was overwritten)`;
      }
      if (o.interruptedRsp !== undefined && o.rsp !== o.interruptedRsp) {
        return `expected the IRET ending vector ${o.vector} to restore RSP 0x${o.interruptedRsp.toString(16)}, got 0x${o.rsp.toString(16)}`;
      }
    }
    const s = t.after;
    // User code may itself load the per-CPU address into GS (WRGSBASE): only a per-CPU base
    // missing from KERNEL_GS_BASE shows that the bases were swapped once too often.
    if ((s.cpu.cs.sel & 3) === 3 && s.k.halted === null && s.cpu.kernelGsBase !== ctx.kernel.percpuBase) {
      if (s.cpu.gsBase === ctx.kernel.percpuBase) return 'expected the user GS base in user mode, got the kernel per-CPU base (unbalanced SWAPGS)';
      return `expected KERNEL_GS_BASE to hold the per-CPU base in user mode, got 0x${s.cpu.kernelGsBase.toString(16)}`;
    }
    return true;
  },
});
