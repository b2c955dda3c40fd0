/**
 * Symbolic operands, evaluated by the model where the event runs: "$rip" is the address of the
 * instruction, "$next" the address after it (so `user.setReg rcx $next` is "RCX = the return
 * point of the SYSCALL that follows"; for a tracer's event, the tracee's RIP: step.ts ripOf),
 * named addresses come from the kernel's layout. A trace file's "0x..."/"$sym+off" strings are
 * parsed into operands by src/check; nothing here reads text.
 */
import { insnLength, type Event, type Operand, type SigActionOf, type SigFrame, type SigFrameOf, type StackOf, type SyscallNrOf, type TraceEvent } from './events.ts';

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
  return e.type.startsWith('user.') ? BigInt.asUintN(64, rip + insnLength(e as { type: string })) : rip;
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

function nrOf(nr: SyscallNrOf<Operand>, v: (o: Operand | number) => bigint): SyscallNrOf<bigint> {
  return typeof nr === 'string' ? nr : v(nr);
}

function actOf(a: SigActionOf<Operand> | undefined, v: (o: Operand) => bigint): SigActionOf<bigint> | undefined {
  if (a === undefined) return undefined;
  return { handler: v(a.handler), ...(a.flags !== undefined ? { flags: v(a.flags) } : {}), ...(a.mask !== undefined ? { mask: v(a.mask) } : {}) };
}

function stackOf(a: StackOf<Operand> | undefined, v: (o: Operand) => bigint): StackOf<bigint> | undefined {
  if (a === undefined) return undefined;
  return { sp: v(a.sp), size: v(a.size), ...(a.flags !== undefined ? { flags: v(a.flags) } : {}) };
}

/**
 * Resolves operands of `e` at `rip`; `here` is worked out on the first symbolic operand only (its
 * $next costs a BigInt addition). Returned anonymous, so no name is attached per event.
 */
function resolverAt(e: TraceEvent, rip: bigint, symbols: Readonly<Record<string, bigint>>): (o: Operand | number) => bigint {
  let here: Here | undefined;
  return (o) => (typeof o === 'bigint' ? o : resolveOperand(o, here ??= { rip, next: nextOf(e, rip) }, symbols));
}

/** `e` with every operand resolved for an instruction at `rip`. Events with no operands come back as they are. */
export function resolveEvent(e: TraceEvent, rip: bigint, symbols: Readonly<Record<string, bigint>>): Event {
  const v = resolverAt(e, rip, symbols);
  switch (e.type) {
    case 'user.setReg': return typeof e.value === 'bigint' ? e as Event : { ...e, value: v(e.value) };
    case 'user.popf': return typeof e.flags === 'bigint' ? e as Event : { ...e, flags: v(e.flags) };
    case 'user.access': return typeof e.addr === 'bigint' ? e as Event : { ...e, addr: v(e.addr) };
    case 'user.jump': return typeof e.target === 'bigint' ? e as Event : { ...e, target: v(e.target) };
    case 'user.wrgsbase': return typeof e.value === 'bigint' ? e as Event : { ...e, value: v(e.value) };
    case 'tracer.watch':
    case 'tracer.break': return typeof e.addr === 'bigint' ? e as Event : { ...e, addr: v(e.addr) };
    case 'user.syscall':
    case 'user.int80': {
      const args = e.args?.map(v);
      const fr = frame(e.frame, v);
      const act = actOf(e.act, v);
      const stack = stackOf(e.stack, v);
      // Optional keys added one by one in the order conditional spreads gave (no runtime spreads).
      const out: Record<string, unknown> = { type: e.type, nr: nrOf(e.nr, v) };
      if (args) out.args = args;
      if (fr) out.frame = fr;
      if (act) out.act = act;
      if (stack) out.stack = stack;
      if (e.type === 'user.syscall' && e.raw === true) out.raw = true;
      return out as unknown as Event;
    }
    case 'user.sysenter': {
      const args = e.args?.map(v);
      return {
        type: e.type, ...(e.nr !== undefined ? { nr: nrOf(e.nr, v) } : {}), ...(args ? { args } : {}),
        ...(e.ebp !== undefined ? { ebp: v(e.ebp) } : {}), ...(e.raw === true ? { raw: true } : {}),
      };
    }
    case 'tracer.setRegs': return { type: e.type, regs: frame(e.regs, v) ?? {} };
    default: return e;
  }
}

