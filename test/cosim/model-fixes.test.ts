/**
 * Model fixes that co-simulation found (docs/cosim.md, "Disagreements found and fixed"): each
 * test pins the behaviour a real 6.18 kernel showed, on the model alone (no harness needed).
 */
import { describe, expect, it } from 'vitest';
import { findDesign, type Design } from '../../src/kernel/index.ts';
import { SI, SIG, type Event } from '../../src/model/index.ts';
import { runModel } from '../../src/cosim/model-run.ts';
import type { SideRun } from '../../src/cosim/types.ts';

const design = (name: string): Design => {
  const d = findDesign(name);
  if (d === undefined) throw new Error(name);
  return d;
};
const model = (events: Event[], name = 'linux-6.7'): SideRun => runModel(design(name), 'intel', 4, events);
const sigs = (r: SideRun) => r.records.flatMap((x) => x.signals.map((s) => ({ signo: s.signo, code: s.code, addr: s.addr })));
const states = (r: SideRun) => r.records.map((x) => (x.state === 'stopped' ? `stopped:${x.stop}` : x.state));
const RBP = 6;
const RSP = 7;
const RFLAGS = 17;
const RIP = 16;

const attach = (syscalls: boolean): Event => ({ type: 'tracer.attach', options: { syscalls } });
const getpid: Event = { type: 'user.syscall', nr: 'getpid' };
const nop: Event = { type: 'user.nop' };

describe('model fixes found by co-simulation', () => {
  it('int3 from user mode is SIGTRAP with si_code SI_KERNEL and no address (do_trap, sicode 0)', () => {
    expect(sigs(model([{ type: 'user.int3' }, nop]))).toEqual([{ signo: SIG.SIGTRAP, code: SI.KERNEL, addr: 0n }]);
  });

  it('a user access to the kernel half is SEGV_MAPERR (do_kern_addr_fault), a write to code SEGV_ACCERR', () => {
    const r = model([{ type: 'user.access', addr: 0xffff_ffff_8100_0000n, write: false }, nop]);
    expect(sigs(r)).toEqual([{ signo: SIG.SIGSEGV, code: SI.SEGV_MAPERR, addr: 0xffff_ffff_8100_0000n }]);
    const w = model([{ type: 'user.access', addr: 0x40_0800n, write: true }, nop]);
    expect(sigs(w)).toEqual([{ signo: SIG.SIGSEGV, code: SI.SEGV_ACCERR, addr: 0x40_0800n }]);
  });

  it('PTRACE_SETREGS may set NT (x86-64 FLAG_MASK) and stops at the first refused selector', () => {
    const r = model([attach(true), getpid, { type: 'tracer.setRegs', regs: { rflags: 0x4202n, rip: 0x400200n, ss: 0x18 } }]);
    const regs = r.records[2]?.regs ?? [];
    expect(regs[RFLAGS]).toBe(0x4202n); // before SS in user_regs_struct: written
    expect(regs[RIP]).toBe(0x400200n);
    expect(regs[19]).toBe(0x2bn); // SS refused (-EIO)
  });

  it('int $0x80 from 64-bit code stops a PTRACE_SYSCALL tracer at entry and at exit', () => {
    const r = model([attach(true), { type: 'user.int80', nr: 'getpid' }, { type: 'tracer.cont' }, { type: 'tracer.cont' }, nop]);
    expect(states(r)).toEqual(['boundary', 'stopped:syscall-entry', 'stopped:syscall-exit', 'boundary', 'boundary']);
  });

  it('PTRACE_SINGLESTEP from a syscall-entry stop: one single-step report at exit, no syscall-exit stop', () => {
    const r = model([attach(true), getpid, { type: 'tracer.singleStep' }, { type: 'tracer.cont' }, nop]);
    expect(states(r)).toEqual(['boundary', 'stopped:syscall-entry', 'stopped:singlestep', 'boundary', 'boundary']);
    expect(r.records[2]?.traps).toEqual([0x400102n]);
  });

  it('PTRACE_SINGLESTEP from a syscall-exit stop reports nothing more there: the next instruction traps', () => {
    const r = model([attach(true), getpid, { type: 'tracer.cont' }, { type: 'tracer.singleStep' }, nop]);
    expect(states(r)).toEqual(['boundary', 'stopped:syscall-entry', 'stopped:syscall-exit', 'boundary', 'stopped:singlestep']);
    expect(r.records[4]?.traps).toEqual([0x400103n]);
  });

  it('a fetch from a demand (data) page is SEGV_ACCERR at once, nothing filled (access_error)', () => {
    const r = model([{ type: 'user.syscall', nr: 'rt_sigreturn', frame: { rip: 0x70_0000n } }, nop]);
    expect(sigs(r)).toEqual([{ signo: SIG.SIGSEGV, code: SI.SEGV_ACCERR, addr: 0x70_0000n }]);
    expect(r.records[1]?.regs?.[RIP]).toBe(0x400e00n);
  });

  it('PTRACE_SINGLESTEP reads the instruction at RIP, which fills a demand page there', () => {
    const r = model([attach(true), getpid, { type: 'tracer.cont' }, { type: 'tracer.setRegs', regs: { rip: 0x70_0100n } },
      { type: 'tracer.singleStep' }, nop, { type: 'tracer.cont' }, { type: 'user.access', addr: 0x70_0200n, write: true }]);
    expect(sigs(r)).toEqual([{ signo: SIG.SIGSEGV, code: SI.SEGV_ACCERR, addr: 0x70_0100n }]);
    expect(r.records[7]?.regs?.[RIP]).toBe(0x400e09n); // the page is present: the write retires
  });

  const stepFromExit: Event[] = [attach(true), getpid, { type: 'tracer.cont' }, { type: 'tracer.singleStep' }];
  it('ptrace shows registers without the TF it set itself (get_flags, TIF_FORCED_TF)', () => {
    const r = model([...stepFromExit, nop]);
    expect(states(r).slice(3)).toEqual(['boundary', 'stopped:singlestep']);
    expect(r.records[3]?.regs?.[RFLAGS]).toBe(0x202n);
    expect(r.records[4]?.regs?.[RFLAGS]).toBe(0x202n);
  });

  it('a step onto POPF leaves its TF to user code: it survives PTRACE_CONT (is_setting_trap_flag)', () => {
    const r = model([...stepFromExit, { type: 'user.popf', flags: 0x302n }, { type: 'tracer.cont' }, nop]);
    expect(r.records[4]?.regs?.[RFLAGS]).toBe(0x302n);
    expect(sigs(r)).toEqual([{ signo: SIG.SIGTRAP, code: SI.TRAP_TRACE, addr: 0x400104n }]);
  });

  it('a step after a stepped POPF cleared TF puts TF back as the user\'s (enable_single_step, TIF_SINGLESTEP)', () => {
    const r = model([...stepFromExit, { type: 'user.popf', flags: 0x2c7n }, { type: 'tracer.singleStep' }, nop, { type: 'tracer.cont' }, nop]);
    expect(r.records[5]?.regs?.[RFLAGS]).toBe(0x3c7n);
    expect(sigs(r)).toEqual([{ signo: SIG.SIGTRAP, code: SI.TRAP_TRACE, addr: 0x400105n }]);
  });

  it('co-simulation applies UMIP\'s read of the instruction at a #GP RIP (a demand page there fills)', () => {
    const events: Event[] = [{ type: 'user.int3' }, { type: 'user.syscall', nr: 'rt_sigreturn', frame: { rip: 0x70_0000n, cs: 0x13 } },
      { type: 'user.access', addr: 0x70_0010n, write: false }, nop];
    const plain = runModel(design('linux-6.7'), 'intel', 4, events);
    const umip = runModel(design('linux-6.7'), 'intel', 4, events, { umip: true });
    expect(plain.records[2]?.regs?.[RIP]).toBe(0x400e00n); // the model's demand fault: not retired
    expect(umip.records[2]?.regs?.[RIP]).toBe(0x400e09n); // the page is present: the read retires
  });

  // The frame holds the CPU's XSAVE area (fpu__alloc_mathframe), so its size is the host's: an
  // Intel host with AVX-512 and AMX's TILECFG (0xb04 bytes with the magic) put the handler 0xd88
  // below a page-aligned RSP, and 0xd80 below 0x600db8 (the area is 64-byte aligned), where the
  // model's own frame is 0x4c8 below.
  it('co-simulation takes the host\'s XSAVE size and Linux\'s layout: the handler\'s RSP, and a frame that no longer fits', () => {
    const int3: Event = { type: 'user.int3' };
    const host = { xstate: 0xb04n };
    expect(runModel(design('linux-6.7'), 'intel', 4, [int3]).records[0]?.regs?.[RSP]).toBe(0x7fff_ffff_e000n - 0x4c8n);
    expect(runModel(design('linux-6.7'), 'intel', 4, [int3], host).records[0]?.regs?.[RSP]).toBe(0x7fff_ffff_e000n - 0xd88n);
    const at = (rsp: bigint): Event[] => [{ type: 'user.setReg', reg: 'rsp', value: rsp }, int3];
    expect(runModel(design('linux-6.7'), 'intel', 4, at(0x60_0db8n), host).records[1]?.regs?.[RSP]).toBe(0x60_0038n);
    // 0xd00 above the data region's bottom: the model's own frame fits, the host's does not (SIGSEGV, fatal).
    expect(runModel(design('linux-6.7'), 'intel', 4, at(0x60_0d00n)).records[1]?.state).toBe('boundary');
    expect(runModel(design('linux-6.7'), 'intel', 4, at(0x60_0d00n), host).records[1]?.state).toBe('dead');
  });

  // do_fast_syscall_32 reads arg 6 at (u32)regs->sp whatever made the call: the EBP the vDSO
  // pushed is there only for the vDSO's own SYSENTER, not for one from 64-bit code while the
  // handler of a signal that cut such a call short runs (co-simulation on Intel).
  it('SYSENTER from 64-bit code during a held vDSO call reads arg 6 from memory, not the held EBP', () => {
    const events: Event[] = [
      attach(true), { type: 'user.int3' },
      { type: 'user.syscall', nr: 'rt_sigreturn', frame: { rip: 0x80484ban, rsp: 0xffff_c000n, cs: 0x23, ss: 0x2b, rflags: 0x287n, rbp: 0x6696n } },
      { type: 'tracer.cont' }, { type: 'tracer.cont' },
      getpid, { type: 'tracer.cont' }, { type: 'tracer.setRegs', regs: { ss: 0x1b } }, { type: 'tracer.cont' },
      { type: 'user.setReg', reg: 'rsp', value: 0x60_94cfn }, { type: 'user.sysenter', nr: 'getpid' },
    ];
    const r = model(events);
    expect(r.records[8]?.regs?.[RIP], '[FAIL] expected the #GP handler in 64-bit code').toBe(0x400e00n);
    expect(states(r)[10]).toBe('stopped:syscall-entry');
    expect(r.records[10]?.regs?.[RBP]).toBe(0n); // the data region's word, not the vDSO caller's 0x6696
  });

  it('a step into a signal handler stops at its first instruction (signal_setup_done -> ptrace_notify)', () => {
    const r = model([...stepFromExit, { type: 'user.access', addr: 0x50_0000n, write: false }, nop]);
    expect(states(r).slice(4)).toEqual(['stopped:singlestep', 'stopped:singlestep']);
    expect(r.records[4]?.traps).toEqual([0x400e00n]);
    expect(sigs(r)).toEqual([{ signo: SIG.SIGSEGV, code: SI.SEGV_MAPERR, addr: 0x50_0000n }]);
  });

  it('TF and a released MOV SS watchpoint trap together as a single step (DR_STEP: TRAP_TRACE)', () => {
    const r = model([attach(false), { type: 'user.popf', flags: 0x302n }, { type: 'tracer.watch', addr: 0x60_f800n },
      { type: 'user.movSs', watched: true }, nop, nop]);
    expect(sigs(r)).toEqual([{ signo: SIG.SIGTRAP, code: SI.TRAP_TRACE, addr: 0x400108n }]);
  });

  const movSs: Event[] = [attach(false), { type: 'tracer.watch', addr: 0x60_f800n }, { type: 'user.movSs', watched: true }, getpid, nop];
  it('a watchpoint held by MOV SS into SYSCALL: no signal since v5.10 (exc_debug_kernel)', () => {
    const r = model(movSs);
    expect(sigs(r)).toEqual([]);
    expect(r.records[3]?.regs?.[0]).toBe(1n); // getpid returned
  });
  it('... but a forced SIGTRAP with si_addr NULL up to v5.9 (send_sigtrap on kernel-mode regs)', () => {
    expect(sigs(model(movSs, 'linux-5.8'))).toEqual([{ signo: SIG.SIGTRAP, code: SI.TRAP_HWBKPT, addr: 0n }]);
  });
});
