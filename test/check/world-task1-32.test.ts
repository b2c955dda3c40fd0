/**
 * The third start of run's exploration (src/check/worlds.ts): task 1 a 32-bit process, task 2 a
 * 64-bit one, with the bare 32-bit SYSCALL and SYSENTER in the alphabet and the first level past
 * the depth following an attach by the system calls (gen/enabled.ts newTrace). On AMD the only
 * fast 32-bit entry is SYSCALL (SYSENTER is #UD in compatibility mode, reference x86-semantics.md),
 * and its sixth argument is read at ESP: the -EFAULT return of an unreadable ESP is what 3.x's
 * unpaired exit stop (syscall-stops) and v4.4+'s lost step report (step-report) take.
 */
import { describe, expect, it } from 'vitest';
import { discoverInvariants } from '../../src/check/discover.ts';
import { evaluate } from '../../src/check/evaluate.ts';
import { newTrace, enabledMask } from '../../src/check/gen/enabled.ts';
import { toTraceEvents } from '../../src/check/operands.ts';
import { searchGroup } from '../../src/check/search.ts';
import { kernelOf } from '../../src/check/session.ts';
import type { RawEvent } from '../../src/check/trace-file.ts';
import { startWords, worldOf, WORLDS } from '../../src/check/worlds.ts';
import { findDesign, initialState, type Design } from '../../src/kernel/index.ts';
import { replay } from '../../src/model/index.ts';
import { reference } from '../reference-design.ts';

const all = (await discoverInvariants()).map((d) => d.invariant);
const only = (id: string) => all.filter((i) => i.id === id);
const design = (name: string): Design => findDesign(name) as Design;
const amd = (d: Design) => ({ kernel: kernelOf(d), vendor: 'amd' as const, paging: 4 as const });
const world = WORLDS.find((w) => w.id === 'task1-32');
// Explored from the third start alone (explore-starts.ts takes a cell with a start's overrides as that start).
const from32 = (d: Design) => ({ ...amd(d), initial: world?.initial ?? {} });
const ATTACH: RawEvent = { type: 'tracer.attach', options: { syscalls: true } };

describe('the initial state with task 1 a 32-bit process', () => {
  const K = kernelOf(design('linux-6.7'));
  const m = initialState(K, 'amd', 4, { task1Is32: true, task2Is64: true });

  it('runs task 1 in 32-bit code (CS = __USER32_CS, L = 0) on its own compat stack, with ia32 signal frames', () => {
    expect(m.cpu.cs.sel, '[FAIL] expected CS 0x23').toBe(0x23);
    expect(m.cpu.cs.l).toBe(false);
    expect(m.cpu.regs.rip).toBe(0x8048400n);
    expect(m.k.tasks[1]?.compat).toBe(true);
    expect(Object.values(m.k.tasks[1]?.sig.actions ?? {}).every((a) => a.ia32)).toBe(true);
  });

  // SYSCALL saved RIP in RCX and RFLAGS in R11 (SDM Vol. 2B SYSCALL): a fork child's pt_regs are
  // its parent's, so a SYSRET out of 3.19's ret_from_fork returns what an IRET would.
  it('gives a 64-bit task 2 the pt_regs of a fork by SYSCALL: its first return is the same by SYSRET or IRET', () => {
    const t2 = m.k.tasks[2];
    expect(t2?.regs.rcx).toBe(t2?.regs.rip);
    expect(t2?.regs.r11).toBe(t2?.regs.rflags);
    const yieldTo2: RawEvent[] = [{ type: 'user.syscall', nr: 'sched_yield' }];
    const judges = [...only('pt-regs-coherence'), ...only('sysret-iret-equivalence')];
    for (const inv of judges) {
      expect(evaluate(inv, { ...amd(design('linux-3.19')), initial: { task2Is64: true } }, toTraceEvents(yieldTo2, 'test')).violation, `[FAIL] ${inv.id}`).toBeNull();
    }
  });
});

describe('newTrace: the first call after an attach', () => {
  it('follows a call without a forged frame just after the attach, and nothing else', () => {
    const K = kernelOf(design('linux-6.7'));
    const s0 = initialState(K, 'amd', 4, { task1Is32: true });
    const before = enabledMask(s0);
    const after = enabledMask(replay(s0, toTraceEvents([ATTACH], 'test'), K).final);
    const raw: RawEvent = { type: 'user.syscall', nr: 'getpid', raw: true };
    expect(newTrace(raw, after, before), '[FAIL] expected the call after the attach').toBe(true);
    expect(newTrace(raw, after, after)).toBe(false);
    expect(newTrace({ type: 'user.nop' }, after, before)).toBe(false);
    expect(newTrace({ type: 'user.syscall', nr: 'rt_sigreturn', frame: { rip: '$next' } }, after, before)).toBe(false);
  });
});

describe('the third start finds the AMD -EFAULT return\'s flaws from an empty corpus', () => {
  it('is the start a cell with its overrides is explored as; the model\'s own start does not find them', () => {
    expect(worldOf({ task2Is64: true, task1Is32: true })?.id).toBe('task1-32');
    expect(worldOf({})).toBeUndefined();
    const own = searchGroup([...only('syscall-stops'), ...only('step-report')], { ...amd(design('linux-3.19')), initial: WORLDS[0]!.initial }, 1, 0);
    expect(own.found.size, '[FAIL] expected the first start alone to miss both').toBe(0);
  });

  it('is listed, with its label and words', () => {
    expect(world?.label).toBe(', task 1 32-bit');
    expect(startWords(world?.initial)).toBe(' with task 1 32-bit and task 2 64-bit');
    expect(startWords(undefined)).toBe('');
  });

  it('finds 3.19\'s unpaired exit stop on AMD: an unreadable ESP, an attach, a bare SYSCALL', () => {
    const found = searchGroup(only('syscall-stops'), from32(design('linux-3.19')), 1, 0).found.get('syscall-stops');
    expect(found?.path, '[FAIL] expected the third start').toBe('explore depth 3, task 1 32-bit');
    expect(found?.events.map((e) => e.type)).toEqual(['user.setReg', 'tracer.attach', 'user.syscall']);
    expect(found?.failure.message).toMatch(/^expected task 1's syscall-entry stop for its system call at 0x[0-9a-f]+ before its syscall-exit stop, got none/);
  });

  it('finds 5.8\'s lost step report on AMD through a tracer\'s steps, and neither on the fixed design', () => {
    const found = searchGroup(only('step-report'), from32(design('linux-5.8')), 1, 0).found.get('step-report');
    expect(found?.path).toBe('explore depth 6, task 1 32-bit');
    expect(found?.events.at(-1)).toMatchObject({ type: 'user.syscall', raw: true });
    const fixed = searchGroup([...only('step-report'), ...only('syscall-stops')], from32(reference), 1, 0);
    expect(fixed.found.size, `[FAIL] expected none on ${reference.name}, got ${[...fixed.found.keys()].join(', ')}`).toBe(0);
  });
});
