/**
 * What the search alone (no saved counterexample) now reaches, each case failing without the
 * generator change it tests (docs/search.md, "Re-finding the expected violations").
 */
import { describe, expect, it } from 'vitest';
import { discoverInvariants } from '../../src/check/discover.ts';
import { defaultAlphabet, runAlphabet } from '../../src/check/explore/alphabet.ts';
import { explore } from '../../src/check/explore/explore.ts';
import { enabledMask, newlyEnabled } from '../../src/check/gen/enabled.ts';
import { toTraceEvents } from '../../src/check/operands.ts';
import { kernelOf } from '../../src/check/session.ts';
import type { RawEvent } from '../../src/check/trace-file.ts';
import { findDesign, initialState, type Design } from '../../src/kernel/index.ts';
import { replay } from '../../src/model/index.ts';

const design = (name: string): Design => findDesign(name) as Design;
const invs = async (id: string) => (await discoverInvariants()).map((d) => d.invariant).filter((i) => i.id === id);

describe('run\'s alphabet', () => {
  it('has an entry from user mode by a fault in one event: an IRQ in a trap-gate #PF entry is reached at depth 2', async () => {
    const health = await invs('kernel-health');
    const at = (alphabet: ReturnType<typeof runAlphabet>) =>
      explore({ invariants: health, cell: { kernel: kernelOf(design('pf-trap-gate')), vendor: 'amd', paging: 4 }, alphabet, depth: 2, extendNewlyEnabled: true, extraLevels: 2 }).found;
    expect(at(runAlphabet())?.raw.map((e) => e.type), '[FAIL] expected a faulting access, then an IRQ').toEqual(['user.access', 'hw.irq']);
    expect(at(defaultAlphabet())).toBeNull();
  });
});

describe('a task switched out inside the kernel', () => {
  it('newly enables a call that gives up the CPU, which switches back into its path', () => {
    const K = kernelOf(design('linux-6.7'));
    const maskAfter = (raw: RawEvent[]) => enabledMask(replay(initialState(K, 'intel', 4), toTraceEvents(raw, 'test'), K).final);
    const yieldCall: RawEvent = { type: 'user.syscall', nr: 'sched_yield' };
    expect(newlyEnabled(yieldCall, maskAfter([yieldCall]), maskAfter([])), '[FAIL] expected sched_yield to switch back').toBe(true);
    expect(newlyEnabled({ type: 'user.syscall', nr: 'getpid' }, maskAfter([yieldCall]), maskAfter([]))).toBe(false);
  });

  it('so the run\'s exploration finds ts-fastsyscall\'s rseq rewrite that the fast SYSRET ignores, on every vendor', async () => {
    const regs = await invs('pt-regs-coherence');
    const x = explore({ invariants: regs, cell: { kernel: kernelOf(design('ts-fastsyscall')), vendor: 'amd', paging: 5 }, alphabet: runAlphabet(), depth: 2, extendNewlyEnabled: true, extraLevels: 2 });
    expect(x.found?.raw, '[FAIL] expected a jump into the critical section and two yields').toEqual([{ type: 'user.jump', target: '$rseq_cs' }, { type: 'user.syscall', nr: 'sched_yield' }, { type: 'user.syscall', nr: 'sched_yield' }]);
  });
});
