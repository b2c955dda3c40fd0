/**
 * The events added for issue 11 on the copy-on-write machine: every design replays traces mixing
 * them with the older ones to the same run with and without a snapshot per micro-step (a read
 * after an in-place write would show as a difference), and no snapshot changes after it is
 * taken (the tests deep-freeze them: test/setup/freeze.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { kernelOf } from '../../src/check/session.ts';
import { DESIGNS, initialState } from '../../src/kernel/index.ts';
import { replay, type Event } from '../../src/model/index.ts';

const json = (x: unknown): string => JSON.stringify(x, (_k, v) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v instanceof Map ? [...v] : v));

const stack = fc.constantFrom(0x7fff_ffff_e000n, 0x7fff_ffff_e003n, 0xffff_c800n, 0xffff_ffffn, 0n, 1n << 47n);
const event: fc.Arbitrary<Event> = fc.oneof(
  fc.constantFrom<Event>({ type: 'user.pushf' }, { type: 'user.cli' }, { type: 'user.nop' }, { type: 'tracer.detach' },
    { type: 'tracer.attach', options: { syscalls: true } }, { type: 'tracer.cont' }, { type: 'tracer.singleStep' },
    { type: 'user.int', vector: 1, form: 'icebp' }, { type: 'user.int', vector: 4, form: 'into' }, { type: 'user.int', vector: 3, form: 'cc' }),
  fc.record({ type: fc.constant('user.int' as const), vector: fc.constantFrom(1, 3, 4, 0x29, 0x80, 0xff) }),
  fc.record({ type: fc.constant('user.pop' as const), reg: fc.constantFrom('rax' as const, 'rsp' as const, 'r12' as const) }),
  fc.record({ type: fc.constant('user.setReg' as const), reg: fc.constant('rsp' as const), value: stack }),
  fc.record({ type: fc.constant('user.popf' as const), flags: fc.constantFrom(0x202n, 0x302n, 0x40202n, 0xa02n) }),
  fc.record({ type: fc.constant('hw.mce' as const), after: fc.nat(30) }),
  fc.record({ type: fc.constant('hw.nmi' as const), after: fc.nat(30) }),
  fc.record({ type: fc.constant('tracer.break' as const), addr: fc.constantFrom(0x40_0100n, 0x40_0101n, 0x40_0e00n) }),
  fc.constantFrom<Event>(
    { type: 'user.syscall', nr: 'sigaltstack', stack: { sp: 0x60_4000n, size: 0x4000n } },
    { type: 'user.syscall', nr: 'rt_sigaction', args: [10n], act: { handler: 1n } },
    { type: 'user.syscall', nr: 'rt_sigaction', args: [11n], act: { handler: 0x40_0e00n, flags: 0x8800_0004n } },
    { type: 'user.syscall', nr: 'rt_sigaction', args: [5n], act: { handler: 0x40_0e00n, flags: 4n, mask: 0x200n } },
    { type: 'user.syscall', nr: 'kill', args: [0n, 10n] }, { type: 'user.syscall', nr: 'kill', args: [0n, 5n] },
    { type: 'user.syscall', nr: 'kill', args: [0n, 17n] }, { type: 'user.syscall', nr: 'rt_sigreturn' },
    { type: 'user.syscall', nr: 'pause' }, { type: 'user.syscall', nr: 'gettid' },
    { type: 'user.sysenter', nr: 'getpid', ebp: 0xffff_ffffn }, { type: 'user.syscall', nr: 'getpid', raw: true },
    { type: 'user.syscall', nr: 'modify_ldt', args: [1n, 0n, 5n] },
    { type: 'user.syscall', nr: 'rt_sigreturn', frame: { rip: 0x804_8200n, cs: 0x23, ss: 0x7, rsp: 0xffff_c800n } },
    { type: 'user.syscall', nr: 'rt_sigreturn', frame: { rip: 0x400200n, cs: 0x33, ss: 0, uc_flags: 3n } },
    { type: 'user.syscall', nr: 'rt_sigreturn', frame: { rip: 0xf7fc_057en, cs: 0x23, ss: 0x2b, rsp: 0xffff_ffffn } },
    { type: 'sched.signal', task: 1, signal: 10 },
  ),
);

describe('issue 11 events on the copy-on-write machine', () => {
  it('every design: the same run with and without a snapshot per micro-step', () => {
    const traces = fc.sample(fc.array(event, { minLength: 1, maxLength: 14 }), { seed: 1101, numRuns: 25 });
    for (const d of DESIGNS) {
      const K = kernelOf(d);
      for (const vendor of ['intel', 'amd'] as const) {
        for (const t of traces) {
          const plain = replay(initialState(K, vendor, 4), t, K);
          const micro = replay(initialState(K, vendor, 4), t, K, { micro: true });
          expect(json(plain.observations), `${d.name} ${vendor}: ${json(t)}`).toBe(json(micro.observations));
          expect(json(plain.states), `${d.name} ${vendor}: ${json(t)}`).toBe(json(micro.states));
        }
      }
    }
  });
});
