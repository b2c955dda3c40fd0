/**
 * What the harness does for the events and comparisons issue 10 added, each on a fixed trace
 * that must agree with the model and show the real behaviour it is about: RF seen through an
 * execute breakpoint, a jump that ends at its target before the fetch, WRGSBASE, 32-bit code
 * with a call through the kernel's 32-bit vDSO (SYSRETL), the 32-bit rt_sigreturn, the signal
 * frame's contents, SYSENTER from 64-bit code, and a system call restarted from an exit stop.
 * Runs where the harness can run; the vendor it ran on is in the title.
 */
import { describe, expect, it } from 'vitest';
import { detectPlatform } from '../../src/cosim/detect.ts';
import { cosimTraces, type TraceVerdict } from '../../src/cosim/run.ts';
import { TASK_SIZE_MAX } from '../../src/cosim/gen/values.ts';
import { findDesign } from '../../src/kernel/index.ts';
import type { Event } from '../../src/model/index.ts';

const platform = detectPlatform();
const vendor = platform.ok ? platform.vendor : 'no harness';
const RSP = 7;
const RIP = 16;
const RFLAGS = 17;
const CS = 18;
const nop: Event = { type: 'user.nop' };
const int3: Event = { type: 'user.int3' };

async function run(events: Event[], agree = true): Promise<TraceVerdict> {
  if (!platform.ok) throw new Error('unreachable');
  let out: TraceVerdict | undefined;
  await cosimTraces(platform, findDesign('linux-6.7')!, [events], (v) => { out = v; });
  if (!out) throw new Error('no verdict');
  expect(out.real.status).toBe('ok');
  if (agree) expect(out.comparison.differences).toEqual([]);
  return out;
}

describe(`co-simulation harness: issue 10 events and comparisons (${vendor})`, () => {
  it.skipIf(!platform.ok)('sees RF that IRET restored, through an execute breakpoint at the return RIP', async () => {
    const v = await run([int3, { type: 'user.syscall', nr: 'rt_sigreturn', frame: { rip: 0x400400n, rcx: 0x400400n, rflags: 0x10246n, r11: 0x10246n } }, nop]);
    const r = v.real.records[1];
    expect(r?.rfProbe).toBe(true);
    expect((r?.regs?.[RFLAGS] ?? 0n) & 0x10000n).toBe(0x10000n);
  });

  it.skipIf(!platform.ok)('ends a jump at its target, before the fetch faults', async () => {
    const v = await run([{ type: 'user.jump', target: TASK_SIZE_MAX }, nop]);
    expect(v.real.records[0]?.regs?.[RIP]).toBe(TASK_SIZE_MAX);
    expect(v.real.records[0]?.signals).toEqual([]);
    expect(v.real.records[1]?.signals[0]).toMatchObject({ signo: 11, code: 1, addr: TASK_SIZE_MAX });
  });

  it.skipIf(!platform.ok)('WRGSBASE sets the GS base from the event and leaves RAX', async () => {
    const v = await run([{ type: 'user.setReg', reg: 'rax', value: 5n }, { type: 'user.wrgsbase', value: 0x60_0000n }, nop]);
    expect(v.real.records[1]?.extra?.gs_base).toBe(0x60_0000n);
    expect(v.real.records[1]?.regs?.[0]).toBe(5n);
  });

  it.skipIf(!platform.ok || !platform.int80 || platform.vdso === null)('runs 32-bit code and a call through the 32-bit vDSO, which returns by SYSRETL', async () => {
    const enter = { rip: 0x804_8100n, rsp: 0xffff_c000n, cs: 0x23, ss: 0x2b, rflags: 0x202n, rcx: 0x10n, rdx: 0x20n, rbp: 0x30n };
    const v = await run([int3, { type: 'user.syscall', nr: 'rt_sigreturn', frame: enter }, { type: 'user.syscall', nr: 'getpid' }, nop,
      { type: 'user.int80', nr: 'getpid' }, nop]);
    const landing = v.real.records[2];
    expect(landing?.regs?.[CS]).toBe(0x23n);
    expect(landing?.regs?.[RIP]).toBe(platform.ok ? platform.vdso?.landing : 0n);
    expect(v.model.records[2]?.exits).toEqual(['sysretl']);
    expect(v.real.records[3]?.regs?.[RIP]).toBe(0x804_8102n);
  });

  it.skipIf(!platform.ok || !platform.int80)('the 32-bit rt_sigreturn by int $0x80 loads a 32-bit frame', async () => {
    const frame = { rip: 0x804_8200n, rsp: 0xffff_b000n, cs: 0x23, ss: 0x2b, rflags: 0x246n, rax: 7n, rbx: 8n, rcx: 9n, rdx: 10n, rsi: 11n, rdi: 12n, rbp: 13n };
    const v = await run([{ type: 'user.setReg', reg: 'rsp', value: 0xffff_c000n }, { type: 'user.int80', nr: 'rt_sigreturn', frame }, nop]);
    expect(v.real.records[1]?.regs?.[RIP]).toBe(0x804_8200n);
    expect(v.real.records[1]?.regs?.[CS]).toBe(0x23n);
  });

  it.skipIf(!platform.ok)('reads the whole signal frame: trap number, error code, CR2 and the saved registers', async () => {
    const v = await run([{ type: 'user.access', addr: 0x50_0000n, write: true }, nop]);
    const ctx = v.real.records[0]?.signals[0]?.ctx;
    expect(ctx).toMatchObject({ trapno: 14n, cr2: 0x50_0000n, rip: 0x40_0100n });
    expect((ctx?.err ?? 0n) & 6n).toBe(6n); // a write (bit 1) from user mode (bit 2)
    expect(v.model.records[0]?.signals[0]?.ctx?.rip).toBe(0x40_0100n);
  });

  // On Intel: EBP (arg 6) from the stack at ESP 0 fails, -EFAULT, returned by IRET to the
  // landing pad (gap sysenter64-ebp, fixed; defect 1): the model must agree on both vendors.
  it.skipIf(!platform.ok)(`SYSENTER from 64-bit code: ${vendor === 'amd' ? '#UD (SIGILL) on AMD' : 'back in 32-bit code at the landing pad on Intel, -EFAULT'}`, async () => {
    const v = await run([{ type: 'user.setReg', reg: 'rsp', value: vendor === 'amd' ? 0x7fff_ffff_e000n : 0n }, { type: 'user.sysenter', nr: 'getpid' }]);
    const r = v.real.records[1];
    if (vendor === 'amd') expect(r?.signals[0]).toMatchObject({ signo: 4, rip: 0x40_010an });
    else expect([r?.regs?.[CS], r?.regs?.[0]]).toEqual([0x23n, BigInt.asUintN(64, -14n)]);
  });

  it.skipIf(!platform.ok)('restarts a system call whose exit stop a tracer left with -ERESTARTNOINTR and a signal pending', async () => {
    const v = await run([{ type: 'tracer.attach', options: { syscalls: true } }, { type: 'user.syscall', nr: 'kill', args: [1n, 10n] },
      { type: 'tracer.cont' }, { type: 'tracer.setRegs', regs: { rax: BigInt.asUintN(64, -513n) } }, { type: 'tracer.cont' }, nop]);
    expect(v.real.records[4]?.signals[0]).toMatchObject({ signo: 10, rip: 0x40_0100n });
  });

  // Seed 8 (AMD 6.18): the return's RIP cannot be fetched, so the harness holds the child in its
  // stop (pt_regs: the whole 64-bit RSP); the model's boundary is after the IRETQ, which leaves
  // only ESP in 32-bit code. The fault that follows shows ESP alone on both sides.
  it.skipIf(!platform.ok)('holds the child before a return to 32-bit code at an unmapped RIP; RSP compared by its low half there', async () => {
    const v = await run([int3, { type: 'user.syscall', nr: 'rt_sigreturn', frame: { rip: 0x1000n, rsp: 0x7fff_ffff_5418n, cs: 0x23, ss: 0x2b, rflags: 0x246n } }, nop]);
    expect(v.real.records[1]).toMatchObject({ held: true });
    expect(v.real.records[1]?.regs?.[RSP]).toBe(0x7fff_ffff_5418n);
    expect(v.model.records[1]?.regs?.[RSP]).toBe(0xffff_5418n);
    expect(v.real.records[2]?.signals[0]?.ctx?.rsp).toBe(0xffff_5418n);
  });

  // The tracer's execute breakpoint (DR3): a #DB before the instruction, SIGTRAP TRAP_HWBKPT with
  // the breakpoint's address, RF set in the handler's frame (SDM Vol. 3 17.3.1.1); met at the
  // int3 that ends an event, it is taken with the next event, as the model takes it.
  it.skipIf(!platform.ok)('a tracer breakpoint on the next instruction gives SIGTRAP (TRAP_HWBKPT) before it, with RF in the frame', async () => {
    const v = await run([{ type: 'tracer.attach' }, { type: 'tracer.break', addr: 0x40_0102n }, nop, nop, nop]);
    expect(v.real.records[3]?.signals).toEqual([]);
    expect(v.real.records[4]?.signals[0]).toMatchObject({ signo: 5, code: 4, addr: 0x40_0102n, rip: 0x40_0102n });
    expect((v.real.records[4]?.signals[0]?.ctx?.rflags ?? 0n) & 0x10000n).toBe(0x10000n);
  });

  it.skipIf(!platform.ok)('a sigreturn to a breakpoint passes it with RF set in the frame and meets it with RF clear', async () => {
    const to = (rflags: bigint): Event[] => [{ type: 'tracer.attach' }, int3, { type: 'tracer.break', addr: 0x40_0400n },
      { type: 'user.syscall', nr: 'rt_sigreturn', frame: { rip: 0x40_0400n, rcx: 0x40_0400n, rflags, r11: rflags } }, nop];
    const set = await run(to(0x10246n));
    expect(set.real.records[4]?.signals).toEqual([]);
    expect(set.real.records[4]?.regs?.[RIP]).toBe(0x40_0401n);
    const clear = await run(to(0x246n));
    expect(clear.real.records[4]?.signals[0]).toMatchObject({ signo: 5, code: 4, addr: 0x40_0400n });
  });

  // The model's first access to a demand page faults and returns by IRET with RF set (not
  // retired); the harness fills the page by ptrace instead, and sets RF as that IRET would.
  it.skipIf(!platform.ok)('after a demand-page access, the next instruction runs with RF set, past a breakpoint on it', async () => {
    const v = await run([{ type: 'tracer.attach' }, { type: 'user.access', addr: 0x70_0010n, write: false }, { type: 'tracer.break', addr: 0x40_0100n }, nop]);
    expect(v.real.records[3]?.signals).toEqual([]);
    expect(v.real.records[3]?.regs?.[RIP]).toBe(0x40_0101n);
  });
});
