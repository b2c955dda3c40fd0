/**
 * Whoever reads a task's pt_regs reads a fully written frame, and the user state after a return
 * to user mode equals pt_regs (whatever legitimate writer put there: the entry, ptrace,
 * sigreturn, signal delivery).
 */
import { defineInvariant, PT_COMPLETE, PT_FIELDS, sameAsPt } from '../../src/index.ts';

const GPRS = ['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'rsp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15', 'rip'];

export default defineInvariant({
  id: 'pt-regs-coherence',
  kind: 'step',
  summary: 'pt_regs is complete whenever it is read, and user mode resumes with exactly the state in pt_regs',
  source: 'linux-entry-history 6.1 (task_pt_regs; writers: ptrace putreg, sigreturn), 6.3 (partial frames), S32',
  check(t) {
    for (const o of t.observations) {
      if (o.kind === 'pt-read' && o.written !== PT_COMPLETE) {
        const missing = PT_FIELDS.filter((_, i) => (o.written & (1 << i)) === 0);
        return `expected ${o.reader} to read a complete pt_regs of task ${o.task}, got one without ${missing.join(', ')}`;
      }
      if (o.kind !== 'return-to-user') continue;
      const compat = !o.view.cs.l;
      for (const r of GPRS) {
        const seen = o.view.regs[r];
        const want = o.pt[r === 'rip' ? 'rip' : r];
        if (seen === undefined || want === undefined) continue;
        if (!sameAsPt(seen, want, compat)) return `expected task ${o.task} to resume with ${r} = 0x${want.toString(16)} (pt_regs), got 0x${seen.toString(16)} after ${o.via}`;
      }
      if (o.rflags !== o.pt.rflags) return `expected task ${o.task} to resume with rflags = 0x${(o.pt.rflags ?? 0n).toString(16)} (pt_regs), got 0x${o.rflags.toString(16)} after ${o.via}`;
      if (BigInt(o.cs) !== o.pt.cs || BigInt(o.ss) !== o.pt.ss) return `expected cs:ss 0x${(o.pt.cs ?? 0n).toString(16)}:0x${(o.pt.ss ?? 0n).toString(16)} (pt_regs), got 0x${o.cs.toString(16)}:0x${o.ss.toString(16)} after ${o.via}`;
    }
    return true;
  },
});
