/**
 * The second start of run's exploration (src/check/worlds.ts): task 2 a 64-bit process, so two
 * tasks take the 64-bit SYSCALL path and its per-CPU state can pass between them. The case is
 * B22's flaw written on a 6.7 base (IRQs enabled before the user RSP leaves the per-CPU scratch
 * slot, reference linux-entry-history.md B22): from the model's own start the other task must
 * first be brought into 64-bit code, past the exploration's reach.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { initialOf, parseCounterexample, saveCounterexample, traceHash, type Counterexample } from '../../src/check/counterexample.ts';
import { discoverInvariants } from '../../src/check/discover.ts';
import { evaluate } from '../../src/check/evaluate.ts';
import { searchGroup } from '../../src/check/search.ts';
import { kernelOf } from '../../src/check/session.ts';
import { WORLDS } from '../../src/check/worlds.ts';
import { findDesign, variant, type Design } from '../../src/kernel/index.ts';
import { counterexampleText } from '../../src/report/counterexample-text.ts';

const linux67 = findDesign('linux-6.7') as Design;
const early = variant(linux67, 'irq-before-scratch', { syscallIrqEnable: 'asm-before-scratch' }, 'test: B22 on a 6.7 base');
const ptRegs = (await discoverInvariants()).map((d) => d.invariant).filter((i) => i.id === 'pt-regs-coherence');
const cellOf = (d: Design) => ({ kernel: kernelOf(d), vendor: 'intel' as const, paging: 4 as const });

describe('the second start of the exploration (task 2 a 64-bit process)', () => {
  const found = searchGroup(ptRegs, cellOf(early), 1, 0).found.get('pt-regs-coherence');

  it('finds the preempted SYSCALL entry that saves the other task\'s RSP, from task 2 64-bit, in 3 events', () => {
    expect(found?.path).toBe('explore depth 3, task 2 64-bit');
    expect(found?.initial).toEqual({ task2Is64: true });
    expect(found?.failure.message).toMatch(/^expected task 1 to return from its system call on RSP 0x7fffffffe000, got 0x7fffffff6000/);
    // Replayed from the model's own start the same trace shows nothing: the start is part of it.
    expect(evaluate(ptRegs[0]!, cellOf(early), found!.events).violation).toBeNull();
  });

  it('is the start that finds it: explored from the first start alone, the same budget misses it', () => {
    const own = searchGroup(ptRegs, { ...cellOf(early), initial: WORLDS[0]!.initial }, 1, 0);
    expect(own.found.has('pt-regs-coherence')).toBe(false);
  });

  it('finds nothing on linux-6.7, which moves the RSP off the scratch slot before IRQs go on', () => {
    expect(searchGroup(ptRegs, cellOf(linux67), 1, 0).found.size).toBe(0);
  });

  it('is kept in the counterexample file: hashed, replayed, and named in the .txt header', () => {
    const ce: Counterexample = {
      invariant: 'pt-regs-coherence', design: early, vendor: 'intel', paging: 4, seed: 1, path: found!.path,
      initial: found!.initial!, events: found!.events, failure: found!.failure,
    };
    expect(traceHash(ce)).not.toBe(traceHash({ ...ce, initial: {} }));
    // No overrides: no field, and the hash of a file without them is what it always was.
    const { initial: _, ...bare } = ce;
    expect(traceHash({ ...ce, initial: {} })).toBe(traceHash(bare));
    const dir = mkdtempSync(join(tmpdir(), 'ec-'));
    const file = saveCounterexample(dir, ce, () => '');
    const parsed = parseCounterexample(readFileSync(file, 'utf8'), file);
    expect(parsed.initial).toEqual({ task2Is64: true });
    expect(initialOf(parsed, file)).toMatchObject({ task2Is64: true });
    expect(evaluate(ptRegs[0]!, { ...cellOf(early), initial: initialOf(parsed, file)! }, found!.events).violation?.message).toBe(found!.failure.message);
    const txt = counterexampleText(file, ce);
    expect(txt).toContain('design irq-before-scratch, intel, 4-level paging; task 2 a 64-bit process');
    expect(txt).toContain('!! pt-regs-coherence');
  });
});
