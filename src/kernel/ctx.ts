/**
 * What every kernel path is built with (the design's knobs, overrides, and the text it is
 * assembled into), plus the step builders the entry and exit paths share.
 */
import { copyCpu, cpl, is64, rf, retireOwned, swapgs, swapgsOwned, type Regs } from '../isa/index.ts';
import { ptBit, type Machine, type PtField } from '../model/index.ts';
import type { DesignOverrides, Knobs } from './design.ts';
import { cli, isa } from './ops.ts';
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

/** T.addr(`sys_${name}`), remembered per name: a dispatch builds no string and looks up no label. */
export function sysEntries(T: Text): (name: string) => bigint {
  const known = new Map<string, bigint>();
  return (name) => {
    let a = known.get(name);
    if (a === undefined) { a = T.addr(`sys_${name}`); known.set(name, a); }
    return a;
  };
}

/** `swapgs` as a micro-step. */
export const swapgsStep = (why = 'swapgs'): StepSpec =>
  step(why, (w) => {
    // Where it cannot fault, in place on the machine's CPU: one copy at most, not two per SWAPGS.
    if (is64(w.cpu) && cpl(w.cpu) === 0) swapgsOwned(w.cpuW());
    else return isa(w, swapgs(w.cpu, w.mem));
  }, { insn: true });

const STI = { opensShadow: 'sti' } as const;

/** `sti`: IF on, with the one-instruction STI shadow. */
export const stiStep = (why = 'sti'): StepSpec =>
  step(why, (w) => {
    const after = copyCpu(w.cpu);
    after.rflags = w.cpu.rflags | rf.IF;
    w.setCpu(retireOwned(w.cpu, after, STI));
  }, { insn: true });

/** `cli`. */
export const cliStep = (why = 'cli'): StepSpec => step(why, (w) => cli(w));

/** Pushes one pt_regs field (the frame is built top down: RSP ends at task_pt_regs). */
export function push(field: PtField, value: (w: Machine) => bigint, opts: { percpu?: boolean; what?: string } = {}): StepSpec {
  const bit = ptBit(field);
  // The hot path of every entry: the value is read before anything is written.
  return step(`push ${opts.what ?? ''}(pt_regs->${field})`.replace('  ', ' '), (w) => {
    const v = value(w);
    const id = w.k.current;
    w.ptW(id)[field] = v;
    w.taskW(id).written |= bit;
    const regs = w.regsW();
    regs.rsp -= 8n;
  }, { stack: true, percpu: opts.percpu ?? false });
}

/** The general registers PUSH_AND_CLEAR_REGS saves, in push order after orig_ax. */
export const GPR_PUSH_ORDER: ReadonlyArray<PtField & keyof Regs> = [
  'rdi', 'rsi', 'rdx', 'rcx', 'rax', 'r8', 'r9', 'r10', 'r11', 'rbx', 'rbp', 'r12', 'r13', 'r14', 'r15',
];

const GPR_BITS = GPR_PUSH_ORDER.reduce((m, r) => m | ptBit(r), 0);
const GPR_BYTES = BigInt(GPR_PUSH_ORDER.length) * 8n;

/** Saves every general register into pt_regs in one step (the idtentry paths). */
export function pushAllRegs(what = 'PUSH_AND_CLEAR_REGS'): StepSpec {
  // What writePt of the fifteen registers does, field by field (no object built, no keyed access).
  return step(what, (w) => {
    const id = w.k.current;
    const c = w.cpu.regs;
    const p = w.ptW(id);
    p.rdi = c.rdi; p.rsi = c.rsi; p.rdx = c.rdx; p.rcx = c.rcx; p.rax = c.rax; p.r8 = c.r8; p.r9 = c.r9; p.r10 = c.r10;
    p.r11 = c.r11; p.rbx = c.rbx; p.rbp = c.rbp; p.r12 = c.r12; p.r13 = c.r13; p.r14 = c.r14; p.r15 = c.r15;
    w.taskW(id).written |= GPR_BITS;
    w.regsW().rsp = c.rsp - GPR_BYTES;
  }, { stack: true });
}
