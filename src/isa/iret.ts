/**
 * IRETQ in IA-32e mode. Source: reference/x86-semantics.md section 4.5 (SDM IRET Operation,
 * IA-32e path; QEMU helper_ret_protected), 1.2 note (a) (RF, AC, ID loaded), 5.5 (NMI
 * unblocking even when IRET faults).
 */
import { isCanonical } from './canonical.ts';
import { cpl, type CpuState } from './cpu.ts';
import { VEC } from './defaults.ts';
import { readQs, type Memory } from './memory.ts';
import { fault, ok, retireOwned, type ExecResult } from './result.ts';
import { fixRflags, IF, iopl, IOPL, NT, VIF, VIP, VM } from './rflags.ts';
import { fromDescriptor, isNullSel, lookupDescriptor, nullSegment, rpl, type Segment } from './segments.ts';
import { low16, low32 } from './u64.ts';
import { copyCpu, cpuAt } from './copy.ts';

/** The five qwords IRETQ pops, lowest address first. */
export interface IretFrame {
  readonly rip: bigint;
  readonly cs: number;
  readonly rflags: bigint;
  readonly rsp: bigint;
  readonly ss: number;
}

/** #GP(error) raised by IRET (a module function: a closure per IRET costs an allocation). */
const gp = (cpu: CpuState, mem: Memory, error: number): ExecResult => fault(cpu, mem, { vector: VEC.GP, error });

/** IRETQ loads RF from its image (one options object, not one per IRET). */
const LOADS_RF = { loadsRf: true } as const;

/** Reads the IRET frame at RSP. */
export function readIretFrame(cpu: CpuState, mem: Memory): IretFrame {
  const q = readQs(mem, cpu.regs.rsp, 5);
  return {
    rip: q[0] as bigint,
    cs: low16(q[1] as bigint),
    rflags: q[2] as bigint,
    rsp: q[3] as bigint,
    ss: low16(q[4] as bigint),
  };
}

/**
 * IRETQ. All checks come before any state change, so a fault is raised at the old CPL with RIP
 * still at the IRET, on the current stack and GS base; but NMI blocking ends even then. Checks
 * (in SDM order): NT = 1; NULL CS; CS outside the tables, not code, RPL < CPL, DPL != RPL, L and
 * D both set (#GP(sel)); CS not present (#NP(sel)); non-canonical RIP returning to 64-bit mode
 * or to compatibility mode (Intel; EIP is then its low half), or above 4 GiB to compatibility mode
 * (AMD): #GP(0), on Intel after the SS checks when CPL changes; NULL SS returning to CPL 3 (#GP(0));
 * SS RPL/DPL != CS RPL or not writable data (#GP(sel)); SS not present (#SS(sel)).
 * Loads RIP, CS, RFLAGS (RF, AC, ID too; IF, IOPL, VIF, VIP because old CPL is 0), RSP, SS.
 */
export function iretq(cpu: CpuState, mem: Memory): ExecResult {
  const unblocked: CpuState = cpu.nmiBlocked ? unblockNmi(cpu) : cpu;
  if ((cpu.rflags & NT) !== 0n) return gp(unblocked, mem, 0);
  const f = readIretFrame(cpu, mem);
  const level = cpl(cpu);
  if (isNullSel(f.cs)) return gp(unblocked, mem, 0);
  const csDesc = lookupDescriptor(cpu.tables, f.cs);
  const csErr = f.cs & 0xfffc;
  if (csDesc === undefined || csDesc.type !== 'code') return gp(unblocked, mem, csErr);
  const newCpl = rpl(f.cs);
  if (newCpl < level || csDesc.dpl !== newCpl || (csDesc.l && csDesc.db)) return gp(unblocked, mem, csErr);
  if (!csDesc.present) return fault(unblocked, mem, { vector: VEC.NP, error: csErr });
  // The RIP test: first on AMD (the model's order, which 800,000 co-simulated traces on AMD agreed
  // with); on Intel an outer return tests SS first, as the SDM's RETURN-TO-OUTER-PRIVILEGE-LEVEL
  // has it (co-simulation on Intel: RIP 2^56 with SS 0x23 gave #GP(0x20)).
  // To compatibility mode Intel tests the RIP for canonical form and then takes EIP, its low half
  // (the 4 GiB limit passes); AMD raises #GP(0) for any RIP above 4 GiB. Co-simulation: Intel went
  // to 0xffffffff for 0x7fffffffffff and faulted on 2^57; AMD agreed with the #GP in 800,000 traces.
  const eipOnly = !csDesc.l && cpu.vendor === 'intel';
  const ripBad = csDesc.l || eipOnly ? !isCanonical(f.rip, cpu.paging) : f.rip > 0xffff_ffffn;
  if (ripBad && (cpu.vendor !== 'intel' || newCpl === level)) return gp(unblocked, mem, 0);
  let ss = nullSegment(f.ss);
  if (isNullSel(f.ss)) {
    if (newCpl === 3 || !csDesc.l || rpl(f.ss) !== newCpl) return gp(unblocked, mem, 0);
  } else {
    const ssDesc = lookupDescriptor(cpu.tables, f.ss);
    const ssErr = f.ss & 0xfffc;
    if (ssDesc === undefined || ssDesc.type !== 'data' || ssDesc.writable === false || rpl(f.ss) !== newCpl || ssDesc.dpl !== newCpl) return gp(unblocked, mem, ssErr);
    if (!ssDesc.present) return fault(unblocked, mem, { vector: VEC.SS, error: ssErr });
    ss = fromDescriptor(f.ss, ssDesc);
  }
  if (ripBad) return gp(unblocked, mem, 0);
  // Old CPL 0 loads every flag but VM (64-bit operand size); IF/IOPL/VIF/VIP need old CPL 0/<= IOPL.
  let keep = VM;
  if (level > 0) keep |= IOPL | VIF | VIP;
  if (level > iopl(cpu.rflags)) keep |= IF;
  const rflags = fixRflags((cpu.rflags & keep) | (f.rflags & ~keep));
  const next = cpuAt(unblocked, eipOnly ? low32(f.rip) : f.rip, iretRsp(cpu, f.rsp, csDesc.l, ss));
  next.rflags = rflags;
  next.cs = fromDescriptor(f.cs, csDesc);
  next.ss = ss;
  return ok(retireOwned(cpu, next, LOADS_RF), mem);
}

/** `cpu` with NMIs unblocked (IRET ends NMI blocking even when it faults). */
function unblockNmi(cpu: CpuState): CpuState {
  const n = copyCpu(cpu);
  n.nmiBlocked = false;
  return n;
}

/**
 * The RSP an IRETQ leaves, by the code and stack segment it returns to.
 * - 64-bit code: the whole image (SS.B is ignored in 64-bit mode).
 * - Compatibility mode on a 32-bit stack: only ESP; the upper half reads 0 (co-simulation on AMD,
 *   docs/cosim.md; "if we are returning to a 32-bit context, the CPU will often lose the high 32
 *   bits of RSP", tools/testing/selftests/x86/sigreturn.c @ 5c4a1c09, no vendor named).
 * - A 16-bit stack: only SP[15:0] comes from the image; bits 31:16 stay what the kernel's RSP held
 *   at the IRET (what espfix64 makes the user's), and bits 63:32 are zeroed on Intel and keep the
 *   kernel RSP's on AMD (the same sigreturn.c comment: "they leak the high bits of the kernel
 *   espfix64 stack pointer").
 */
export function iretRsp(cpu: CpuState, image: bigint, to64: boolean, ss: Segment): bigint {
  if (to64) return image;
  if (!ss.usable || ss.db) return low32(image);
  const kept = cpu.vendor === 'intel' ? cpu.regs.rsp & 0xffff_0000n : cpu.regs.rsp & ~0xffffn;
  return kept | (image & 0xffffn);
}
