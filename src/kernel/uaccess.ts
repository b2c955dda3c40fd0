/**
 * Kernel accesses to user memory (copy_from_user, __get_user, copy_from_user_nmi). Linux runs
 * each between STAC and CLAC (__uaccess_begin/__uaccess_end, arch/x86/include/asm/uaccess.h and
 * smap.h), so SMAP lets it through; outside those brackets a user access faults (isa/smap.ts).
 * What remains is the page walk: not present, or (for a write) read-only.
 */
import { rf, smapFault, type Fault } from '../isa/index.ts';
import { accessFault, type MachineState, type StepOut } from '../model/index.ts';

/** The fault a kernel read or write of user address `addr` takes inside STAC/CLAC, or null. */
export function uaccessFault(m: MachineState, addr: bigint, kind: 'read' | 'write'): Fault | null {
  const stac = { ...m.cpu, rflags: m.cpu.rflags | rf.AC };
  return smapFault(stac, addr, kind === 'write') ?? accessFault(m.k, m.cpu.paging, addr, kind, false);
}

/** The same as a micro-step result: nothing, or the fault to deliver at this step. */
export function uaccess(m: MachineState, addr: bigint, kind: 'read' | 'write'): StepOut {
  const f = uaccessFault(m, addr, kind);
  return f === null ? undefined : { fault: f };
}
