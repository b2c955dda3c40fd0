/**
 * What an interrupt's reception depends on (model/reception.ts), and the shadowed boundaries the
 * engine records with it. An IRQ is delivered by IF and the CPL (SDM Vol. 3 6.8.1); at CPL 0
 * without IST its frame goes where RSP points (6.12.1), so which stack RSP is on matters, not
 * where on it; the entry then reads the GS base and the nesting.
 */
import { describe, expect, it } from 'vitest';
import { kernelOf } from '../../src/check/session.ts';
import { toTraceEvents } from '../../src/check/operands.ts';
import { ENTRY_STACK_TOP, findDesign, initialState, istTop, kernelStackOf, stackTop, type Design } from '../../src/kernel/index.ts';
import { receptionKey, replay, type MachineState } from '../../src/model/index.ts';
import { produce } from 'immer';

const K = kernelOf(findDesign('linux-6.7') as Design);
const S = initialState(K, 'intel', 4);
const inKernel = (m: MachineState, rsp: bigint): MachineState => produce(m, (d) => {
  d.cpu.regs.rsp = rsp;
  d.cpu.cs = { ...d.cpu.cs, sel: 0x10 };
  d.cpu.gsBase = K.percpuBase;
});

describe('kernelStackOf: one number per kernel stack', () => {
  it('names every address of a thread stack alike, from its top down to its 16 KiB', () => {
    for (const k of [0, 1, 2]) {
      const top = stackTop(k);
      expect([top, top - 8n, top - 0x1000n, top - 0x3fffn].map(kernelStackOf), `[FAIL] expected thread stack ${k} to be ${k + 1}`).toEqual([k + 1, k + 1, k + 1, k + 1]);
    }
    expect(kernelStackOf(stackTop(1)), '[FAIL] expected two tasks\' stacks to differ').not.toBe(kernelStackOf(stackTop(2)));
  });

  it('tells the IST areas and the entry stack apart, and gives 0 outside every kernel stack', () => {
    expect(kernelStackOf(istTop(2)), '[FAIL] expected the NMI stack (IST 2) to be 66').toBe(66);
    expect(kernelStackOf(istTop(2) - 0x28n), '[FAIL] expected an address below the NMI stack top on it').toBe(66);
    expect(kernelStackOf(istTop(3)), '[FAIL] expected IST 3 to differ from IST 2').toBe(67);
    expect(kernelStackOf(ENTRY_STACK_TOP), '[FAIL] expected the entry stack').toBe(128);
    expect(kernelStackOf(0x7fff_ffff_e000n), '[FAIL] expected a user stack address to be 0').toBe(0);
  });
});

describe('receptionKey', () => {
  const base = inKernel(S, stackTop(1) - 0x100n);
  it('is the same after a push on the same stack, even across a page', () => {
    expect(receptionKey(inKernel(S, stackTop(1) - 0x1008n), K), '[FAIL] expected the same key one page lower').toBe(receptionKey(base, K));
  });
  it('changes with the stack, IF, the CPL and the GS base', () => {
    const k0 = receptionKey(base, K);
    expect(receptionKey(inKernel(S, istTop(2) - 0x28n), K), '[FAIL] expected another stack to change it').not.toBe(k0);
    expect(receptionKey(produce(base, (d) => { d.cpu.rflags ^= 0x200n; }), K), '[FAIL] expected IF to change it').not.toBe(k0);
    expect(receptionKey(produce(base, (d) => { d.cpu.cs = { ...d.cpu.cs, sel: 0x33 }; }), K), '[FAIL] expected CPL 3 to change it').not.toBe(k0);
    expect(receptionKey(produce(base, (d) => { d.cpu.gsBase = 0n; }), K), '[FAIL] expected the user GS base to change it').not.toBe(k0);
  });
});

describe('the shadowed boundaries the engine records', () => {
  // The SYSENTER entry enables IRQs just before it reads arg 6 from the user stack. From 64-bit
  // code (task 1) that read faults, so the instruction the STI shadow covers nests a #PF: an IRQ
  // held there lands in the #PF entry, and only with an NMI first before the read. From the
  // 32-bit task (an IRQ switches to it, then its SYSENTER) the read succeeds: nothing changes.
  const shadowedOf = (name: string, raw: readonly object[]): string[] => {
    const Kd = kernelOf(findDesign(name) as Design);
    const r = replay(initialState(Kd, 'intel', 4), toTraceEvents(raw as never, 'test'), Kd, { shadows: true, micro: true });
    return (r.shadowed ?? []).map(([, clock]) => Kd.describe(r.micro?.find((m) => m.before.clock === clock)?.rip ?? 0n));
  };
  const from64 = [{ type: 'user.sysenter', nr: 'getpid' }];
  const from32 = [{ type: 'hw.irq', after: 0 }, { type: 'user.syscall', nr: 'getpid' }, { type: 'user.sysenter', nr: 'getpid' }];
  it('records the boundary before a faulting read, through an interrupt gate (IF changes) or a trap gate (only the nesting does)', () => {
    for (const name of ['linux-6.7', 'pf-trap-gate']) {
      const got = shadowedOf(name, from64);
      expect(got.length, `[FAIL] expected one boundary on ${name}, got ${got.join('; ')}`).toBe(1);
      expect(got[0], `[FAIL] expected it before the get_user on ${name}`).toMatch(/^entry_SYSENTER_compat\+\d+ \(__get_user/);
    }
  });
  it('records nothing when the read succeeds', () => {
    expect(shadowedOf('pf-trap-gate', from32), '[FAIL] expected no boundary from the 32-bit task').toEqual([]);
  });
});
