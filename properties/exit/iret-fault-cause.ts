/**
 * An IRET faults only because of the frame it returns to: when the exit path's IRET faults, the
 * same IRET of the same frame with the kernel's ordinary flags (0x2) faults too. A fault that
 * comes from the kernel's own state instead (NT left set by an entry that did not clear it: IRET
 * with NT=1 raises #GP, SDM IRET "IF NT = 1 THEN #GP(0)") turns a valid return into a spurious
 * SIGSEGV. Checked at the first step of the exception's handler, while the frame the IRET read is
 * still where the IRET found it (the exception frame was pushed below it). Only the faults an
 * IRET raises count (#GP, #SS, #NP, #PF: x86-semantics 4.5, "a #GP/#SS/#NP/#PF from IRETQ is
 * delivered at the old CPL"); an NMI, machine check or IRQ delivered at the IRET's boundary is
 * not the IRET's doing.
 */
import { defineInvariant } from '../../src/index.ts';
import { iretq, VEC } from '../../src/isa/index.ts';

const IRET_FAULTS: ReadonlySet<number> = new Set([VEC.NP, VEC.SS, VEC.GP, VEC.PF]);

export default defineInvariant({
  id: 'iret-fault-cause',
  kind: 'state',
  granularity: 'micro',
  summary: 'an IRET faults only when the frame it returns to is invalid, never because of the kernel\'s own flags',
  source: 'x86-semantics 4.5 (IRETQ checks, NT first), 1.1 (NT); linux-entry-history 3 (faults on IRET come from the frame: BadIRET)',
  check(s, ctx) {
    if ((s.cpu.cs.sel & 3) !== 0 || s.k.halted !== null) return true;
    const acts = s.k.tasks[s.k.current]?.acts ?? [];
    const a = acts[acts.length - 1];
    if (a === undefined || a.cause !== 'idt' || !IRET_FAULTS.has(a.vector) || a.hw.rsp === undefined || s.cpu.regs.rip !== s.cpu.idt[a.vector]?.handler) return true;
    const at = ctx.kernel.at(a.interrupted);
    // The exit paths' IRET (exit-paths.ts), which executes with RSP at the frame it pops.
    if (at === undefined || !at.insn || at.name !== 'iretq') return true;
    if (iretq({ ...s.cpu, rflags: 0x2n, regs: { ...s.cpu.regs, rsp: a.hw.rsp } }, s.mem).fault) return true;
    return `expected the IRET at ${ctx.kernel.describe(a.interrupted)} to fault only on an invalid frame, got vector ${a.vector} on a valid one (the kernel's own flags)`;
  },
});
