/**
 * Observations the kernel paths emit: returns to user mode (with what user code can see) and
 * signals.
 */
import { copyRegs, is64, low32, type CpuState } from '../isa/index.ts';
import { copyPt, type Activation, type Machine, type MachineState, type Observation, type ReturnVia, type UserView } from '../model/index.ts';
import { LANDING_PAD } from './layout.ts';

const GPRS32 = ['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'rsp'] as const;
/** Registers __kernel_vsyscall pops at the landing pad, so a fast compat return leaves them unseen. */
const VDSO_RESTORED = new Set(['rcx', 'rdx', 'rbp']);

/**
 * What user code can see of the CPU: all GPRs in 64-bit mode; in compatibility mode only the low
 * halves of the eight legacy registers, and at the vDSO landing pad not those the vDSO restores.
 */
export function userView(cpu: CpuState): UserView {
  // 64-bit: every GPR then RIP, which is the registers' own order: a copy (one hidden class).
  if (is64(cpu)) return { regs: copyRegs(cpu.regs), rflags: cpu.rflags, cs: cpu.cs, ss: cpu.ss, gsBase: cpu.gsBase };
  const regs: Record<string, bigint> = {};
  for (const r of GPRS32) {
    if (cpu.regs.rip === LANDING_PAD && VDSO_RESTORED.has(r)) continue;
    regs[r] = low32(cpu.regs[r]);
  }
  regs.rip = cpu.regs.rip;
  return { regs, rflags: cpu.rflags, cs: cpu.cs, ss: cpu.ss, gsBase: cpu.gsBase };
}

/** What the observation says of the activation that returns (optional keys added in this order). */
type ActView = NonNullable<Extract<Observation, { kind: 'return-to-user' }>['act']>;
function actView(a: Activation): ActView {
  const v: { -readonly [K in keyof ActView]: ActView[K] } = { id: a.id, cause: a.cause, vector: a.vector };
  if (a.hw.insn !== undefined) v.insn = a.hw.insn;
  if (a.hw.args) v.args = a.hw.args;
  if (a.hw.rsp !== undefined) v.rsp = a.hw.rsp;
  return v;
}

/** The return-to-user observation for the current CPU state. */
export function returnObs(m: MachineState, via: ReturnVia): Observation {
  const c = m.cpu;
  const t = m.k.tasks[m.k.current];
  const acts = t?.acts ?? [];
  const a = acts[acts.length - 1];
  return {
    kind: 'return-to-user', task: m.k.current, via, rip: c.regs.rip, rsp: c.regs.rsp, rflags: c.rflags,
    cs: c.cs.sel, ss: c.ss.sel, view: userView(c), pt: t !== undefined ? copyPt(t.regs) : {},
    act: a ? actView(a) : null,
  };
}

/** Records that `reader` read task `id`'s pt_regs (for the pt-regs-coherence invariant). */
export function ptRead(w: Machine, reader: string, id = w.k.current): void {
  const t = w.k.tasks[id];
  if (t !== undefined) w.emit({ kind: 'pt-read', task: id, reader, written: t.written });
}
