/**
 * Which instruction returns to user mode: the design's SYSRET/SYSRETL/SYSEXIT eligibility tests
 * (linux-entry-history 1.2, 1.3, 2.4), or a patch's own predicate. This is the thing under test:
 * properties never call it, they compare what its answer leads to against IRET. Each test is a
 * decision whose conditions are all evaluated and recorded for decision coverage (MC/DC) when
 * the run keeps a log; the outcome is the conjunction, as the short-circuit code computes it.
 */
import { isCanonical, rf, taskSizeMax, USER_CS, USER_DS, USER32_CS, type Paging } from '../isa/index.ts';
import { recordDecision, TIF, type Activation, type DecisionLog, type PtRegs, type Task } from '../model/index.ts';
import type { Ctx } from './ctx.ts';
import { LANDING_PAD } from './layout.ts';

type Conditions = Array<readonly [string, boolean]>;
/** Records decision `id` (all of `conds`, outcome their conjunction) and returns the outcome. */
const all = (log: DecisionLog | null, id: string, conds: Conditions): boolean => recordDecision(log, id, conds, conds.every(([, v]) => v));

/** 64-bit: may this return use SYSRET? */
export function sysretEligible(c: Ctx, t: Task, a: Activation, paging: Paging, log: DecisionLog | null = null): boolean {
  const regs = t.regs;
  if (a.cause !== 'syscall64' && c.d.sysretWhere !== 'all-returns') return false;
  if (c.o.sysretEligible) return recordDecision(log, 'SYSRET: the patch predicate', [], c.o.sysretEligible({ regs, paging, landingPad: LANDING_PAD }));
  if (c.d.sysretWhere === 'fast-path-only') {
    return all(log, 'SYSRET: untouched fast path', [['no slow-path work', !a.notes.slow], ['TIF_FORCE_IRET clear', (t.tif & TIF.FORCE_IRET) === 0]]);
  }
  // Once the decision tests pt_regs' contents (2a23c6b8), force_iret()'s work flag only sends the
  // return through the slow path, which ends in the same test: it no longer forces IRET.
  if (c.d.fastSyscallFlag !== 'off' && recordDecision(log, 'SYSRET: fast-syscall flag', [['flag set', (t.tif & TIF.FASTSYSCALL) !== 0]], (t.tif & TIF.FASTSYSCALL) !== 0)) return true;
  return checks64(c, regs, paging, log);
}

/** The knob-built 64-bit checks C1-C7 on the final pt_regs (the enabled ones are the decision's conditions). */
export function checks64(c: Ctx, r: PtRegs, paging: Paging, log: DecisionLog | null = null): boolean {
  const k = c.d.sysretChecks;
  // Without a decision log only the conjunction matters: no list of named conditions (every
  // 64-bit syscall exit runs this), and a failed check ends it.
  if (log === null) {
    return (!k.rcxEqualsRip || r.rcx === r.rip) && (!k.r11EqualsFlags || r.r11 === r.rflags) && (!k.csIsUserCs || r.cs === USER_CS_Q) &&
      (!k.ssIsUserDs || r.ss === USER_DS_Q) && (!k.rfClear || (rf.flagBits(r.rflags) & rf.RF_BIT) === 0) &&
      (!k.tfClear || (rf.flagBits(r.rflags) & rf.TF_BIT) === 0) && ripCheck(k.rip, r.rip, paging);
  }
  const conds: Conditions = [];
  if (k.rcxEqualsRip) conds.push(['rcx == rip', r.rcx === r.rip]);
  if (k.r11EqualsFlags) conds.push(['r11 == rflags', r.r11 === r.rflags]);
  if (k.csIsUserCs) conds.push(['cs == __USER_CS', r.cs === BigInt(USER_CS)]);
  if (k.ssIsUserDs) conds.push(['ss == __USER_DS', r.ss === BigInt(USER_DS)]);
  if (k.rfClear) conds.push(['RF clear', (r.rflags & rf.RF) === 0n]);
  if (k.tfClear) conds.push(['TF clear', (r.rflags & rf.TF) === 0n]);
  switch (k.rip) {
    case 'none': break;
    case 'top-17-bits-zero': conds.push(['rip >> 47 == 0', r.rip >> 47n === 0n]); break;
    case 'canonical': conds.push(['rip canonical', isCanonical(r.rip, paging)]); break;
    case 'below-task-size-max': conds.push(['rip < TASK_SIZE_MAX', r.rip < taskSizeMax(paging)]); break;
  }
  return all(log, 'SYSRET: pt_regs checks', conds);
}

const USER_CS_Q = BigInt(USER_CS);
const USER_DS_Q = BigInt(USER_DS);

/** The RIP check C7 as the knob picks it (what checks64 records as its last condition). */
function ripCheck(kind: Ctx['d']['sysretChecks']['rip'], rip: bigint, paging: Paging): boolean {
  switch (kind) {
    case 'none': return true;
    case 'top-17-bits-zero': return rip >> 47n === 0n;
    case 'canonical': return isCanonical(rip, paging);
    case 'below-task-size-max': return rip < taskSizeMax(paging);
  }
}

/** Compat: may this SYSENTER/SYSCALL32 return use SYSRETL or SYSEXIT? */
export function compatFastEligible(c: Ctx, t: Task, a: Activation, paging: Paging, log: DecisionLog | null = null): boolean {
  const regs = t.regs;
  // __do_fast_syscall_32 returns false before any SYSRETL test when __get_user of the sixth
  // argument faults ("regs->ax = -EFAULT; ... return false": arch/x86/entry/common.c @ v6.7).
  if (a.notes.iretOnly === true) return false;
  if (c.o.compatFastEligible) return recordDecision(log, 'SYSRETL/SYSEXIT: the patch predicate', [], c.o.compatFastEligible({ regs, paging, landingPad: LANDING_PAD }));
  if (c.d.compatFastReturn === 'never') return false;
  if (c.d.compatFastReturn === 'fast-path-only') {
    // Pre-2015: SYSEXIT unless work was done. A TF trap inside the entry made 3.x's do_debug set
    // TIF_SINGLESTEP, which is work: such returns took the IRET path (treated as slow here).
    return all(log, 'SYSRETL/SYSEXIT: untouched fast path', [['no slow-path work', !a.notes.slow],
      ['TIF_FORCE_IRET clear', (t.tif & TIF.FORCE_IRET) === 0], ['TF clear', (regs.rflags & rf.TF) === 0n]]);
  }
  const k = c.d.compatChecks;
  const conds: Conditions = [];
  if (k.csIsUser32Cs) conds.push(['cs == __USER32_CS', regs.cs === BigInt(USER32_CS)]);
  if (k.ssIsUserDs) conds.push(['ss == __USER_DS', regs.ss === BigInt(USER_DS)]);
  if (k.ipIsLandingPad) conds.push(['ip == landing pad', regs.rip === LANDING_PAD]);
  if (k.rfTfClear) conds.push(['RF and TF clear', (regs.rflags & (rf.RF | rf.TF)) === 0n]);
  if (k.vmClear) conds.push(['VM clear', (regs.rflags & rf.VM) === 0n]);
  return all(log, 'SYSRETL/SYSEXIT: pt_regs checks', conds);
}
