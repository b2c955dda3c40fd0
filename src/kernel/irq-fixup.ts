/**
 * The irqs-on-syscall-entry proposal: SYSCALL leaves IF set, so an IRQ can arrive at the first
 * instructions of entry_SYSCALL_64, still on the user stack and (before SWAPGS) the user GS.
 * The IRQ gates therefore use an IST stack, and the IRQ entry "fixes up a partial entry like the
 * NMI code does": it rewinds the interrupted SYSCALL so that user mode re-executes it after the
 * IRQ, and handles the IRQ as one from user mode.
 */
import { USER_CS, USER_DS } from '../isa/index.ts';
import type { Machine } from '../model/index.ts';
import type { Ctx } from './ctx.ts';
import { frameOf } from './entry-idt.ts';
import { cur, patchTask, swapGsBases } from './ops.ts';

/** Rewinds a SYSCALL entry interrupted before its user RSP was saved in pt_regs. */
export function rewindPartialSyscall(c: Ctx, w: Machine): void {
  const { T } = c;
  const f = frameOf(w);
  if (!T.within(f.rip, 'entry_SYSCALL_64', 'entry_SYSCALL_64.scratch_consumed')) return;
  const swapped = f.rip > T.addr('entry_SYSCALL_64');
  const scratchSaved = f.rip > T.addr('entry_SYSCALL_64') + 4n;
  const userRsp = scratchSaved ? w.k.percpu.rspScratch : f.rsp;
  const frame = [w.cpu.regs.rcx - 2n, BigInt(USER_CS), w.cpu.regs.r11, userRsp, BigInt(USER_DS)];
  const t = cur(w);
  const acts = t.acts.filter((a, i) => !(i === t.acts.length - 2 && a.cause === 'syscall64'));
  w.writeQs(f.at, frame);
  patchTask(w, { acts, mode: 'kernel' });
  if (swapped) swapGsBases(w);
}
