/**
 * What the generator needs to know about the model's state to choose an event that is enabled
 * there (state-aware generation: few skipped events). The one place the generator reads the
 * model's MachineState; when its shape changes, only this file follows.
 */
import { USER32_CS } from '../../isa/index.ts';
import { atUserBoundary, USER_REGS, type MachineState, type Task, type UserReg } from '../../model/index.ts';
import { MODEL_PID } from '../record.ts';

/** The generator's view of the co-simulated process. */
export interface Guide {
  readonly state: 'boundary' | 'stopped' | 'dead' | 'halted' | 'other';
  /** The ptrace stop, when stopped. */
  readonly stop: string | null;
  /** User registers at a boundary, pt_regs when stopped. */
  readonly rip: bigint;
  readonly rsp: bigint;
  readonly rflags: bigint;
  readonly cs: number;
  /** Running (or stopped from) 32-bit code. */
  readonly compat: boolean;
  readonly attached: boolean;
  readonly syscalls: boolean;
  /** A call through the 32-bit vDSO is in progress (the model keeps what __kernel_vsyscall pushed). */
  readonly vdsoCall: boolean;
  /** The general registers (user registers at a boundary, pt_regs when stopped). */
  readonly regs: Readonly<Record<UserReg, bigint>>;
  /** The model has a signal frame at RSP (rt_sigreturn there restores it). */
  readonly frameAtRsp: boolean;
  /** That frame was saved from 32-bit code. */
  readonly frameFrom32: boolean;
  /** orig_rax in a stop (the system call being traced). */
  readonly orig: bigint;
  /** A hardware watchpoint is set. */
  readonly watching: boolean;
  /** The tracer's execute breakpoint is set. */
  readonly breaking: boolean;
  /** The tracer single-steps the task (PTRACE_SINGLESTEP). */
  readonly stepping: boolean;
  /** Where the model's signal frames were written (the machine's bytes there are not the model's). */
  readonly frames: readonly bigint[];
}

/** Reads the guide from a model state. */
export function guideOf(m: MachineState): Guide {
  const t = m.k.tasks[MODEL_PID] as Task;
  const common = { attached: t.ptrace.attached, syscalls: t.ptrace.syscalls, vdsoCall: t.vsyscall !== null, watching: t.watch !== null, breaking: t.breakAt !== null, stepping: t.ptrace.stepping,
    frames: Object.keys(t.sigframes).map((k) => BigInt(`0x${k}`)) };
  const zero = Object.fromEntries(USER_REGS.map((r) => [r, 0n])) as Record<UserReg, bigint>;
  const none = { stop: null, rip: 0n, rsp: 0n, rflags: 0n, cs: 0, compat: false, regs: zero, frameAtRsp: false, frameFrom32: false, orig: -1n };
  const frame = (rsp: bigint): { frameAtRsp: boolean; frameFrom32: boolean } => {
    const f = t.sigframes[rsp.toString(16)];
    return { frameAtRsp: f !== undefined, frameFrom32: f !== undefined && Number(f.cs) === USER32_CS };
  };
  if (m.k.halted !== null) return { ...common, ...none, state: 'halted' };
  if (t.mode === 'dead') return { ...common, ...none, state: 'dead' };
  if (atUserBoundary(m) && m.k.current === MODEL_PID) {
    const c = m.cpu;
    const cs = c.cs.sel;
    return {
      ...common, state: 'boundary', stop: null, rip: c.regs.rip, rsp: c.regs.rsp, rflags: c.rflags, cs, compat: cs === USER32_CS,
      regs: c.regs, ...frame(c.regs.rsp), orig: -1n,
    };
  }
  if (t.mode === 'stopped') {
    const p = t.regs;
    return {
      ...common, state: 'stopped', stop: t.ptrace.stop, rip: p.rip, rsp: p.rsp, rflags: p.rflags, cs: Number(p.cs),
      compat: Number(p.cs) === USER32_CS, regs: p, ...frame(p.rsp), orig: p.orig_rax,
    };
  }
  return { ...common, ...none, state: 'other' };
}
