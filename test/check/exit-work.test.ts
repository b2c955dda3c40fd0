/**
 * exit-work (no user code with work pending), and a trace exploration reported on a cell
 * expected to hold.
 *
 * A data breakpoint hit by a second MOV SS in a row. Found by exploration (depth 3,
 * four extension levels) on linux-3.19: the model held that #DB although the second MOV SS opens
 * no shadow, so an NMI was taken first and the #DB landed at the NMI handler's first instruction;
 * its SIGTRAP then went out with the NMI's IRET to user mode, SIGPENDING set. Now (SDM 6.8.3) the
 * #DB is taken from user mode, whose exit handles the signal. B20 is still caught.
 */
import { describe, expect, it } from 'vitest';
import { discoverInvariants } from '../../src/check/discover.ts';
import { judge } from '../../src/check/evaluate.ts';
import { toTraceEvents } from '../../src/check/operands.ts';
import { kernelOf } from '../../src/check/session.ts';
import type { RawEvent } from '../../src/check/trace-file.ts';
import { findDesign, variant, type Design } from '../../src/kernel/index.ts';

const inv = (await discoverInvariants()).map((d) => d.invariant).filter((i) => i.id === 'exit-work');
const judgeOn = (d: Design, trace: RawEvent[]) => judge(inv, { kernel: kernelOf(d), vendor: 'intel', paging: 4 }, toTraceEvents(trace, 'test'));

describe('exit-work with back-to-back MOV SS', () => {
  it('holds on linux-3.19: the second MOV SS\'s #DB comes from user mode and its SIGTRAP is delivered', () => {
    const j = judgeOn(findDesign('linux-3.19') as Design, [
      { type: 'user.movSs', watched: true }, { type: 'hw.nmi', after: 0 }, { type: 'tracer.attach', options: { syscalls: true } },
      { type: 'tracer.watch', addr: '$user_data' }, { type: 'user.movSs', watched: true },
    ]);
    const obs = j.run.observations.map((o) => o.o);
    expect(obs.some((o) => o.kind === 'signal' && o.signal === 5), '[FAIL] expected SIGTRAP delivered').toBe(true);
    expect(j.violations.get('exit-work'), '[FAIL] expected no violation').toBeUndefined();
  });

  it('is still violated by B20 (only NEED_RESCHED re-checked after the work)', () => {
    const b20 = variant(findDesign('linux-6.7') as Design, 'linux-6.7-recheck-resched-only', { exitWork: 'recheck-need-resched-only' });
    const j = judgeOn(b20, [{ type: 'hw.irq', after: 0 }, { type: 'user.syscall', nr: 'sched_yield' }]);
    expect(j.violations.get('exit-work')?.message ?? '', '[FAIL] expected pending work in user mode').toMatch(/pending work/);
  });
});
