/**
 * From a trace file's text values to the model's operands: "0x400000" is a value, "$next+10" a
 * symbol the model resolves where the event runs (model/operand.ts). Symbols are checked here,
 * so a misspelt one is a one-line input error naming the file and the field, before anything
 * runs.
 */
import { SYMBOL_NAMES } from '../kernel/index.ts';
import { SYSCALL_NAMES, type Operand, type SigFrameOf, type SyscallNrOf, type TraceEvent } from '../model/index.ts';
import { InputError, inputErrors } from './errors.ts';
import type { RawEvent } from './trace-file.ts';

const SYMBOLS = new Set(SYMBOL_NAMES);
const FORM = /^\$([a-z_0-9]+)(?:([+-])(0x[0-9a-fA-F]+|[0-9]+))?$/;

/** One value: a number, a hex string, or a symbol with an optional offset. */
export function toOperand(s: string | number | bigint, file: string, where: string): Operand {
  if (typeof s === 'bigint') return s;
  if (typeof s === 'number') return BigInt(s);
  if (s.startsWith('0x')) return BigInt(s);
  const m = FORM.exec(s);
  const name = m?.[1] ?? '';
  if (!SYMBOLS.has(name)) throw new InputError(inputErrors.badSymbol(file, where, `$${name}`, SYMBOL_NAMES));
  const off = m?.[3] === undefined ? 0n : BigInt(m[3]);
  return { sym: name, off: m?.[2] === '-' ? -off : off };
}

function frame(f: Record<string, string | number> | undefined, file: string, where: string): SigFrameOf<Operand> | undefined {
  if (f === undefined) return undefined;
  const out: Record<string, Operand> = {};
  for (const [k, v] of Object.entries(f)) out[k] = toOperand(v, file, `${where}.${k}`);
  return out as SigFrameOf<Operand>;
}

/** A system call number as a file gives it: a name the model implements, or a value. */
function nrOperand(nr: string, v: (s: string, field: string) => Operand): SyscallNrOf<Operand> {
  return (SYSCALL_NAMES as readonly string[]).includes(nr) ? nr as (typeof SYSCALL_NAMES)[number] : v(nr, 'nr');
}

/** One file event as the model's event (operands unresolved). */
export function toTraceEvent(e: RawEvent, index: number, file: string): TraceEvent {
  const at = (field: string): string => `events[${index}].${field}`;
  const v = (s: string, field: string): Operand => toOperand(s, file, at(field));
  switch (e.type) {
    case 'user.setReg': return { ...e, value: v(e.value, 'value') };
    case 'user.popf': return { ...e, flags: v(e.flags, 'flags') };
    case 'user.access': return { ...e, addr: v(e.addr, 'addr') };
    case 'user.jump': return { ...e, target: v(e.target, 'target') };
    case 'user.wrgsbase': return { ...e, value: v(e.value, 'value') };
    case 'tracer.watch':
    case 'tracer.break': return { ...e, addr: v(e.addr, 'addr') };
    case 'user.syscall':
    case 'user.int80': {
      const args = e.args?.map((a, n) => v(a, `args[${n}]`));
      const fr = frame(e.frame as Record<string, string | number> | undefined, file, at('frame'));
      const act = e.act ? { handler: v(e.act.handler, 'act.handler'), ...(e.act.flags ? { flags: v(e.act.flags, 'act.flags') } : {}), ...(e.act.mask ? { mask: v(e.act.mask, 'act.mask') } : {}) } : undefined;
      const stack = e.stack ? { sp: v(e.stack.sp, 'stack.sp'), size: v(e.stack.size, 'stack.size'), ...(e.stack.flags ? { flags: v(e.stack.flags, 'stack.flags') } : {}) } : undefined;
      return {
        type: e.type, nr: nrOperand(e.nr, v), ...(args ? { args } : {}), ...(fr ? { frame: fr } : {}), ...(act ? { act } : {}), ...(stack ? { stack } : {}),
        ...('raw' in e && e.raw ? { raw: true } : {}),
      } as TraceEvent;
    }
    case 'user.sysenter': {
      const args = e.args?.map((a, n) => v(a, `args[${n}]`));
      return {
        type: e.type, ...(e.nr !== undefined ? { nr: nrOperand(e.nr, v) } : {}), ...(args ? { args } : {}),
        ...(e.ebp !== undefined ? { ebp: v(e.ebp, 'ebp') } : {}), ...(e.raw ? { raw: true } : {}),
      };
    }
    case 'tracer.setRegs': return { type: e.type, regs: frame(e.regs as Record<string, string | number>, file, at('regs')) ?? {} };
    default: return e;
  }
}

/** A whole file trace as the model's events. */
export function toTraceEvents(events: readonly RawEvent[], file: string): TraceEvent[] {
  return events.map((e, i) => toTraceEvent(e, i, file));
}
