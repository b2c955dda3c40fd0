/**
 * The fields of a machine state people look at, as display strings, and the difference between
 * two states (what a step changed): registers, CPL, segments, GS, CR2, the task and its stack
 * of kernel contexts.
 */
import { cpl, formatRflags, formatSegment } from '../isa/index.ts';
import type { KernelImpl, MachineState, Task } from '../model/index.ts';
import { TIF_NAMES } from '../model/index.ts';

const REGS = ['rip', 'rsp', 'rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'] as const;

const hex = (v: bigint): string => `0x${v.toString(16)}`;

/** One context of a task, e.g. "syscall64", "#PF", "NMI", "IRQ 0x20". */
export function contextName(a: Task['acts'][number]): string {
  if (a.cause !== 'idt') return a.cause;
  const names: Record<number, string> = { 1: '#DB', 2: 'NMI', 3: '#BP', 6: '#UD', 8: '#DF', 11: '#NP', 12: '#SS', 13: '#GP', 14: '#PF', 0x80: 'int80' };
  return names[a.vector] ?? `IRQ 0x${a.vector.toString(16)}`;
}

function flags(t: Task): string {
  const names = TIF_NAMES.filter(([b]) => (t.tif & b) !== 0).map(([, n]) => n);
  return names.length ? names.join('|') : '-';
}

/** Display fields of a state. */
export function snapshot(m: MachineState, K: KernelImpl): Record<string, string> {
  const c = m.cpu;
  const s: Record<string, string> = {};
  const level = cpl(c);
  s.cpl = String(level);
  for (const r of REGS) s[r] = r === 'rip' && level === 0 ? K.describe(c.regs.rip) : hex(c.regs[r]);
  s.rflags = `${hex(c.rflags)} ${formatRflags(c.rflags)}`;
  s.cs = formatSegment(c.cs);
  s.ss = formatSegment(c.ss);
  s.gs = c.gsBase === K.percpuBase ? 'kernel' : `user ${hex(c.gsBase)}`;
  s.cr2 = hex(c.cr2);
  s.nmiBlocked = String(c.nmiBlocked);
  s.task = String(m.k.current);
  for (const t of m.k.tasks) {
    if (t.id === 0) continue;
    s[`task${t.id}`] = `${t.mode}${t.compat ? ' (32-bit)' : ''} flags=${flags(t)}${t.tsCompat ? ' TS_COMPAT' : ''}`;
    s[`task${t.id}.contexts`] = t.acts.map(contextName).join(' > ') || '-';
  }
  s.pending = `${m.hw.nmi ? 'NMI ' : ''}${m.hw.irq.map((v) => `IRQ 0x${v.toString(16)}`).join(' ')}`.trim() || '-';
  s.armed = m.hw.armed.map((a) => `${a.kind}@${Math.max(0, a.due - m.clock)}`).join(' ') || '-';
  if (m.k.halted) s.halted = m.k.halted.kind === 'kernel-failure' ? `${m.k.halted.what}: ${m.k.halted.detail}` : 'yes';
  return s;
}

/** The fields that differ, as [name, before, after]. */
export function diff(a: Record<string, string>, b: Record<string, string>): Array<[string, string, string]> {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  const out: Array<[string, string, string]> = [];
  for (const k of keys) if (a[k] !== b[k]) out.push([k, a[k] ?? '-', b[k] ?? '-']);
  return out;
}
