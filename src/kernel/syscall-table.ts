/**
 * System call numbers of the modelled calls in both ABIs (arch/x86/entry/syscalls/syscall_64.tbl
 * and syscall_32.tbl).
 */
import type { SyscallName } from '../model/index.ts';

const NR64: Readonly<Record<SyscallName, number>> = {
  write: 1, rt_sigreturn: 15, sched_yield: 24, pause: 34, nanosleep: 35, getpid: 39, clone: 56,
  fork: 57, exit: 60, kill: 62, modify_ldt: 154, gettid: 186, rt_sigaction: 13, sigaltstack: 131, restart_syscall: 219,
};
const NR32: Readonly<Record<SyscallName, number>> = {
  exit: 1, fork: 2, write: 4, getpid: 20, pause: 29, kill: 37, clone: 120, modify_ldt: 123,
  sched_yield: 158, nanosleep: 162, rt_sigreturn: 173, gettid: 224, rt_sigaction: 174, sigaltstack: 186, restart_syscall: 0,
};

/** Number of a call in the 64-bit or 32-bit ABI (a number given as such stays what it is). */
export function syscallNr(name: SyscallName | bigint, compat: boolean): bigint {
  return typeof name === 'bigint' ? name : BigInt((compat ? NR32 : NR64)[name]);
}

/** Name of a call by number (orig_ax), or undefined for calls the model does not implement. */
export function syscallName(nr: bigint, compat: boolean): SyscallName | undefined {
  const n = compat ? Number(nr & 0xffff_ffffn) : Number(nr);
  return (compat ? BY_NR32 : BY_NR64).get(n);
}

/** Number -> name, made once; the first name of a number wins, as a search in key order finds it. */
function byNumber(table: Readonly<Record<SyscallName, number>>): ReadonlyMap<number, SyscallName> {
  const m = new Map<number, SyscallName>();
  for (const k of Object.keys(table) as SyscallName[]) if (!m.has(table[k])) m.set(table[k], k);
  return m;
}
const BY_NR64 = byNumber(NR64);
const BY_NR32 = byNumber(NR32);
