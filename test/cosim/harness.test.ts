/**
 * The native harness and the comparison on fixed traces (each one a behaviour co-simulation
 * checks: SYSRET returns, signals and hostile rt_sigreturn frames, TF traps, demand paging,
 * faults, MOV SS watchpoints, ptrace stops, register writes and single steps, int $0x80, death).
 * They run only where the harness can (x86-64 Linux, a C compiler, ptrace permission); the
 * detection itself always runs. A few seconds in all.
 */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findDesign } from '../../src/kernel/index.ts';
import type { Event } from '../../src/model/index.ts';
import { detectPlatform } from '../../src/cosim/detect.ts';
import { runOnHarness } from '../../src/cosim/harness.ts';
import { cosimTraces, type TraceVerdict } from '../../src/cosim/run.ts';

const platform = detectPlatform();
const canRun = platform.ok;
const linux67 = findDesign('linux-6.7');

const nop: Event = { type: 'user.nop' };
const attach = (syscalls: boolean): Event => ({ type: 'tracer.attach', options: { syscalls } });
const FIXED: Record<string, Event[]> = {
  'getpid returns by SYSRET': [{ type: 'user.syscall', nr: 'getpid' }, nop],
  'kill(self) reaches the handler; a forged frame with RCX == RIP returns there': [
    { type: 'user.syscall', nr: 'kill', args: [1n, 10n] }, nop,
    { type: 'user.syscall', nr: 'rt_sigreturn', frame: { rip: 0x400200n, rcx: 0x400200n, r11: 0x246n, rflags: 0x246n } }, nop],
  'rt_sigreturn to a non-canonical RIP: SIGSEGV at it': [{ type: 'user.int3' }, { type: 'user.syscall', nr: 'rt_sigreturn', frame: { rip: 1n << 47n } }, nop],
  'POPF with TF traps after the next instruction': [{ type: 'user.popf', flags: 0x302n }, nop, nop],
  'demand page, unmapped page, kernel half, non-canonical': [
    { type: 'user.access', addr: 0x70_0000n, write: true }, nop, { type: 'user.access', addr: 0x50_0000n, write: false },
    { type: 'user.access', addr: 0xffff_ffff_8100_0000n, write: false }, { type: 'user.access', addr: 1n << 63n, write: true }, nop],
  'MOV SS watchpoint held into SYSCALL, then into NOP': [attach(false), { type: 'tracer.watch', addr: 0x60_f800n },
    { type: 'user.movSs', watched: true }, { type: 'user.syscall', nr: 'getpid' }, { type: 'user.movSs', watched: true }, nop, nop],
  'PTRACE_SYSCALL stops, SETREGS with a refused SS, single steps': [attach(true), { type: 'user.syscall', nr: 'getpid' },
    { type: 'tracer.setRegs', regs: { rflags: 0x4202n, ss: 0x18 } }, { type: 'tracer.singleStep' }, { type: 'tracer.singleStep' }, nop,
    { type: 'tracer.cont' }, nop],
  'a fatal signal': [{ type: 'user.syscall', nr: 'kill', args: [0n, 15n] }, nop],
};

async function runFixed(traces: Event[][]): Promise<TraceVerdict[]> {
  if (!platform.ok || linux67 === undefined) throw new Error('unreachable');
  const out: TraceVerdict[] = [];
  await cosimTraces(platform, linux67, traces, (v) => out.push(v));
  return out;
}

describe('co-simulation harness', () => {
  it('detects whether it can run here, and says why not when it cannot', () => {
    if (platform.ok) expect(['intel', 'amd']).toContain(platform.vendor);
    else expect(platform.reason).toMatch(/\S/);
  });

  it.skipIf(!canRun)('runs fixed traces on the machine and agrees with the model on each', async () => {
    const names = Object.keys(FIXED);
    const verdicts = await runFixed(names.map((n) => FIXED[n] ?? []));
    for (const v of verdicts) {
      expect.soft(v.comparison.differences, names[v.index]).toEqual([]);
      expect(v.real.status).toBe('ok');
    }
    expect(verdicts).toHaveLength(names.length);
  });

  it.skipIf(!canRun || !platform.ok || !platform.int80)('runs int $0x80 from 64-bit code', async () => {
    const [v] = await runFixed([[attach(true), { type: 'user.int80', nr: 'getpid' }, { type: 'tracer.cont' }, { type: 'tracer.cont' }, nop]]);
    expect(v?.comparison.differences).toEqual([]);
    expect(v?.real.records.map((r) => r.stop ?? r.state)).toEqual(['boundary', 'syscall-entry', 'syscall-exit', 'boundary', 'boundary']);
  });

  it.skipIf(!canRun)('sees the real pid where the model has 1, and a handler where the machine puts it', async () => {
    const [v] = await runFixed([[{ type: 'user.syscall', nr: 'getpid' }, { type: 'user.int3' }, nop]]);
    expect(v?.comparison.agree).toBe(true);
    expect(v?.real.records[0]?.regs?.[0]).toBe(BigInt(v?.real.pid ?? 0));
    expect(v?.model.records[0]?.regs?.[0]).toBe(1n);
    // The model takes the host's XSAVE size (the probe's int3s, detect.ts) and Linux's frame
    // layout with it: the handler's RSP is the machine's, whatever the host's XSAVE area holds.
    const RSP = 7;
    expect(platform.ok && platform.xstate).toBeGreaterThan(0n);
    expect(v?.model.records[1]?.regs?.[RSP]).toBe(v?.real.records[1]?.regs?.[RSP]);
  });
});

describe('the harness process', () => {
  const script = (body: string): string => {
    const dir = mkdtempSync(join(tmpdir(), 'ec-cosim-'));
    const file = join(dir, 'fake-harness');
    writeFileSync(file, `#!/bin/sh\n${body}\n`);
    chmodSync(file, 0o755);
    return file;
  };
  const items = [{ id: 0, line: '0 N\n' }, { id: 1, line: '1 N\n' }];

  it.skipIf(process.platform === 'win32')('reports a harness that stops answering as a hang, and carries on', async () => {
    const got: string[] = [];
    await runOnHarness(script('exec sleep 30'), items, { timeoutS: 0.1, graceS: 0.2 }, (id, r) => got.push(`${id}:${r.status}`));
    expect(got).toEqual(['0:hang', '1:hang']);
  });

  it.skipIf(process.platform === 'win32')('reports a harness that dies as a crash, and carries on', async () => {
    const got: string[] = [];
    await runOnHarness(script('exit 3'), items, { timeoutS: 1 }, (id, r) => got.push(`${id}:${r.status}:${r.detail}`));
    expect(got).toEqual(['0:crash:the harness died (exit status 3)', '1:crash:the harness died (exit status 3)']);
  });
});
