/**
 * Symbolic operands, evaluated by the model where the event runs: "$rip" is the address of the
 * instruction, "$next" the address after it (so `user.setReg rcx $next` is "RCX = the return
 * point of the SYSCALL that follows"), named addresses come from the kernel's layout. A trace
 * file's "0x..."/"$sym+off" strings are parsed into operands by src/check; nothing here reads
 * text.
 */
import { USER_INSN_LEN, type Event, type Operand, type SigFrame, type SigFrameOf, type TraceEvent, type UserEvent } from './events.ts';

/** Where an event runs: its instruction's address and the next one's. */
export interface Here {
  readonly rip: bigint;
  readonly next: bigint;
}

/** Thrown for a symbol no table defines (src/check validates files before they get here). */
export class UnknownSymbol extends Error {
  override readonly name = 'UnknownSymbol';
}

/** The value of an operand at `here`. */
export function resolveOperand(op: Operand | number, here: Here, symbols: Readonly<Record<string, bigint>>): bigint {
  if (typeof op === 'bigint') return op;
  if (typeof op === 'number') return BigInt(op);
  const base = op.sym === 'rip' ? here.rip : op.sym === 'next' ? here.next : symbols[op.sym];
  if (base === undefined) throw new UnknownSymbol(`unknown symbol "$${op.sym}"`);
  return BigInt.asUintN(64, base + op.off);
}

/** The address of the instruction after one of `e` at `rip` (non-user events: `rip`). */
export function nextOf(e: TraceEvent, rip: bigint): bigint {
  return e.type.startsWith('user.') ? BigInt.asUintN(64, rip + USER_INSN_LEN[e.type as UserEvent['type']]) : rip;
}

function frame(f: SigFrameOf<Operand> | undefined, v: (o: Operand | number) => bigint): SigFrame | undefined {
  if (f === undefined) return undefined;
  const out: Record<string, bigint | number> = {};
  for (const [k, op] of Object.entries(f)) {
    const x = v(op as Operand | number);
    out[k] = k === 'cs' || k === 'ss' ? Number(x & 0xffffn) : x;
  }
  return out as SigFrame;
}

/** `e` with every operand resolved for an instruction at `rip`. Events with no operands come back as they are. */
export function resolveEvent(e: TraceEvent, rip: bigint, symbols: Readonly<Record<string, bigint>>): Event {
  const here: Here = { rip, next: nextOf(e, rip) };
  const v = (o: Operand | number): bigint => resolveOperand(o, here, symbols);
  switch (e.type) {
    case 'user.setReg': return typeof e.value === 'bigint' ? e as Event : { ...e, value: v(e.value) };
    case 'user.popf': return typeof e.flags === 'bigint' ? e as Event : { ...e, flags: v(e.flags) };
    case 'user.access': return typeof e.addr === 'bigint' ? e as Event : { ...e, addr: v(e.addr) };
    case 'user.jump': return typeof e.target === 'bigint' ? e as Event : { ...e, target: v(e.target) };
    case 'user.wrgsbase': return typeof e.value === 'bigint' ? e as Event : { ...e, value: v(e.value) };
    case 'tracer.watch': return typeof e.addr === 'bigint' ? e as Event : { ...e, addr: v(e.addr) };
    case 'user.syscall':
    case 'user.int80': {
      const args = e.args?.map(v);
      const fr = frame(e.frame, v);
      return { type: e.type, nr: e.nr, ...(args ? { args } : {}), ...(fr ? { frame: fr } : {}) };
    }
    case 'user.sysenter': {
      const args = e.args?.map(v);
      return { type: e.type, ...(e.nr ? { nr: e.nr } : {}), ...(args ? { args } : {}) };
    }
    case 'tracer.setRegs': return { type: e.type, regs: frame(e.regs, v) ?? {} };
    default: return e;
  }
}

