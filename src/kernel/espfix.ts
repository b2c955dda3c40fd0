/**
 * espfix64 (arch/x86/kernel/espfix_64.c, entry_64.S native_irq_return_ldt, traps.c
 * exc_double_fault). Hardware (isa/iret.ts): an IRET to a 16-bit stack segment loads only
 * SP[15:0]; bits 31:16 stay the kernel RSP's. Kernel guarantees: a return to an SS in the LDT
 * IRETs from the espfix stack, whose address has the user's RSP bits 31:16, so no kernel stack
 * bits leak into ESP (linux-entry-history B9); that stack is mapped read-only, so an IRET fault
 * there is promoted to #DF (the fault's frame cannot be pushed), and the #DF handler turns it
 * into the #GP(0) from user mode it stands for, with the IRET frame as the user state (B8,
 * CVE-2014-9090; the original error code is lost: sigreturn.c @ 5c4a1c09 expects "#GP(0)").
 */
import { KERNEL_CS, readQ } from '../isa/index.ts';
import { type Machine, type PtRegs } from '../model/index.ts';
import type { Ctx } from './ctx.ts';
import { knobOf } from './design.ts';
import { frameOf } from './entry-idt.ts';
import { ESPFIX_BASE, isEspfix, ptRegsAddr } from './layout.ts';
import { act, halt, jump, setCpu, setRegs, swapGsBases } from './ops.ts';
import { step, type StepSpec } from './program.ts';

/** The design has espfix64 (knob `espfix64`; absent means yes, as in every Linux since 3.16). */
export const hasEspfix = (c: Ctx): boolean => knobOf(c.d, 'espfix64');

/** The IRET frame's address on the espfix stack for a return to user RSP `rsp` (bits 31:16 its own). */
export const espfixFrame = (rsp: bigint): bigint => ESPFIX_BASE | (rsp & 0xffff_0000n) | 0xfc0n;

/** True when a return with these pt_regs goes through espfix64 (SS in the LDT: `testb $4, SS`). */
export const needsEspfix = (c: Ctx, r: PtRegs): boolean => hasEspfix(c) && (r.ss & 4n) !== 0n;

/** exc_double_fault's espfix64 case, at the #DF entry's kernel path (entry-idt.ts, label espfix). */
export function espfixDoubleFault(c: Ctx): StepSpec {
  const { T } = c;
  return step('exc_double_fault: IRET fault on the espfix64 stack -> #GP(0) from user mode', (w) => {
    const f = frameOf(w);
    if (!hasEspfix(c) || !isEspfix(f.rsp) || f.cs !== BigInt(KERNEL_CS)) {
      halt(w, 'double-fault', `double fault at ${T.describe(f.rip)}`);
      return;
    }
    fakeGpFromUser(w, T.addr('asm_exc_general_protection'), f.rsp);
  });
}

/**
 * "regs->sp points to the failing IRET frame on the ESPFIX64 stack. Copy it to the entry
 * stack": a #GP frame (error code 0) at task_pt_regs, then the #DF returns straight to the #GP
 * entry with that RSP, GS as the #DF found it (paranoid_exit), and the #GP is handled as one from
 * user mode. The activations follow: the #DF and the return whose IRET failed end, a #GP from
 * user mode begins.
 */
function fakeGpFromUser(w: Machine, gpEntry: bigint, iretFrame: bigint): void {
  const p = [0, 1, 2, 3, 4].map((i) => readQ(w.mem, iretFrame + BigInt(i) * 8n));
  const id = w.k.current;
  const at = ptRegsAddr(id) + 15n * 8n;
  const df = act(w);
  const saved = df?.notes.savedGs;
  const swapped = df?.notes.swapgs === true;
  w.writeQs(at, [0n, ...p]);
  if (saved !== undefined) setCpu(w, { gsBase: saved });
  else if (swapped) swapGsBases(w);
  const acts = w.actsW(id);
  acts.splice(Math.max(0, acts.length - 2));
  const k = w.kW();
  const actId = k.nextActId;
  k.nextActId = actId + 1;
  acts.push({
    id: actId, cause: 'idt', vector: 13, fromUser: true, frame: { rsp: at, top: at + 48n, ist: 0, privilegeChange: true },
    interrupted: p[0] as bigint, hw: { error: 0, rsp: p[3] as bigint }, notes: {},
  });
  w.taskW(id).written = 0;
  setRegs(w, { rsp: at });
  jump(w, gpEntry);
}
