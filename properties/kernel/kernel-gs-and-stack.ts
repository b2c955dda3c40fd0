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
    }
    const s = t.after;
    if ((s.cpu.cs.sel & 3) === 3 && s.k.halted === null) {
      if (s.cpu.gsBase === ctx.kernel.percpuBase) return 'expected the user GS base in user mode, got the kernel per-CPU base (unbalanced SWAPGS)';
      if (s.cpu.kernelGsBase !== ctx.kernel.percpuBase) return `expected KERNEL_GS_BASE to hold the per-CPU base in user mode, got 0x${s.cpu.kernelGsBase.toString(16)}`;
    }
    return true;
  },
  checkMicro(m, ctx) {
    if (!m.step.insn || (m.before.cpu.cs.sel & 3) !== 0 || (m.after.cpu.cs.sel & 3) !== 0) return true;
    const before = m.before.k.tasks[m.before.k.current];
    const after = m.after.k.tasks[m.after.k.current];
    if (!before || !after || m.before.k.current !== m.after.k.current || after.acts.length !== before.acts.length - 1) return true;
    const ended = before.acts[before.acts.length - 1];
    if (!ended || ended.frame === null) return true;
    const rip = m.after.cpu.regs.rip;
    const fix = ctx.kernel.fixupFor(ended.interrupted);
    if (rip !== ended.interrupted && rip !== fix) {
      return `expected the IRET ending vector ${ended.vector} to resume at ${ctx.kernel.describe(ended.interrupted)}, got ${ctx.kernel.describe(rip)} (its frame was overwritten)`;
    }
    if (ended.hw.rsp !== undefined && m.after.cpu.regs.rsp !== ended.hw.rsp) {
      return `expected the IRET ending vector ${ended.vector} to restore RSP 0x${ended.hw.rsp.toString(16)}, got 0x${m.after.cpu.regs.rsp.toString(16)}`;
    }
    return true;
  },
});
