/**
 * What a design does when something other than the entry code writes a task's pt_regs
 * (ptrace, sigreturn, signal delivery): force the IRET exit, and/or clear the TS_FASTSYSCALL
 * flag of the proposal. The writer's name decides which writers "forget" in a faulty variant.
 */
import { TIF, type Machine } from '../model/index.ts';
import type { Ctx } from './ctx.ts';
import { tif } from './ops.ts';

/** A register writer finished writing task `id`'s pt_regs. */
export function regsWritten(c: Ctx, w: Machine, writer: 'ptrace' | 'sigreturn' | 'signal delivery', id = w.k.current): void {
  if (c.d.forceIretAfterRegsWrite) tif(w, TIF.FORCE_IRET, 0, id);
  const clears = c.d.fastSyscallFlag === 'all-writers-clear' || (c.d.fastSyscallFlag === 'ptrace-forgets' && writer !== 'ptrace');
  if (clears) tif(w, 0, TIF.FASTSYSCALL, id);
}
