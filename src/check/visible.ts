/**
 * What user mode can see of an observation sequence, normalised for comparison: which exit
 * instruction returned and kernel-internal records are dropped; registers, flags, segment
 * selectors and hidden attributes, signals and traps with their RIPs are kept.
 */
import { formatSegment, low32 } from '../isa/index.ts';
import type { Observation, UserView } from '../model/index.ts';

const hex = (v: bigint): string => `0x${v.toString(16)}`;

/** One observation as user mode sees it, as a comparable string; null for invisible ones. */
export function visible(o: Observation): string | null {
  switch (o.kind) {
    case 'user-insn': return `task ${o.task} executes at ${hex(o.rip)}`;
    case 'return-to-user': case 'user-resume': return `task ${o.task} resumes with ${viewText(o.view)}`;
    case 'signal': return `task ${o.task} gets signal ${o.signal} (si_code 0x${o.code.toString(16)}, si_addr ${hex(o.siAddr)}) at ${hex(o.rip)}${o.fatal ? ', fatal' : ''}`;
    case 'trap': return `task ${o.task} traps at ${hex(o.rip)}`;
    case 'ptrace-stop': return `task ${o.task} stops for its tracer (${o.why}) at ${hex(o.rip)}`;
    case 'kernel-failure': return `kernel failure: ${o.what}`;
    default: return null;
  }
}

/**
 * SS as user code can observe it: selector, usability, type and size, but not the DPL in the
 * hidden cache (CPL comes from CS, and a loaded SS's DPL is not checked on use: AMD's SYSRET
 * leaves SYSCALL's DPL 0 there and no user instruction can tell).
 */
export function ssText(s: UserView['ss']): string {
  return formatSegment({ ...s, dpl: 3 });
}

/** The user-visible register state as text, every field. */
export function viewText(v: UserView): string {
  const regs = Object.entries(v.regs).map(([k, x]) => `${k}=${hex(x)}`).join(' ');
  return `${regs} rflags=${hex(v.rflags)} cs=${formatSegment(v.cs)} ss=${ssText(v.ss)} gs=${hex(v.gsBase)}`;
}

/** Names of the fields in which two views differ. */
export function viewDiff(a: UserView, b: UserView): string[] {
  const out: string[] = [];
  for (const k of new Set([...Object.keys(a.regs), ...Object.keys(b.regs)])) if (a.regs[k] !== b.regs[k]) out.push(k);
  if (a.rflags !== b.rflags) out.push('rflags');
  if (formatSegment(a.cs) !== formatSegment(b.cs)) out.push('cs');
  if (ssText(a.ss) !== ssText(b.ss)) out.push('ss');
  if (a.gsBase !== b.gsBase) out.push('gs');
  return out;
}

/**
 * The user-visible sequence of a run. A task resumed again with what it last saw, having run
 * nothing in between (an interrupt, or an NMI held until the last one's IRET, taken before its
 * next instruction), cannot tell: that resume is left out.
 */
export function visibleSequence(obs: readonly Observation[]): Array<{ text: string; o: Observation }> {
  const out: Array<{ text: string; o: Observation }> = [];
  // Each task's last visible text, by task number (a handful of tasks).
  const last: Array<string | undefined> = [];
  for (const o of obs) {
    const text = visible(o);
    if (text === null) continue;
    if ('task' in o) {
      const resume = o.kind === 'return-to-user' || o.kind === 'user-resume';
      if (resume && last[o.task] === text) continue;
      last[o.task] = text;
    }
    out.push({ text, o });
  }
  return out;
}

/** A register of a compat or 64-bit view compared with pt_regs: low halves in compat mode. */
export function sameAsPt(viewValue: bigint, ptValue: bigint, compat: boolean): boolean {
  return compat ? viewValue === low32(ptValue) : viewValue === ptValue;
}
