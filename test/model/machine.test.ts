/**
 * The working machine: copy-on-write over snapshots. A snapshot never changes after it is taken
 * (the tests deep-freeze snapshots, so a write that reached one would throw), and recording a
 * snapshot after every micro-step changes nothing: a run is the same value whether or not
 * anyone asked for its micro-transitions (a write that reached an object the code still read
 * from would show up as a difference between the two).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { traceArbitrary } from '../../src/check/arbitrary.ts';
import { toTraceEvents } from '../../src/check/operands.ts';
import { kernelOf } from '../../src/check/session.ts';
import { DESIGNS, initialState } from '../../src/kernel/index.ts';
import { Machine, replay, type MachineState } from '../../src/model/index.ts';
import { design } from '../kernel/helpers.ts';

const json = (x: unknown): string => JSON.stringify(x, (_k, v) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v instanceof Map ? [...v] : v));

describe('the working machine', () => {
  it('writes in place after the first copy, and a snapshot is O(1) and never changes', () => {
    const m0 = initialState(kernelOf(design('linux-6.7')), 'intel', 4);
    const w = new Machine(m0);
    w.regsW().rax = 1n;
    const regs = w.cpu.regs;
    w.regsW().rbx = 2n;
    expect(w.cpu.regs).toBe(regs);
    const s1 = w.snapshot();
    w.regsW().rax = 3n;
    expect(s1.cpu.regs.rax).toBe(1n);
    expect(w.cpu.regs.rax).toBe(3n);
    expect(w.cpu.regs).not.toBe(regs);
    expect(m0.cpu.regs.rax).toBe(0n);
    expect(Object.isFrozen(s1.cpu.regs)).toBe(true);
  });

  it('gives back the same snapshot when nothing was written since the last one', () => {
    const w = new Machine(initialState(kernelOf(design('linux-6.7')), 'intel', 4));
    const a = w.snapshot();
    expect(w.snapshot()).toBe(a);
    w.taskW(1).tif = 1;
    const b = w.snapshot();
    expect(b).not.toBe(a);
    expect(b.k.tasks[2]).toBe(a.k.tasks[2]);
    expect(b.cpu).toBe(a.cpu);
  });

  it('runs every design to the same run with and without a snapshot per micro-step', () => {
    const traces = fc.sample(traceArbitrary(16), { seed: 20261201, numRuns: 40 });
    for (const d of DESIGNS) {
      const K = kernelOf(d);
      for (const t of traces) {
        const events = toTraceEvents(t, 'test');
        const plain = replay(initialState(K, 'amd', 4), events, K);
        const micro = replay(initialState(K, 'amd', 4), events, K, { micro: true });
        expect(json(plain.observations), `${d.name}: ${JSON.stringify(t)}`).toBe(json(micro.observations));
        expect(json(plain.states), `${d.name}: ${JSON.stringify(t)}`).toBe(json(micro.states));
        const last = micro.micro?.at(-1)?.after as MachineState | undefined;
        if (last) expect(last.clock).toBeLessThanOrEqual(micro.final.clock);
      }
    }
  });
});
