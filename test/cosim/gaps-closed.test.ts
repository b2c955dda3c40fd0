/**
 * The model gaps co-simulation found and docs/cosim.md listed as pending (src/cosim/pending.ts
 * FIXED): each test pins the behaviour of Linux and the CPU the fix follows, on the model alone,
 * in the records co-simulation compares. Each failed before its fix.
 */
import { describe, expect, it } from 'vitest';
import { ModelCursor, runModel } from '../../src/cosim/model-run.ts';
import { FIXED, PENDING } from '../../src/cosim/pending.ts';
import type { SideRun } from '../../src/cosim/types.ts';
import { findDesign, LANDING_PAD } from '../../src/kernel/index.ts';
import { SI, SIG, type Event } from '../../src/model/index.ts';

const model = (events: Event[], vendor: 'intel' | 'amd' = 'amd'): SideRun => runModel(findDesign('linux-6.7')!, vendor, 4, events);
const R = { rax: 0, rbx: 1, rcx: 2, rdx: 3, rbp: 6, rsp: 7, r8: 8, r12: 12, r15: 15, rip: 16, cs: 18, ss: 19 } as const;
const attach = (syscalls: boolean): Event => ({ type: 'tracer.attach', options: { syscalls } });
const nop: Event = { type: 'user.nop' };
const int3: Event = { type: 'user.int3' };
const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);
/** Into 32-bit code at 0x8048200 on the compat stack (a handler's rt_sigreturn with CS = __USER32_CS). */
const to32 = (extra: Record<string, bigint | number> = {}): Event[] => [int3, {
  type: 'user.syscall', nr: 'rt_sigreturn', frame: { rip: 0x804_8200n, rsp: 0xffff_c800n, cs: 0x23, ss: 0x2b, ...extra },
}];

describe('model gaps found by co-simulation, now closed', () => {
  it('all twelve are closed: nothing pending', () => {
    expect(PENDING).toEqual([]);
    expect(FIXED.map((g) => g.id)).toHaveLength(12);
  });

  it('orig-rax-at-delivery: a tracer stepping into a handler still sees the interrupted call\'s orig_rax', () => {
    const r = model([attach(true), { type: 'user.syscall', nr: 'kill', args: [1n, 10n] }, { type: 'tracer.cont' }, { type: 'tracer.singleStep' }]);
    expect(r.records[3]?.state).toBe('stopped');
    expect(r.records[3]?.extra?.orig_rax).toBe(62n);
  });

  it('fatal-signal-restart: a fatal signal interrupting a restartable call reports the RIP as it was', () => {
    const r = model([attach(true), { type: 'user.syscall', nr: 'kill', args: [1n, 15n] }, { type: 'tracer.cont' },
      { type: 'tracer.setRegs', regs: { rax: u64(-512n) } }, { type: 'tracer.cont' }]);
    expect(r.records[4]?.signals).toEqual([expect.objectContaining({ signo: 15, fatal: true, rip: 0x400102n })]);
  });

  it('strict-restore-ss: uc_flags says where the signal came from; without STRICT a 64-bit return gets __USER_DS', () => {
    const r = model([...to32(), int3, { type: 'user.syscall', nr: 'rt_sigreturn', frame: { rip: 0x400300n, cs: 0x33, ss: 0 } }, nop]);
    expect(r.records[0]?.signals[0]?.ctx?.uc_flags).toBe(7n); // FP_XSTATE | SIGCONTEXT_SS | STRICT (from 64-bit code)
    expect(r.records[2]?.signals[0]?.ctx?.uc_flags).toBe(3n); // from 32-bit code: no STRICT
    expect(r.records[3]?.signals).toEqual([]);
    expect(r.records[4]?.regs?.[R.ss]).toBe(0x2bn); // force_valid_ss
  });

  it('compat-rsp-upper-half: IRET into 32-bit code leaves only ESP', () => {
    const r = model([int3, { type: 'user.syscall', nr: 'rt_sigreturn', frame: { rip: 0x804_8200n, rsp: 0x7fff_ffff_c800n, cs: 0x23, ss: 0x2b } }]);
    expect(r.records[1]?.regs?.[R.rsp]).toBe(0xffff_c800n);
  });

  it('vdso-pops-32-bit: the landing pad pops 32-bit ECX, EDX, EBP', () => {
    const r = model([...to32({ rcx: 0x1234_5678_9abc_def0n, rdx: 0xdead_beef_0000_0001n, rbp: 0xffff_0000_0000_0002n }),
      { type: 'user.syscall', nr: 'getpid' }, nop]);
    const back = r.records[3]?.regs ?? [];
    expect([back[R.rcx], back[R.rdx], back[R.rbp]]).toEqual([0x9abc_def0n, 1n, 2n]);
  });

  it('sysretl-r12-r15: after SYSRETL R12-R15 are 0 (cleared at entry, not reloaded)', () => {
    const r = model([{ type: 'user.setReg', reg: 'r12', value: 0x12n }, { type: 'user.setReg', reg: 'r15', value: 0x15n }, ...to32(),
      { type: 'user.syscall', nr: 'getpid' }]);
    const at = r.records[4]?.regs ?? [];
    expect(at[R.rip]).toBe(LANDING_PAD);
    expect([at[R.r12], at[R.r15], at[R.r8]]).toEqual([0n, 0n, 0n]);
  });

  it('ia32-sigreturn-r8-r15: the 32-bit rt_sigreturn leaves R8-R15 as pt_regs has them', () => {
    const r = model([attach(true), { type: 'user.int80', nr: 'rt_sigreturn', frame: { rip: 0x400200n, cs: 0x33, rsp: 0x7fff_ffff_e000n } },
      { type: 'tracer.setRegs', regs: { r12: 0x5555n, r8: 0x8888n } }, { type: 'tracer.cont' }, { type: 'tracer.cont' }]);
    expect(r.records[3]?.stop).toBe('syscall-exit');
    expect([r.records[3]?.regs?.[R.r12], r.records[3]?.regs?.[R.r8]]).toEqual([0x5555n, 0x8888n]);
  });

  it('restartblock-eintr: -ERESTART_RESTARTBLOCK becomes -EINTR with a handler', () => {
    const r = model([attach(true), { type: 'user.syscall', nr: 'kill', args: [1n, 10n] }, { type: 'tracer.cont' },
      { type: 'tracer.setRegs', regs: { rax: u64(-516n) } }, { type: 'tracer.cont' }]);
    expect(r.records[4]?.signals[0]?.ctx?.rax).toBe(u64(-4n));
  });

  it('jump-non-canonical: the JMP itself raises #GP', () => {
    const r = model([{ type: 'user.jump', target: 1n << 47n }]);
    expect(r.records[0]?.signals).toEqual([expect.objectContaining({ signo: SIG.SIGSEGV, code: SI.KERNEL, rip: 0x400100n })]);
  });

  it('kill-signal-int: kill takes its signal as an int: 0x10a is -EINVAL, not SIGUSR1', () => {
    const r = model([{ type: 'user.syscall', nr: 'kill', args: [1n, 0x10an] }, nop]);
    expect(r.records[0]?.signals).toEqual([]);
    expect(r.records[0]?.regs?.[R.rax]).toBe(u64(-22n));
  });

  it('sysenter64-ebp: SYSENTER from 64-bit code with ESP 0 (Intel): -EFAULT, IRET to the landing pad', () => {
    const r = model([{ type: 'user.setReg', reg: 'rsp', value: 0n }, { type: 'user.sysenter', nr: 'getpid' }], 'intel');
    const at = r.records[1]?.regs ?? [];
    // IRET (defect 1): RCX and R11 are the user's (0), not SYSRETL's landing pad and flags.
    expect([at[R.rip], at[R.cs], at[R.rax], at[R.rcx], at[11]]).toEqual([LANDING_PAD, 0x23n, u64(-14n), 0n, 0n]);
  });

  // The state itself holds the wrapped value (co-simulation used to wrap what it read).
  it('restart-rip-wrap: a restart at RIP 0 goes to 2^64 - 2 in the saved frame itself', () => {
    const c = new ModelCursor(findDesign('linux-6.7')!, 'amd', 4);
    for (const e of [attach(true), { type: 'user.syscall', nr: 'kill', args: [1n, 10n] }, { type: 'tracer.cont' },
      { type: 'tracer.setRegs', regs: { rax: u64(-513n), rip: 0n } }, { type: 'tracer.cont' }] as Event[]) c.apply(e);
    const frames = Object.values(c.state.k.tasks[1]?.sigframes ?? {});
    expect(frames.map((f) => f.rip)).toEqual([u64(-2n)]);
  });
});
