/**
 * The harness's input: one line per trace, "<id> <event>;<event>...", each event an opcode
 * letter and hexadecimal operands (native/parse.c documents the grammar). System call numbers
 * are the ABIs' own (syscall_64.tbl, syscall_32.tbl), written here independently of the
 * model's table so that a wrong number in the model shows up as a disagreement.
 */
import { USER_REGS, type Event, type SigFrame } from '../model/index.ts';
import { REG_NAMES } from './types.ts';

const NR64: Readonly<Record<string, number>> = { getpid: 39, sched_yield: 24, kill: 62, rt_sigreturn: 15 };
const NR32: Readonly<Record<string, number>> = { getpid: 20, sched_yield: 158, kill: 37, rt_sigreturn: 173 };

/** Thrown for an event the harness cannot run (outside the co-simulation subset). */
export class UnsupportedEvent extends Error {
  constructor(message: string, readonly index = -1) { super(message); }
}

const hex = (v: bigint | number): string => BigInt.asUintN(64, BigInt(v)).toString(16);

function fields(f: SigFrame | undefined): string {
  let mask = 0;
  const vals: string[] = [];
  REG_NAMES.forEach((name, i) => {
    const v = (f as Record<string, bigint | number | undefined> | undefined)?.[name];
    if (v === undefined) return;
    mask |= 1 << i;
    vals.push(hex(v));
  });
  return [hex(mask), ...vals].join(' ');
}

function nr(table: Readonly<Record<string, number>>, name: string): number {
  const n = table[name];
  if (n === undefined) throw new UnsupportedEvent(`system call ${name} is not in the co-simulation subset`);
  return n;
}

/** One event in the line format. */
export function eventToken(e: Event): string {
  switch (e.type) {
    case 'user.setReg': return `R ${USER_REGS.indexOf(e.reg).toString(16)} ${hex(e.value)}`;
    case 'user.popf': return `F ${hex(e.flags)}`;
    case 'user.nop': return 'N';
    case 'user.access': return `A ${hex(e.addr)} ${e.write ? 1 : 0}`;
    case 'user.movSs': return `M ${e.watched ? 1 : 0}`;
    case 'user.int3': return 'B';
    case 'user.int': return `T ${hex(e.vector)} ${['cd', 'cc', 'icebp', 'into'].indexOf(e.form ?? 'cd')}`;
    case 'user.cli': return 'C';
    case 'user.pushf': return 'P';
    case 'user.pop': return `O ${USER_REGS.indexOf(e.reg).toString(16)}`;
    case 'user.jump': return `J ${hex(e.target)}`;
    case 'user.wrgsbase': return `G ${hex(e.value)}`;
    case 'user.syscall':
    case 'user.int80':
    case 'user.sysenter': {
      // The harness picks the ABI by the code it runs in: SYSCALL in 32-bit code is a call
      // through the vDSO, with 32-bit numbers (native/driver.c); the line carries both.
      if (typeof e.nr === 'bigint') throw new UnsupportedEvent('a system call by number is not in the co-simulation subset');
      if (('act' in e && e.act) || ('stack' in e && e.stack)) throw new UnsupportedEvent('rt_sigaction/sigaltstack structures are not in the co-simulation subset');
      if (('raw' in e && e.raw) || ('ebp' in e && e.ebp !== undefined)) throw new UnsupportedEvent('raw 32-bit SYSCALL/SYSENTER and an explicit EBP are not in the co-simulation subset');
      if ('frame' in e && e.frame && ('uc_flags' in e.frame || 'sigmask' in e.frame)) throw new UnsupportedEvent('a forged uc_flags or uc_sigmask is not in the co-simulation subset');
      const name = e.nr ?? 'getpid';
      const n = e.type === 'user.syscall' ? nr(NR64, name) : nr(NR32, name);
      const args = e.args ?? [];
      // The harness maps the model's pid 1 to its child; 0 is the child's own process group.
      // Any other target would be another process: the seccomp guard refuses it (native/guard.c).
      if (name === 'kill' && args[0] !== undefined && BigInt.asUintN(32, args[0]) > 1n) {
        throw new UnsupportedEvent(`kill() of pid ${BigInt.asIntN(32, args[0])}: a co-simulated trace may signal only its own process (pid 0 or 1)`);
      }
      if (e.type === 'user.sysenter') return ['E', hex(n), hex(args.length), ...args.map(hex)].join(' ');
      const n32 = e.type === 'user.syscall' && NR32[name] !== undefined ? ` ${hex(NR32[name] ?? 0)}` : '';
      return [e.type === 'user.syscall' ? 'S' : 'I', hex(n), hex(args.length), ...args.map(hex), fields(e.frame)].join(' ') + n32;
    }
    case 'tracer.attach': return `a ${e.options?.syscalls ? 1 : 0}`;
    case 'tracer.setRegs': return `r ${fields(e.regs)}`;
    case 'tracer.singleStep': return 's';
    case 'tracer.cont': return 'c';
    case 'tracer.watch': return `w ${hex(e.addr)}`;
    case 'tracer.break': return `k ${hex(e.addr)}`;
    default: throw new UnsupportedEvent(`event ${e.type} is not in the co-simulation subset`);
  }
}

/** A whole trace as one harness input line (with the newline); the error names the event. */
export function traceLine(id: number, events: readonly Event[]): string {
  return `${id} ${events.map((e, i) => {
    try {
      return eventToken(e);
    } catch (err) {
      if (err instanceof UnsupportedEvent) throw new UnsupportedEvent(`events[${i}]: ${err.message}`, i);
      throw err;
    }
  }).join(';')}\n`;
}
