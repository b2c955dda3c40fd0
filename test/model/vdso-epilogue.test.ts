/**
 * Defect 2: the vDSO's landing-pad epilogue ("popl %ebp; popl %edx; popl %ecx; ret",
 * vdso32/system_call.S) reads the user stack; from an unmapped stack its first pop faults there,
 * at the landing pad (syscall_arg_fault.c @ 4b419325: SYSENTER with ESP = -1 expects SIGSEGV,
 * or SIGBUS on Atom, in the vDSO with AX = -EFAULT). The model used to read zeros and fault at
 * RIP 0 with the next event.
 */
import { describe, expect, it } from 'vitest';
import { LANDING_PAD } from '../../src/kernel/index.ts';
import { SI, SIG, type Event } from '../../src/model/index.ts';
import { run, signals } from '../kernel/helpers.ts';

const nop: Event = { type: 'user.nop' };
const all = (v: bigint): bigint[] => [v, v, v, v, v];

describe('the landing pad epilogue (defect 2)', () => {
  // The vocabulary the model had before: rt_sigreturn into 32-bit code at the landing pad with
  // ESP = 0xffffffff. The pop faults there; the SIGSEGV frame cannot be written below that ESP
  // either, so the task dies (force_sigsegv), at the landing pad, not at RIP 0.
  it('a pop from an unmapped stack faults at the landing pad, not at RIP 0 with the next event', () => {
    const r = run('linux-6.7', [
      { type: 'user.syscall', nr: 'rt_sigreturn', frame: { rip: LANDING_PAD, cs: 0x23, ss: 0x2b, rsp: 0xffff_ffffn } }, nop, nop,
    ]);
    expect(signals(r).map((o) => o.rip), '[FAIL] expected the fault at the landing pad').toEqual([LANDING_PAD]);
  });

  // As the selftest: the SIGSEGV handler runs on an alternate stack (SA_ONSTACK), ESP being useless.
  const altstack: Event[] = [
    { type: 'user.syscall', nr: 'sigaltstack', stack: { sp: 0x60_4000n, size: 0x4000n } },
    { type: 'user.syscall', nr: 'rt_sigaction', args: [11n], act: { handler: 0x40_0e00n, flags: 0x0800_0004n } },
  ];
  it('SYSENTER with ESP = 0xffffffff (Intel): -EFAULT by IRET, then the first pop faults at the landing pad', () => {
    const r = run('linux-6.7', [
      ...altstack,
      { type: 'user.setReg', reg: 'rsp', value: 0xffff_ffffn },
      { type: 'user.sysenter', nr: 0xffff_ffffn, args: all(0xffff_ffffn), ebp: 0xffff_ffffn }, nop,
    ]);
    const s = signals(r);
    expect(s, '[FAIL] expected SIGSEGV at the landing pad').toEqual([expect.objectContaining({
      signal: SIG.SIGSEGV, code: SI.SEGV_MAPERR, siAddr: 0xffff_ffffn, rip: LANDING_PAD,
    })]);
    expect(s[0]?.ctx?.rax).toBe(BigInt.asUintN(64, -14n));
  });

  it('pops what user code stored on the stack, 32 bits each, and returns there', () => {
    const at = 0x60_0100n;
    const store = (addr: bigint, v: number): Event[] => [
      { type: 'user.setReg', reg: 'rax', value: BigInt(v) }, { type: 'user.access', addr, write: true },
    ];
    const r = run('linux-6.7', [
      ...store(at, 0x11), ...store(at + 4n, 0x22), ...store(at + 8n, 0x33), ...store(at + 12n, 0x00), ...store(at + 13n, 0x82), ...store(at + 14n, 0x04), ...store(at + 15n, 0x08),
      { type: 'user.syscall', nr: 'rt_sigreturn', frame: { rip: LANDING_PAD, cs: 0x23, ss: 0x2b, rsp: at } }, nop,
    ]);
    const back = r.final.cpu.regs;
    expect([back.rbp, back.rdx, back.rcx, back.rip, back.rsp]).toEqual([0x11n, 0x22n, 0x33n, 0x0804_8200n, at + 16n]);
    expect(signals(r)).toEqual([]);
  });
});
