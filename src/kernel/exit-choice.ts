/**
 * Which instruction returns to user mode: the design's SYSRET/SYSRETL/SYSEXIT eligibility tests
 * (linux-entry-history 1.2, 1.3, 2.4), or a patch's own predicate. This is the thing under test:
 * properties never call it, they compare what its answer leads to against IRET.
 */
import { isCanonical, rf, taskSizeMax, USER_CS, USER_DS, USER32_CS, type Paging } from '../isa/index.ts';
import { TIF, type Activation, type PtRegs, type Task } from '../model/index.ts';
import type { Ctx } from './ctx.ts';
import { LANDING_PAD } from './layout.ts';

/** 64-bit: may this return use SYSRET? */
export function sysretEligible(c: Ctx, t: Task, a: Activation, paging: Paging): boolean {
  const regs = t.regs;
  if (a.cause !== 'syscall64' && c.d.sysretWhere !== 'all-returns') return false;
  if (c.o.sysretEligible) return c.o.sysretEligible({ regs, paging, landingPad: LANDING_PAD });
  if (c.d.sysretWhere === 'fast-path-only') return !a.notes.slow && (t.tif & TIF.FORCE_IRET) === 0;
  // Once the decision tests pt_regs' contents (2a23c6b8), force_iret()'s work flag only sends the
  // return through the slow path, which ends in the same test: it no longer forces IRET.
  if (c.d.fastSyscallFlag !== 'off' && (t.tif & TIF.FASTSYSCALL) !== 0) return true;
  return checks64(c, regs, paging);
}

/** The knob-built 64-bit checks C1-C7 on the final pt_regs. */
export function checks64(c: Ctx, r: PtRegs, paging: Paging): boolean {
  const k = c.d.sysretChecks;
  if (k.rcxEqualsRip && r.rcx !== r.rip) return false;
  if (k.r11EqualsFlags && r.r11 !== r.rflags) return false;
  if (k.csIsUserCs && r.cs !== BigInt(USER_CS)) return false;
  if (k.ssIsUserDs && r.ss !== BigInt(USER_DS)) return false;
  if (k.rfClear && (r.rflags & rf.RF) !== 0n) return false;
  if (k.tfClear && (r.rflags & rf.TF) !== 0n) return false;
  switch (k.rip) {
    case 'none': return true;
    case 'top-17-bits-zero': return r.rip >> 47n === 0n;
    case 'canonical': return isCanonical(r.rip, paging);
    case 'below-task-size-max': return r.rip < taskSizeMax(paging);
  }
}

/** Compat: may this SYSENTER/SYSCALL32 return use SYSRETL or SYSEXIT? */
export function compatFastEligible(c: Ctx, t: Task, a: Activation, paging: Paging): boolean {
  const regs = t.regs;
  // __do_fast_syscall_32 returns false before any SYSRETL test when __get_user of the sixth
  // argument faults ("regs->ax = -EFAULT; ... return false": arch/x86/entry/common.c @ v6.7).
  if (a.notes.iretOnly === true) return false;
  if (c.o.compatFastEligible) return c.o.compatFastEligible({ regs, paging, landingPad: LANDING_PAD });
  if (c.d.compatFastReturn === 'never') return false;
  if (c.d.compatFastReturn === 'fast-path-only') {
    // Pre-2015: SYSEXIT unless work was done. A TF trap inside the entry made 3.x's do_debug set
    // TIF_SINGLESTEP, which is work: such returns took the IRET path (treated as slow here).
    return !a.notes.slow && (t.tif & TIF.FORCE_IRET) === 0 && (regs.rflags & rf.TF) === 0n;
  }
  const k = c.d.compatChecks;
  if (k.csIsUser32Cs && regs.cs !== BigInt(USER32_CS)) return false;
  if (k.ssIsUserDs && regs.ss !== BigInt(USER_DS)) return false;
  if (k.ipIsLandingPad && regs.rip !== LANDING_PAD) return false;
  if (k.rfTfClear && (regs.rflags & (rf.RF | rf.TF)) !== 0n) return false;
  if (k.vmClear && (regs.rflags & rf.VM) !== 0n) return false;
  return true;
}
