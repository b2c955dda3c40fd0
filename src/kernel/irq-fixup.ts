/**
 * The irqs-on-syscall-entry proposal: SYSCALL leaves IF set, so an IRQ can arrive at the first
 * instructions of entry_SYSCALL_64, still on the user stack and (before SWAPGS) the user GS.
 * The IRQ gates therefore use an IST stack, and the IRQ entry "fixes up a partial entry like the
 * NMI code does": it rewinds the interrupted SYSCALL so that user mode re-executes it after the
 * IRQ, and handles the IRQ as one from user mode.
 */
import { USER_CS, USER_DS, writeQs } from '../isa/index.ts';
import type { MachineState } from '../model/index.ts';
import type { Ctx } from './ctx.ts';
import { frameOf } from './entry-idt.ts';
import { cur, withTask } from './ops.ts';

/** Rewinds a SYSCALL entry interrupted before its user RSP was saved in pt_regs. */
export function rewindPartialSyscall(c: Ctx, m: MachineState): MachineState {
  const { T } = c;
  const f = frameOf(m);
  if (!T.within(f.rip, 'entry_SYSCALL_64', 'entry_SYSCALL_64.scratch_consumed')) return m;
  const swapped = f.rip > T.addr('entry_SYSCALL_64');
  const scratchSaved = f.rip > T.addr('entry_SYSCALL_64') + 4n;
  const userRsp = scratchSaved ? m.k.percpu.rspScratch : f.rsp;
  const frame = [m.cpu.regs.rcx - 2n, BigInt(USER_CS), m.cpu.regs.r11, userRsp, BigInt(USER_DS)];
  const t = cur(m);
  const acts = t.acts.filter((a, i) => !(i === t.acts.length - 2 && a.cause === 'syscall64'));
  const m1 = withTask({ ...m, mem: writeQs(m.mem, f.at, frame) }, { ...t, acts, mode: 'kernel' });
  return swapped ? { ...m1, cpu: { ...m1.cpu, gsBase: m1.cpu.kernelGsBase, kernelGsBase: m1.cpu.gsBase } } : m1;
}

