/**
 * The user instructions issue 11 added, run by the harness as they are encoded (CD ib, CC, CE,
 * FA, 9C, REX 58+r; native/encode.c) and compared with the model on fixed traces: each must agree
 * and show on the real CPU the ISA rule the model follows (src/isa int-forms.ts, privileged.ts,
 * stack.ts). Runs where the harness can run; the vendor is in the title.
 */
import { describe, expect, it } from 'vitest';
import { detectPlatform } from '../../src/cosim/detect.ts';
import { traceLine } from '../../src/cosim/line.ts';
import { cosimTraces, type TraceVerdict } from '../../src/cosim/run.ts';
import { findDesign } from '../../src/kernel/index.ts';
import type { Event } from '../../src/model/index.ts';

const platform = detectPlatform();
const vendor = platform.ok ? platform.vendor : 'no harness';
const nop: Event = { type: 'user.nop' };
const sigret: Event = { type: 'user.syscall', nr: 'rt_sigreturn' };

async function run(events: Event[]): Promise<TraceVerdict> {
  if (!platform.ok) throw new Error('unreachable');
  let out: TraceVerdict | undefined;
  await cosimTraces(platform, findDesign('linux-6.7')!, [events], (v) => { out = v; });
  if (!out) throw new Error('no verdict');
  expect(out.real.status).toBe('ok');
  expect(out.comparison.differences).toEqual([]);
  return out;
}

describe('the line format of the new user instructions', () => {
  it('writes INT n with its form, CLI, PUSHF and POP with the register index', () => {
    expect(traceLine(0, [{ type: 'user.int', vector: 0x29 }, { type: 'user.int', vector: 3, form: 'cc' }, { type: 'user.int', vector: 4, form: 'into' },
      { type: 'user.cli' }, { type: 'user.pushf' }, { type: 'user.pop', reg: 'r9' }])).toBe('0 T 29 0;T 3 1;T 4 3;C;P;O 9\n');
  });
});

describe(`co-simulation harness: INT n, CLI, PUSHF/POP (${vendor})`, () => {
  it.skipIf(!platform.ok)('INT $0x29 through a DPL-0 gate: #GP(0x14a) at the INT, SIGSEGV', async () => {
    const v = await run([{ type: 'user.int', vector: 0x29 }, sigret, nop]);
    expect(v.real.records[0]?.signals[0]).toMatchObject({ signo: 11, rip: 0x40_0100n, ctx: { err: 0x14an, trapno: 13n } });
  });

  it.skipIf(!platform.ok)('INT 3 as CD 03 traps after its two bytes, SI_KERNEL', async () => {
    const v = await run([{ type: 'user.int', vector: 3 }, sigret, nop]);
    expect(v.real.records[0]?.signals[0]).toMatchObject({ signo: 5, code: 0x80, rip: 0x40_0102n });
  });

  it.skipIf(!platform.ok)('INTO is #UD in 64-bit mode; CLI at CPL 3 with IOPL 0 is #GP(0)', async () => {
    const v = await run([{ type: 'user.int', vector: 4, form: 'into' }, sigret, { type: 'user.cli' }, sigret, nop]);
    expect(v.real.records[0]?.signals[0]).toMatchObject({ signo: 4, rip: 0x40_0100n });
    expect(v.real.records[2]?.signals[0]).toMatchObject({ signo: 11, ctx: { err: 0n, trapno: 13n } });
  });

  it.skipIf(!platform.ok)('PUSHF stores the flags without RF; POP loads them back', async () => {
    const v = await run([{ type: 'user.popf', flags: 0x2d7n }, { type: 'user.pushf' }, { type: 'user.pop', reg: 'r12' }, nop]);
    expect(v.real.records[2]?.regs?.[12]).toBe(0x2d7n);
  });
});
