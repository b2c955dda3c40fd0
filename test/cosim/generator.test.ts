/**
 * The co-simulation generator (src/cosim/gen/), on the model alone for both vendors: the same
 * seed gives the same traces; state-aware generation leaves almost nothing skipped; the exits it
 * aims at (SYSRET, SYSRETL) and the events the issue asked for (SYSENTER, jumps, WRGSBASE,
 * 32-bit code with int $0x80 and vDSO calls, int $0x80 rt_sigreturn, -ERESTART* at exit stops,
 * frames at the canonical and TASK_SIZE_MAX edges) are there; pending model gaps are generated
 * only when asked for.
 */
import { describe, expect, it } from 'vitest';
import { generateOne, type GenSetup } from '../../src/cosim/gen/pool.ts';
import { TASK_SIZE_MAX } from '../../src/cosim/gen/values.ts';
import type { Event } from '../../src/model/index.ts';

const N = 600;
const setup = (vendor: 'intel' | 'amd', includePending = false): GenSetup =>
  ({ seed: 5, vendor, paging: 4, int80: true, vdso: true, umip: true, includePending });

for (const vendor of ['intel', 'amd'] as const) {
  describe(`cosim generation (${vendor} model)`, () => {
    const traces = Array.from({ length: N }, (_, i) => generateOne(setup(vendor), i));
    const events = traces.flatMap((t) => t.events);
    const records = traces.flatMap((t) => t.model.records);
    const share = (pred: (t: (typeof traces)[number]) => boolean): number => traces.filter(pred).length / N;
    const exitShare = (x: string): number => share((t) => t.model.records.some((r) => r.exits?.includes(x)));

    it('gives the same traces for the same seed', () => {
      expect(generateOne(setup(vendor), 17).events).toEqual(traces[17]?.events);
      expect(generateOne({ ...setup(vendor), seed: 6 }, 17).events).not.toEqual(traces[17]?.events);
    });

    it('skips fewer than 5% of the events (the model says which are enabled)', () => {
      expect(records.filter((r) => r.skipped).length / records.length).toBeLessThan(0.05);
    });

    it('returns by SYSRET and by SYSRETL each in at least 10% of the traces', () => {
      expect(exitShare('sysret')).toBeGreaterThanOrEqual(0.1);
      expect(exitShare('sysretl')).toBeGreaterThanOrEqual(0.1);
    });

    it('generates jumps, WRGSBASE, SYSENTER, 32-bit code, int $0x80 rt_sigreturn and -ERESTART* at exit stops', () => {
      const has = (p: (e: Event) => boolean): boolean => events.some(p);
      expect(has((e) => e.type === 'user.jump')).toBe(true);
      expect(has((e) => e.type === 'user.wrgsbase')).toBe(true);
      expect(has((e) => e.type === 'user.sysenter')).toBe(true);
      expect(has((e) => e.type === 'user.int80' && e.nr === 'rt_sigreturn')).toBe(true);
      expect(share((t) => t.model.records.some((r) => r.regs?.[18] === 0x23n))).toBeGreaterThan(0.2);
      const restart = (e: Event): boolean => e.type === 'tracer.setRegs' && e.regs.rax !== undefined && BigInt.asIntN(64, e.regs.rax) <= -512n;
      expect(has(restart)).toBe(true);
    });

    it('aims frames at the RIP edges, with RCX == RIP and R11 == RFLAGS otherwise intact', () => {
      const frames = events.flatMap((e) => (e.type === 'user.syscall' && e.frame ? [e.frame] : e.type === 'tracer.setRegs' ? [e.regs] : []));
      const at = (rip: bigint): boolean => frames.some((f) => f.rip === rip && f.rcx === rip && f.r11 === f.rflags && f.cs === 0x33);
      for (const rip of [TASK_SIZE_MAX - 1n, TASK_SIZE_MAX, 1n << 47n]) expect(at(rip), `0x${rip.toString(16)}`).toBe(true);
    });

    it('generates a pending model gap only when asked (-ERESTART_RESTARTBLOCK at an exit stop)', () => {
      const block = BigInt.asUintN(64, -516n);
      const writes = (ts: readonly { events: Event[] }[]): boolean =>
        ts.some((t) => t.events.some((e) => e.type === 'tracer.setRegs' && e.regs.rax === block));
      expect(writes(traces)).toBe(false);
      expect(writes(Array.from({ length: N }, (_, i) => generateOne(setup(vendor, true), i)))).toBe(true);
    });
  });
}
