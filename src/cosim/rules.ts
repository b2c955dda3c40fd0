/**
 * The comparison rules: where a real value stands for a different model value, each restricted
 * to the registers it concerns (docs/cosim.md, "Comparison rules", same names). A value outside
 * a rule's registers is compared as it is.
 */
import { USER32_CS } from '../isa/index.ts';
import type { FrameRegs } from './types.ts';

/** The model's pid of the co-simulated process (record.ts). */
const MODEL_PID = 1n;

/**
 * Rule "pid": registers that can hold the pid: RAX (getpid's result, also under a byte load
 * into AL), RDI and RBX (kill's target argument, 64-bit and 32-bit ABI, which the harness
 * passes as the child's pid where the model has 1).
 */
export const PID_REGS: ReadonlySet<string> = new Set(['rax', 'rdi', 'rbx']);

/** Rule "frame addresses": registers that point into a signal frame at a handler's entry. */
export const FRAME_REGS: ReadonlySet<string> = new Set(['rsp', 'rsi', 'rdx']);

/**
 * Rule "vDSO": registers that can hold a vDSO address: RIP, and RCX (SYSRETL returns to ECX,
 * which the kernel loads with the landing pad).
 */
export const VDSO_REGS: ReadonlySet<string> = new Set(['rip', 'rcx']);

/** Whether `real` is the real pid where the model has 1 (also with the low byte replaced). */
export function samePid(model: bigint, real: bigint, pid: number): boolean {
  const p = BigInt(pid);
  if (model === MODEL_PID && real === p) return true;
  return (model & 0xffn) === (real & 0xffn) && (model & ~0xffn) === (MODEL_PID & ~0xffn) && (real & ~0xffn) === (p & ~0xffn);
}

/**
 * Rule "frame addresses": real frame values paired with the model's, per delivered signal. Two
 * real frames may share an address where the model's differ (the real frame is larger and
 * 64-byte aligned), so a real value stands for every model value it was paired with, per
 * register.
 */
export class FrameMap {
  private readonly map = new Map<string, Set<bigint>>();
  private add(reg: string, real: bigint, model: bigint): void {
    for (const [r, m] of [[real, model], [real & 0xffff_ffffn, model & 0xffff_ffffn]] as const) {
      // The low halves pair too: 32-bit code (a vDSO pop, a 32-bit register write) may hold only them.
      const k = `${reg}:${r}`;
      const s = this.map.get(k) ?? new Set<bigint>();
      s.add(m);
      this.map.set(k, s);
    }
  }
  /** Pairs the frames of one event's delivered signals, in order. */
  pair(real: readonly (FrameRegs | undefined)[], model: readonly (FrameRegs | undefined)[]): void {
    const r = real.filter((f) => f !== undefined);
    const m = model.filter((f) => f !== undefined);
    for (let k = 0; k < Math.min(r.length, m.length); k++) {
      const a = r[k];
      const b = m[k];
      if (!a || !b) continue;
      this.add('rsp', a.rsp, b.rsp);
      this.add('rsi', a.rsi, b.rsi);
      this.add('rdx', a.rdx, b.rdx);
      // The harness runs rt_sigreturn after the handler's `ret` (RSP 8 above the frame); the
      // model's rt_sigreturn runs at the frame.
      this.add('rsp', a.rsp + 8n, b.rsp);
    }
  }
  /** Whether real value `real` of register `reg` stands for model value `model`. */
  matches(reg: string, real: bigint, model: bigint): boolean {
    return FRAME_REGS.has(reg) && this.map.get(`${reg}:${real}`)?.has(model) === true;
  }
}

/** The 32-bit vDSO's addresses on each side (the model's layout, the host kernel's image). */
export interface VdsoPair {
  readonly model: { readonly fastcall: bigint; readonly int80: bigint; readonly landingPad: bigint };
  readonly real: { readonly fastcall: bigint; readonly int80: bigint; readonly landing: bigint };
}

/**
 * Rule "vDSO": the model places its vDSO's instructions at its own offsets (layout.ts), the
 * kernel build at others; the same instruction stands for itself on either side.
 */
export function sameVdso(v: VdsoPair | undefined, reg: string, model: bigint, real: bigint): boolean {
  if (v === undefined || !VDSO_REGS.has(reg)) return false;
  return (model === v.model.landingPad && real === v.real.landing) || (model === v.model.int80 && real === v.real.int80)
    || (model === v.model.fastcall && real === v.real.fastcall);
}

/** Everything a trace's comparison needs besides the two records. */
export interface RuleContext {
  readonly pid: number | undefined;
  readonly frames: FrameMap;
  readonly vdso: VdsoPair | undefined;
}

/** Whether the real `real` stands for the model's `model` in register `reg`. */
export function sameValue(c: RuleContext, reg: string, model: bigint, real: bigint): boolean {
  if (model === real) return true;
  if (PID_REGS.has(reg) && c.pid !== undefined && samePid(model, real, c.pid)) return true;
  if (c.frames.matches(reg, real, model)) return true;
  return sameVdso(c.vdso, reg, model, real);
}

/**
 * Rule "vDSO call": while a call through the 32-bit vDSO is in progress, the real stack holds
 * what __kernel_vsyscall pushed (return address, ECX, EDX, EBP: 16 bytes) and the kernel's
 * pt_regs->bp is the caller's EBP read back from it; the model makes no pushes and keeps the
 * caller's EBP aside. So RSP (and R8, where entry_SYSCALL_compat stashes the user ESP) is 16
 * lower on the real side, and RBP is the one the model kept. Only where the values differ.
 * Where a tracer's RIP or a sigreturn keeps the vDSO's epilogue from running, the pushes stay
 * on the real stack and the model still holds the call: a later copy of ESP into EBP (SYSENTER's
 * EBP = ESP convention) is then 16 lower too (seed 12, 2026-12-02).
 */
export function sameInVdsoCall(reg: string, model: bigint, real: bigint, keptRbp: bigint): boolean {
  if (reg === 'rsp' || reg === 'r8') return real + 16n === model;
  if (reg === 'rbp') return real === keptRbp || real + 16n === model;
  return false;
}

/**
 * Rule "held return": where the real child is held in its stop before a return to a RIP it
 * cannot fetch (native/settle.c), its registers are pt_regs, and the return's IRETQ has not run.
 * Returning to 32-bit code on a 32-bit stack, that IRETQ leaves only ESP (isa/iret.ts iretRsp,
 * which the model's boundary already shows), so RSP is compared by its low half there; on Intel
 * it also leaves only EIP of a canonical RIP above 4 GiB (iretq), so RIP is compared the same way.
 */
export function sameHeldReturn(reg: string, model: bigint, real: bigint, realCs: bigint): boolean {
  return (reg === 'rsp' || reg === 'rip') && realCs === BigInt(USER32_CS) && model === (real & 0xffff_ffffn);
}
