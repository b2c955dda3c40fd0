/**
 * What every kernel path is built with (the design's knobs, overrides, and the text it is
 * assembled into), plus the step builders the entry and exit paths share.
 */
import { swapgs, type Regs } from '../isa/index.ts';
import { rf } from '../isa/index.ts';
import { retire } from '../isa/index.ts';
import { ptBit, type MachineState, type PtField, type Task } from '../model/index.ts';
import type { DesignOverrides, Knobs } from './design.ts';
import { isa, setCpu, setRegs, writePt } from './ops.ts';
import { step, type StepSpec, type Text } from './program.ts';

/** Build context of a kernel. */
export interface Ctx {
  readonly d: Knobs;
  readonly o: DesignOverrides;
  readonly T: Text;
}

/** -ENOSYS and other errno values as 64-bit two's complement. */
export const errno = (e: number): bigint => (1n << 64n) - BigInt(e);
export const ENOSYS = errno(38);
export const EFAULT = errno(14);
export const EINTR = errno(4);
export const EAGAIN = errno(11);
export const EINVAL = errno(22);
export const ESRCH = errno(3);

/** `swapgs` as a micro-step. */
export const swapgsStep = (why = 'swapgs'): StepSpec =>
  step(why, (m) => isa(m, swapgs(m.cpu, m.mem)), { insn: true });

/** `sti`: IF on, with the one-instruction STI shadow. */
export const stiStep = (why = 'sti'): StepSpec =>
  step(why, (m) => ({ ...m, cpu: retire(m.cpu, { ...m.cpu, rflags: m.cpu.rflags | rf.IF }, { opensShadow: 'sti' }) }), { insn: true });

/** `cli`. */
export const cliStep = (why = 'cli'): StepSpec =>
  step(why, (m) => setCpu(m, { rflags: m.cpu.rflags & ~rf.IF }));

/** Pushes one pt_regs field (the frame is built top down: RSP ends at task_pt_regs). */
export function push(field: PtField, value: (m: MachineState) => bigint, opts: { percpu?: boolean; what?: string } = {}): StepSpec {
  const bit = ptBit(field);
  // The hot path of every entry: one new task, one new CPU (no generic helpers).
  return step(`push ${opts.what ?? ''}(pt_regs->${field})`.replace('  ', ' '), (m) => {
    const t = m.k.tasks[m.k.current] as Task;
    const tasks = m.k.tasks.slice();
    tasks[t.id] = { ...t, regs: { ...t.regs, [field]: value(m) }, written: t.written | bit };
    return { ...m, k: { ...m.k, tasks }, cpu: { ...m.cpu, regs: { ...m.cpu.regs, rsp: m.cpu.regs.rsp - 8n } } };
  }, { stack: true, percpu: opts.percpu ?? false });
}

/** The general registers PUSH_AND_CLEAR_REGS saves, in push order after orig_ax. */
export const GPR_PUSH_ORDER: ReadonlyArray<PtField & keyof Regs> = [
  'rdi', 'rsi', 'rdx', 'rcx', 'rax', 'r8', 'r9', 'r10', 'r11', 'rbx', 'rbp', 'r12', 'r13', 'r14', 'r15',
];

/** Saves every general register into pt_regs in one step (the idtentry paths). */
export function pushAllRegs(what = 'PUSH_AND_CLEAR_REGS'): StepSpec {
  return step(what, (m) => {
    const p: Partial<Record<PtField, bigint>> = {};
    for (const r of GPR_PUSH_ORDER) p[r] = m.cpu.regs[r];
    return setRegs(writePt(m, p), { rsp: m.cpu.regs.rsp - BigInt(GPR_PUSH_ORDER.length) * 8n });
  }, { stack: true });
}
