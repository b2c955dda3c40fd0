/**
 * One-line renderings of events and observations for people.
 */
import type { Event, Observation } from '../model/index.ts';

const hex = (v: bigint): string => `0x${v.toString(16)}`;

/** "user.syscall getpid", "hw.nmi after 3", ... */
export function eventText(e: Event): string {
  switch (e.type) {
    case 'user.setReg': return `${e.type} ${e.reg} = ${hex(e.value)}`;
    case 'user.popf': return `${e.type} ${hex(e.flags)}`;
    case 'user.access': return `${e.type} ${e.write ? 'write' : 'read'} ${hex(e.addr)}`;
    case 'user.movSs': return `${e.type}${e.watched ? ' (watched)' : ''}`;
    case 'user.syscall':
    case 'user.int80':
    case 'user.sysenter': {
      const args = 'args' in e && e.args ? `(${e.args.map(hex).join(', ')})` : '';
      const frame = 'frame' in e && e.frame ? ` frame{${Object.entries(e.frame).map(([k, v]) => `${k}=${typeof v === 'bigint' ? hex(v) : `0x${Number(v).toString(16)}`}`).join(' ')}}` : '';
      const nr = 'nr' in e && e.nr !== undefined ? (typeof e.nr === 'bigint' ? `nr ${hex(e.nr)}` : e.nr) : '';
      const act = 'act' in e && e.act ? ` act{handler=${hex(e.act.handler)} flags=${hex(e.act.flags ?? 0n)}${e.act.mask ? ` mask=${hex(e.act.mask)}` : ''}}` : '';
      const stack = 'stack' in e && e.stack ? ` stack{sp=${hex(e.stack.sp)} size=${hex(e.stack.size)}${e.stack.flags ? ` flags=${hex(e.stack.flags)}` : ''}}` : '';
      const ebp = 'ebp' in e && e.ebp !== undefined ? ` ebp=${hex(e.ebp)}` : '';
      const raw = 'raw' in e && e.raw ? ' (raw)' : '';
      return `${e.type} ${nr}${args}${frame}${act}${stack}${ebp}${raw}`.trimEnd();
    }
    case 'user.int': return `${e.type} ${e.form === 'cc' ? 'int3 (CC)' : e.form === 'icebp' ? 'icebp (F1)' : e.form === 'into' ? 'into (CE)' : `$0x${e.vector.toString(16)} (CD)`}`;
    case 'user.pop': return `${e.type} ${e.reg}`;
    case 'hw.mce': return `${e.type} after ${e.after}`;
    case 'tracer.break': return `${e.type} ${hex(e.addr)}`;
    case 'user.jump': return `${e.type} ${hex(e.target)}`;
    case 'user.wrgsbase': return `${e.type} ${hex(e.value)}`;
    case 'hw.irq': return `${e.type} after ${e.after}${e.vector !== undefined ? ` vector 0x${e.vector.toString(16)}` : ''}`;
    case 'hw.nmi': return `${e.type} after ${e.after}`;
    case 'hw.remoteLdt': return `${e.type} after ${e.after}: LDT entry ${e.index} cleared`;
    case 'tracer.attach': return `${e.type}${e.options?.syscalls ? ' syscalls' : ''}${e.options?.fork ? ' fork' : ''}`;
    case 'tracer.setRegs': return `${e.type} ${Object.entries(e.regs).map(([k, v]) => `${k}=${typeof v === 'bigint' ? hex(v) : `0x${Number(v).toString(16)}`}`).join(' ')}`;
    case 'tracer.watch': return `${e.type} ${hex(e.addr)}`;
    case 'sched.wake': return `${e.type} task ${e.task}`;
    case 'sched.signal': return `${e.type} task ${e.task} signal ${e.signal}`;
    default: return e.type;
  }
}

/** One line per observation. */
export function observationText(o: Observation): string {
  switch (o.kind) {
    case 'user-insn': return `user-insn task ${o.task} at ${hex(o.rip)}`;
    case 'return-to-user': return `return-to-user task ${o.task} via ${o.via}: rip ${hex(o.rip)} rsp ${hex(o.rsp)} rflags ${hex(o.rflags)} cs 0x${o.cs.toString(16)} ss 0x${o.ss.toString(16)}`;
    case 'signal': return `signal ${o.signal} to task ${o.task}: si_code 0x${o.code.toString(16)} si_addr ${hex(o.siAddr)} at rip ${hex(o.rip)}${o.fatal ? ' (fatal)' : ''}${o.ctx ? ` frame{rsp ${hex(o.ctx.rsp ?? 0n)} rflags ${hex(o.ctx.rflags ?? 0n)} cs 0x${(o.ctx.cs ?? 0n).toString(16)} ss 0x${(o.ctx.ss ?? 0n).toString(16)} trapno ${o.ctx.trapno ?? 0n} err ${hex(o.ctx.err ?? 0n)} uc_flags ${hex(o.ctx.ucFlags ?? 0n)}}` : ''}`;
    case 'trap': return `trap task ${o.task} at ${hex(o.rip)}`;
    case 'user-resume': return `user-resume task ${o.task} (no pt_regs restored): rip ${hex(o.view.regs.rip ?? 0n)} rflags ${hex(o.view.rflags)}`;
    case 'ptrace-stop': return `ptrace-stop task ${o.task} (${o.why}) at ${hex(o.rip)}`;
    case 'kernel-failure': return `KERNEL FAILURE ${o.what}: ${o.detail}`;
    case 'syscall-return': return `syscall-return task ${o.task} ${o.nr} = ${hex(o.value)}`;
    case 'pt-read': return `pt-read task ${o.task} by ${o.reader}: written 0x${o.written.toString(16)}`;
    case 'kernel-resume': return `kernel-resume task ${o.task}: vector ${o.vector} ended, back at ${hex(o.rip)} rsp ${hex(o.rsp)} (it interrupted ${hex(o.interrupted)})`;
  }
}
