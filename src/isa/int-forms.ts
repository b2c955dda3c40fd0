/**
 * The other software-interrupt encodings: ICEBP (F1, "INT1") and INTO (CE). Source: SDM Vol. 2
 * "INT n/INTO/INT3/INT1-Call to Interrupt Procedure" (Description and 64-bit mode exceptions);
 * reference/x86-semantics.md 4.6 ("INTO in 64-bit mode: #UD"), 5.4 (ICEBP and a held #DB).
 */
import { is64, type CpuState } from './cpu.ts';
import { VEC } from './defaults.ts';
import { deliverEvent, withCpu, type EventOutcome } from './deliver.ts';
import type { Memory } from './memory.ts';
import { retire } from './result.ts';
import { OF } from './rflags.ts';
import { softInt } from './interrupts.ts';
import { wrap64 } from './u64.ts';
import { copyCpu } from './copy.ts';

/** Length of ICEBP (F1) and of INTO (CE). */
export const ICEBP_LEN = 1n;
export const INTO_LEN = 1n;

/**
 * ICEBP (F1): a #DB delivered like a trap, RIP after the instruction, without the gate DPL check
 * that INT n has (so it reaches a DPL 0 #DB gate from CPL 3, unlike `int $1`, which #GPs). A #DB
 * held by a MOV SS shadow is not delivered after it ("ICEBP: enter the kernel but do not deliver
 * the watchpoint trap", selftests/x86/mov_ss_trap.c @ b4f27969): the ICEBP's own #DB replaces it.
 */
export function icebp(cpu: CpuState, mem: Memory): EventOutcome {
  const start: CpuState = cpu.pendingDb === null && cpu.shadow === 'none' ? cpu : noPendingDb(cpu);
  const r = deliverEvent(start, mem, { vector: VEC.DB, kind: 'int1', rip: wrap64(cpu.regs.rip + ICEBP_LEN) });
  if (!r.ok) return r;
  return withCpu(r, retire(start, r.cpu, { trap: false }));
}

/** `cpu` with no pending #DB. */
function noPendingDb(cpu: CpuState): CpuState {
  const n = copyCpu(cpu);
  n.pendingDb = null;
  return n;
}

/**
 * INTO (CE): outside 64-bit mode, INT 4 when RFLAGS.OF is set (with the DPL check of INT n), a
 * no-op otherwise; in 64-bit mode the opcode is invalid (#UD). `null` means "no interrupt: the
 * instruction completed" (the caller advances RIP and retires it); a fault means #UD.
 */
export function into(cpu: CpuState, mem: Memory): EventOutcome | 'ud' | null {
  if (is64(cpu)) return 'ud';
  if ((cpu.rflags & OF) === 0n) return null;
  return softInt(cpu, mem, VEC.OF, INTO_LEN);
}
