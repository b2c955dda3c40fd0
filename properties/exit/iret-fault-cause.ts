/**
 * An IRET faults only because of the frame it returns to: when an IRET instruction of the kernel
 * faults, the same IRET with the kernel's ordinary flags (0x2) and the same frame also faults.
 * A fault that comes from the kernel's own state instead (NT left set by an entry that did not
 * clear it: IRET with NT=1 raises #GP, SDM IRET "IF NT = 1 THEN #GP(0)") turns a valid return
 * into a spurious SIGSEGV for the user.
 */
import { defineInvariant } from '../../src/index.ts';
import { iretq } from '../../src/isa/index.ts';

export default defineInvariant({
  id: 'iret-fault-cause',
  kind: 'step',
  summary: 'an IRET faults only when the frame it returns to is invalid, never because of the kernel\'s own flags',
  source: 'x86-semantics 4.5 (IRETQ checks, NT first), 1.1 (NT); linux-entry-history 3 (BadIRET: faults on IRET come from the frame)',
  check: () => true,
  checkMicro(t, ctx) {
    // The exit paths' IRET (exit-paths.ts), executed with RSP at the frame it pops.
    if (!t.step.insn || t.step.name !== 'iretq' || (t.before.cpu.cs.sel & 3) !== 0) return true;
    const task = t.before.k.current;
    const depth = (s: typeof t.before): number => s.k.tasks[task]?.acts.length ?? 0;
    // The instruction faulted: it delivered an exception instead of ending an activation.
    if (depth(t.after) <= depth(t.before)) return true;
    const plain = iretq({ ...t.before.cpu, rflags: 0x2n }, t.before.mem);
    if (plain.fault) return true;
    return `expected the IRET at ${ctx.kernel.describe(t.before.cpu.regs.rip)} to fault only on an invalid frame, got a fault on a valid one (kernel RFLAGS 0x${t.before.cpu.rflags.toString(16)})`;
  },
});
