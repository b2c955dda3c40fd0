/**
 * Bounded-exhaustive exploration: its state counts against an independent brute-force
 * enumeration of every trace (each replayed from scratch, no pruning), breadth-first order giving
 * a shortest counterexample, shards splitting the first event, and the state fingerprint agreeing
 * with sameFuture.
 */
import { describe, expect, it } from 'vitest';
import { discoverInvariants } from '../../src/check/discover.ts';
import { judge } from '../../src/check/evaluate.ts';
import { defaultAlphabet, runAlphabet } from '../../src/check/explore/alphabet.ts';
import { explore, traceFingerprint } from '../../src/check/explore/explore.ts';
import { stateFingerprint } from '../../src/check/explore/fingerprint.ts';
import { toTraceEvents } from '../../src/check/operands.ts';
import { sameFuture } from '../../src/check/same-future.ts';
import { kernelOf } from '../../src/check/session.ts';
import type { RawEvent } from '../../src/check/trace-file.ts';
import { findDesign, initialState, variant, type Design } from '../../src/kernel/index.ts';
import { replay } from '../../src/model/index.ts';

const invariants = (await discoverInvariants()).map((d) => d.invariant).filter((i) => i.sanity !== true);
const design = (name: string): Design => findDesign(name) as Design;
const cellOf = (d: Design) => ({ kernel: kernelOf(d), vendor: 'intel' as const, paging: 4 as const });

/**
 * A small alphabet: user code, a system call, a task switch, a fork, an interrupt and an NMI, and
 * a tracer event that is never enabled here (a trace ending with it repeats its prefix's state).
 */
const SMALL: RawEvent[] = [
  { type: 'user.nop' }, { type: 'user.syscall', nr: 'getpid' }, { type: 'user.syscall', nr: 'sched_yield' },
  { type: 'user.int80', nr: 'fork' }, { type: 'hw.irq', after: 0 }, { type: 'hw.nmi', after: 1 }, { type: 'tracer.cont' },
];

/** Every trace of length 1..k over `alphabet`, judged from scratch; the distinct fingerprints (the empty trace's included). */
function bruteForce(d: Design, alphabet: readonly RawEvent[], k: number): { states: number; violated: number } {
  const cell = cellOf(d);
  const seen = new Set([traceFingerprint(judge(invariants, cell, []), 0)]);
  let violated = 0;
  let level: RawEvent[][] = [[]];
  for (let depth = 1; depth <= k; depth++) {
    const next: RawEvent[][] = [];
    for (const prefix of level) {
      for (const a of alphabet) {
        const raw = [...prefix, a];
        const j = judge(invariants, cell, toTraceEvents(raw, 'test'));
        if (j.violations.size > 0) violated++;
        seen.add(traceFingerprint(j, raw.length));
        next.push(raw);
      }
    }
    level = next;
  }
  return { states: seen.size, violated };
}

describe('explore', () => {
  for (const k of [1, 2, 3]) {
    it(`finds as many distinct states as a brute-force enumeration of all traces of ${SMALL.length} events up to length ${k} (linux-6.7)`, () => {
      const r = explore({ invariants, cell: cellOf(design('linux-6.7')), alphabet: SMALL, depth: k });
      const b = bruteForce(design('linux-6.7'), SMALL, k);
      expect(r.found).toBeNull();
      expect(b.violated).toBe(0);
      expect(r.states).toBe(b.states);
      expect(r.depthDone).toBe(k);
      // Pruning judged fewer traces than the enumeration (7 + 49 + 343 at depth 3).
      if (k === 3) expect(r.traces).toBeLessThan(7 + 49 + 343);
    });
  }

  it('reports a shortest counterexample: opportunistic SYSRET restores TF from a forged frame (1 event)', () => {
    const r = explore({ invariants, cell: cellOf(design('opportunistic-sysret-2015')), alphabet: defaultAlphabet(), depth: 3 });
    expect(r.found?.invariant).toBe('sysret-iret-equivalence');
    expect(r.found?.raw).toHaveLength(1);
    expect(r.found?.raw[0]).toMatchObject({ type: 'user.syscall', nr: 'rt_sigreturn', frame: { rflags: '0x302', r11: '0x302' } });
  });

  it('finds CVE-2006-0744 (a SYSCALL ending at the top of the user half) at depth 2 without the guard page, and nothing with it', () => {
    const base = design('linux-3.19');
    const fixed = variant(base, '3.19-bp-off-ist', { ist: { ...base.knobs.ist, bp: false } });
    const buggy = variant(fixed, '3.19-no-guard-page', { guardPage: false });
    const kh = invariants.filter((i) => i.id === 'kernel-health');
    const r = explore({ invariants: kh, cell: cellOf(buggy), alphabet: defaultAlphabet(), depth: 2 });
    expect(r.found?.raw).toEqual([{ type: 'user.jump', target: '$user_half_end-2' }, { type: 'user.syscall', nr: 'getpid' }]);
    expect(explore({ invariants: kh, cell: cellOf(fixed), alphabet: defaultAlphabet(), depth: 2 }).found).toBeNull();
  });

  it('splits the traces between shards by their first event', () => {
    const cell = cellOf(design('linux-6.7'));
    const whole = explore({ invariants, cell, alphabet: SMALL, depth: 1 });
    const parts = [0, 1, 2].map((index) => explore({ invariants, cell, alphabet: SMALL, depth: 1, shard: { index, count: 3 } }));
    expect(parts.map((p) => p.traces)).toEqual([3, 2, 2]);
    expect(parts.reduce((s, p) => s + p.states - 1, 1)).toBe(whole.states);
  });

  it('stops at --max-states and says how deep it got', () => {
    const r = explore({ invariants, cell: cellOf(design('linux-6.7')), alphabet: SMALL, depth: 3, maxStates: 20 });
    expect(r.states).toBe(20);
    expect(r.depthDone).toBeLessThan(3);
  });
});

describe('the state fingerprint', () => {
  // sameFuture is the equivalence the fingerprint hashes: equal states, equal fingerprints;
  // different futures, different fingerprints (on a sample of states of one run).
  it('agrees with sameFuture on the states of a run', () => {
    const K = kernelOf(design('linux-6.7'));
    const r = replay(initialState(K, 'intel', 4), toTraceEvents([
      { type: 'user.syscall', nr: 'getpid' }, { type: 'user.nop' }, { type: 'hw.irq', after: 3 }, { type: 'user.syscall', nr: 'sched_yield' },
      { type: 'user.nop' }, { type: 'user.syscall', nr: 'getpid' }, { type: 'user.nop' },
    ], 'test'), K);
    const states = r.states;
    for (let a = 0; a < states.length; a++) {
      for (let b = 0; b < states.length; b++) {
        const sa = states[a]!;
        const sb = states[b]!;
        expect(stateFingerprint(sa) === stateFingerprint(sb), `states ${a} and ${b}`).toBe(sameFuture(sa, sb));
      }
    }
  });
});

describe('one level more where new actions are enabled (extendNewlyEnabled)', () => {
  it('reaches attach, a stopped system call, detach (then SYSRET) at depth 2 + 1; plain depth 2 does not', async () => {
    const claim = (await discoverInvariants()).map((d) => d.invariant).filter((i) => i.id === 'sanity-ptrace-then-sysret');
    const at = (extendNewlyEnabled: boolean) => explore({ invariants: claim, cell: cellOf(design('linux-6.7')), alphabet: defaultAlphabet(), depth: 2, extendNewlyEnabled });
    expect(at(false).found, '[FAIL] expected nothing within two events').toBeNull();
    const x = at(true);
    expect(x.found?.raw.map((e) => e.type), '[FAIL] expected attach, a system call, detach').toEqual(['tracer.attach', expect.stringMatching(/^user\./), 'tracer.detach']);
    // Only traces whose last event stopped the tracee (or attached it), opened a window,
    // switched a task out inside the kernel or preempted one inside a kernel path (then the
    // other task's entries and register writes: about 200 of them) were extended.
    expect(x.traces - at(false).traces).toBeLessThan(700);
  });
});

describe('a third extension level follows only the switched-out window', () => {
  // CVE-2014-4699: a tracer rewrites RIP at a fork-event stop and resumes the parent while the
  // child runs; the parent's SYSRET comes only when the child gives up the CPU (a fifth event).
  it('finds CVE-2014-4699 at depth 2 + 3, not at 2 + 2, for a few more traces', async () => {
    const health = (await discoverInvariants()).map((d) => d.invariant).filter((i) => i.id === 'kernel-health');
    const b = design('linux-3.19');
    const buggy = variant(b, 'no-force-iret', { ist: { ...b.knobs.ist, bp: false }, forceIretAfterPtraceStop: false });
    const at = (extraLevels: number) => explore({ invariants: health, cell: cellOf(buggy), alphabet: runAlphabet(), depth: 2, extendNewlyEnabled: true, extraLevels });
    const two = at(2);
    const three = at(3);
    expect(two.found, '[FAIL] expected nothing with two levels').toBeNull();
    // Five events: attach, the system call that stops, the non-canonical RIP written at the stop,
    // then two that take the tracee on to its exit (a resume and a yield back to it, or, since
    // a new stop kind is followed too, two single steps).
    const types = three.found?.raw.map((e) => e.type);
    expect(types?.slice(0, 3), '[FAIL] expected attach, a system call, the RIP written at its stop').toEqual(['tracer.attach', 'user.syscall', 'tracer.setRegs']);
    expect(types).toHaveLength(5);
    expect(three.traces - two.traces).toBeLessThan(two.traces / 10);
  });
});
