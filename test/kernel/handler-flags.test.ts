/**
 * handle_signal's flags: a signal handler starts with DF, RF and TF cleared (arch/x86/kernel/
 * signal.c), while the frame keeps the interrupted flags for rt_sigreturn. 2.6.24's
 * setup_rt_frame cleared TF alone (design knob handlerFlagsClear = tf): CVE-2008-1367.
 */
import { describe, expect, it } from 'vitest';
import { rf } from '../../src/isa/index.ts';
import { judge } from '../../src/check/evaluate.ts';
import { toTraceEvents } from '../../src/check/operands.ts';
import { kernelOf } from '../../src/check/session.ts';
import { SIG_HANDLER, variant } from '../../src/kernel/index.ts';
import handlerFlags from '../../properties/exit/handler-flags.ts';
import { design, ev, returns, run, signals } from './helpers.ts';

const tfOnly = variant(design('linux-6.7'), 'linux-6.7-handler-df', { handlerFlagsClear: 'tf' });
const int3 = { type: 'user.int3' } as const;
// A read of page 0, which is never mapped: #PF, whose frame has RF set (SDM Vol. 3 17.3.1.1).
const fault = ev.access(0x10n);

/** The RFLAGS the task returns to its handler with, and the ones its signal frame saved. */
function entry(d: Parameters<typeof run>[0], events: Parameters<typeof run>[1]): { handler: bigint; saved: bigint } {
  const r = run(d, events);
  const back = returns(r).find((o) => o.rip === SIG_HANDLER);
  const sig = signals(r)[0];
  if (back === undefined || sig?.ctx?.rflags === undefined) throw new Error('no signal delivered to the handler');
  return { handler: back.rflags, saved: sig.ctx.rflags };
}

describe('signal handler entry flags', () => {
  for (const vendor of ['intel', 'amd'] as const) {
    it(`[RUN] linux-6.7 ${vendor}: int3 with DF set enters the handler with DF clear; the frame keeps DF`, () => {
      const e = entry(design('linux-6.7'), [ev.popf(0x602n), int3]);
      expect(e.handler & rf.DF, `[FAIL] expected DF clear at the handler, got flags 0x${e.handler.toString(16)}`).toBe(0n);
      expect(e.saved & rf.DF).toBe(rf.DF);
    });
  }

  it('[RUN] linux-6.7: a #PF (RF set in its frame) enters the SIGSEGV handler with RF clear', () => {
    const e = entry(design('linux-6.7'), [fault]);
    expect(e.saved & rf.RF).toBe(rf.RF);
    expect(e.handler & rf.RF).toBe(0n);
  });

  it('[RUN] TF cleared alone (2.6.24): the handler starts with the interrupted DF, and RF after a fault', () => {
    expect(entry(tfOnly, [ev.popf(0x602n), int3]).handler & rf.DF).toBe(rf.DF);
    expect(entry(tfOnly, [fault]).handler & rf.RF).toBe(rf.RF);
  });

  it('[RUN] handler-flags judges only the return that enters the handler (RSP at its frame)', () => {
    // A soak's find (seed 13): on irqs-on-syscall-entry amd-5 task 2's IRQ overwrites task 1's
    // frame on the shared IST stack after a SIGSEGV delivery, and task 1 returns elsewhere with
    // the fault's RF (pt-regs-coherence's expected violation there), not into its handler.
    const trace = toTraceEvents([{ type: 'user.access', addr: '0xf7fbf000', write: false }, { type: 'hw.irq', after: 17 },
      { type: 'user.int80', nr: 'rt_sigreturn' }, { type: 'hw.irq', after: 0 }], 'soak');
    const j = judge([handlerFlags], { kernel: kernelOf(design('irqs-on-syscall-entry')), vendor: 'amd', paging: 5 }, trace);
    const obs = j.run.observations.map((t) => t.o);
    const sig = obs.find((o) => o.kind === 'signal' && o.task === 1);
    const back = obs.find((o) => o.kind === 'return-to-user' && o.task === 1);
    const frame = sig?.kind === 'signal' ? sig.frame : undefined;
    expect(frame).toBeDefined();
    expect(back?.kind === 'return-to-user' && back.rsp !== frame && (back.rflags & rf.RF) !== 0n, '[FAIL] expected a return elsewhere with RF set').toBe(true);
    expect(j.violations.get('handler-flags')).toBeUndefined();
  });
});
