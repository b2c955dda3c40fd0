/**
 * Hot spots: the boundaries of an event where an interrupt meets a state different from the one
 * before (IF, CPL, GS base, stack, nesting). Where a kernel enables IRQs, there is one; a design
 * that enables them a step earlier gets its hot spot a step earlier, with no knob read.
 */
import { describe, expect, it } from 'vitest';
import { hotSpots, interruptSpots } from '../../src/check/gen/hot-spots.ts';
import { toTraceEvents } from '../../src/check/operands.ts';
import { kernelOf } from '../../src/check/session.ts';
import { findDesign, initialState, variant, type Design } from '../../src/kernel/index.ts';
import { cpl, rf } from '../../src/isa/index.ts';
import { replay, step, type DecisionLog } from '../../src/model/index.ts';

const base = findDesign('linux-6.7') as Design;
const early = variant(base, 'early-sti', { syscallIrqEnable: 'asm-after-scratch' });

/** The SYSCALL's kernel path (run by the event after it): its hot spots and the offset where IF turns on in kernel mode. */
function spotsOf(d: Design): { spots: readonly number[]; ifOn: number; span: number } {
  const K = kernelOf(d);
  const [sys, nop] = toTraceEvents([{ type: 'user.syscall', nr: 'getpid' }, { type: 'user.nop' }], 'test');
  const start = replay(initialState(K, 'intel', 4), [sys!], K).states[1]!;
  const r = step(start, nop!, K, { micro: true, forks: false });
  const on = r.micro.find((m) => cpl(m.after.cpu) === 0 && (rf.flagBits(m.after.cpu.rflags) & rf.IF_BIT) !== 0);
  return { spots: hotSpots(start, nop!, K), ifOn: on ? on.after.clock - start.clock : -1, span: r.state.clock - start.clock };
}

describe('hotSpots', () => {
  it('starts at the first boundary, rises, and is a small part of the path', () => {
    const { spots, span } = spotsOf(base);
    expect(spots[0]).toBe(0);
    expect(spots.every((x, i) => i === 0 || x > (spots[i - 1] as number)), '[FAIL] expected increasing offsets').toBe(true);
    expect(spots.length).toBeLessThan(span / 2);
  });

  it('has a spot where the kernel turns IRQs on, and it moves with the STI', () => {
    const b = spotsOf(base);
    const e = spotsOf(early);
    expect(b.spots, '[FAIL] expected a hot spot at the STI of do_syscall_64').toContain(b.ifOn);
    expect(e.spots, '[FAIL] expected a hot spot at the early STI').toContain(e.ifOn);
    expect(e.ifOn).toBeLessThan(b.ifOn);
  });
});

describe('hotSpots after a decision', () => {
  // The exit-work flags read with IRQs on (B21's design): an IRQ right after the flags test sets
  // NEED_RESCHED too late. The test is a decision, and the boundary after it is a hot spot.
  it('puts an IRQ where it makes exit-work fail', async () => {
    const { discoverInvariants } = await import('../../src/check/discover.ts');
    const { judge } = await import('../../src/check/evaluate.ts');
    const exitWork = (await discoverInvariants()).map((d) => d.invariant).filter((i) => i.id === 'exit-work');
    const K = kernelOf(variant(base, 'b21', { exitWork: 'check-irqs-on' }));
    const [pause, sleep] = toTraceEvents([{ type: 'user.sysenter', nr: 'pause' }, { type: 'user.int80', nr: 'nanosleep' }], 'test');
    const start = replay(initialState(K, 'intel', 4), [pause!], K).states[1]!;
    const spots = hotSpots(start, sleep!, K);
    const fails = spots.filter((after) => judge(exitWork, { kernel: K, vendor: 'intel', paging: 4 },
      toTraceEvents([{ type: 'user.sysenter', nr: 'pause' }, { type: 'hw.irq', after }, { type: 'user.int80', nr: 'nanosleep' }], 'test')).violations.size > 0);
    expect(fails.length, `[FAIL] expected a hot spot in the window, got spots ${spots.join(',')}`).toBeGreaterThan(0);
    // And the boundary right after the flags test itself (found here with a probe of our own).
    const log: DecisionLog = new Map();
    let n = 0;
    let at = -1;
    const r = step(start, sleep!, K, { micro: true, forks: false, decisions: log, probes: [{ before: false, check: () => {
      n++;
      if (at < 0 && log.has('exit work: flags test')) at = n - 1;
      return true;
    } }] });
    const after = (r.micro[at]?.after.clock ?? NaN) - start.clock;
    expect(spots, `[FAIL] expected the boundary after the flags test (${after})`).toContain(after);
  });
});

describe('interruptSpots: boundaries in an interrupt shadow', () => {
  // linux-3.19's compat SYSENTER return is `swapgs; sti; sysexit`: the boundary before SYSEXIT is
  // in the STI shadow (SDM Vol. 3 6.8.3). An IRQ and an NMI both pending there: the NMI goes
  // first, its IRET ends the shadow, and the IRQ enters in kernel mode with the user GS.
  const prefix = [{ type: 'hw.irq', after: 0 }, { type: 'user.syscall', nr: 'getpid' }] as const;
  async function atShadows(name: string): Promise<{ shadowed: readonly number[]; failing: number[] }> {
    const { discoverInvariants } = await import('../../src/check/discover.ts');
    const { judge } = await import('../../src/check/evaluate.ts');
    const gs = (await discoverInvariants()).map((d) => d.invariant).filter((i) => i.id === 'kernel-gs-and-stack');
    const K = kernelOf(findDesign(name) as Design);
    const evs = toTraceEvents([...prefix, { type: 'user.nop' }], 'test');
    const start = replay(initialState(K, 'intel', 4), evs.slice(0, 2), K).states[2]!;
    const { shadowed } = interruptSpots(start, evs[2]!, K);
    const failing = shadowed.filter((after) => judge(gs, { kernel: K, vendor: 'intel', paging: 4 },
      toTraceEvents([...prefix, { type: 'hw.irq', after }, { type: 'hw.nmi', after }, { type: 'user.nop' }], 'test')).violations.size > 0);
    return { shadowed, failing };
  }

  it('lists the boundary before SYSEXIT, and the pair there breaks sti; sysexit', async () => {
    const old = await atShadows('linux-3.19');
    // The entry's STI is followed by a kernel step that changes none of CPL, IF, GS, stack and
    // nesting: left out.
    expect(old.shadowed.length, `[FAIL] expected only the exit's STI, got ${old.shadowed.join(',')}`).toBe(1);
    expect(old.failing, `[FAIL] expected IRQ + NMI there to break kernel GS, got ${old.shadowed.join(',')}`).toEqual(old.shadowed);
  });

  it('lists no boundary on linux-4.16, whose SYSENTER returns by SYSRETL', async () => {
    const fixed = await atShadows('linux-4.16');
    expect(fixed.shadowed, '[FAIL] expected no shadowed boundary where the reception changes').toEqual([]);
  });
});
