/**
 * POPFQ at CPL 3 and the single-step rule for TF set by POPF. Source:
 * reference/x86-semantics.md sections 1.2 (SDM POPF Operation, 64-bit mode) and 5.3 ("the
 * processor will not generate this exception after the instruction that sets the TF flag").
 */
import { describe, expect, it } from 'vitest';
import { boundaryEvent, EMPTY_MEMORY, popf, rf } from '../../src/isa/index.ts';
import { nop, userCpu } from './helpers.ts';

const START = rf.FIXED | rf.IF;

describe('POPF at CPL 3 with IOPL 0', () => {
  // Ref 1.2: CPL > IOPL: IF, IOPL, RF, VM unchanged; no fault for the ignored bits.
  it('cannot change IF, IOPL, RF or VM', () => {
    const r = popf(userCpu('intel', 4, { rflags: START }), EMPTY_MEMORY, rf.FIXED | rf.IOPL | rf.RF | rf.VM);
    expect(r.fault).toBeNull();
    expect(r.cpu.rflags).toBe(START);
    const r2 = popf(userCpu('intel', 4, { rflags: rf.FIXED }), EMPTY_MEMORY, rf.FIXED | rf.IF);
    expect(r2.cpu.rflags & rf.IF).toBe(0n);
  });

  // Ref 1.2: VIP/VIF are cleared by POPF at CPL > 0, whatever the value and the old state.
  it('clears VIF and VIP', () => {
    const r = popf(userCpu('intel', 4, { rflags: START | rf.VIF | rf.VIP }), EMPTY_MEMORY, START | rf.VIF | rf.VIP);
    expect(r.cpu.rflags & (rf.VIF | rf.VIP)).toBe(0n);
  });

  // Ref 1.2: TF, AC, NT, DF, ID and the status flags are loaded at any CPL.
  it('can set TF, AC, NT, DF, ID and the arithmetic flags (and clear them again)', () => {
    const loadable = rf.TF | rf.AC | rf.NT | rf.DF | rf.ID | rf.STATUS;
    const set = popf(userCpu('intel', 4, { rflags: START }), EMPTY_MEMORY, START | loadable);
    expect(set.cpu.rflags).toBe(START | loadable);
    const cleared = popf(set.cpu, EMPTY_MEMORY, START);
    expect(cleared.cpu.rflags).toBe(START);
  });

  // Ref 5.3: RF is cleared at the start of every instruction, and POPF does not load it.
  it('leaves RF clear even when RF was set before the POPF', () => {
    const r = popf(userCpu('intel', 4, { rflags: START | rf.RF }), EMPTY_MEMORY, START | rf.RF);
    expect(r.cpu.rflags & rf.RF).toBe(0n);
  });
});

describe('POPF at CPL 3 with IOPL 3', () => {
  // Ref 1.2: CPL <= IOPL: IF may change; IOPL, RF, VM still may not.
  it('can change IF but not IOPL', () => {
    const cpu = userCpu('intel', 4, { rflags: START | rf.IOPL });
    const off = popf(cpu, EMPTY_MEMORY, rf.FIXED);
    expect(off.cpu.rflags).toBe(rf.FIXED | rf.IOPL);
    const on = popf(off.cpu, EMPTY_MEMORY, rf.FIXED | rf.IF);
    expect(on.cpu.rflags).toBe(rf.FIXED | rf.IF | rf.IOPL);
  });
});

describe('TF set by POPF', () => {
  // Ref 5.3: no single-step trap after the POPF that sets TF; the first #DB comes after the
  // FOLLOWING instruction (modelled by retire(), here a one-byte NOP).
  it('traps only after the following instruction', () => {
    const r = popf(userCpu('intel', 4, { rflags: START }), EMPTY_MEMORY, START | rf.TF);
    expect(r.cpu.rflags & rf.TF).toBe(rf.TF);
    expect(boundaryEvent(r.cpu, false, false)).toBeNull();
    const next = nop(r.cpu);
    expect(boundaryEvent(next, false, false)).toBe('db');
    expect(next.pendingDb).toEqual({ cause: 'single-step', held: false });
  });

  // Ref 5.3: a POPF that begins with TF = 1 is itself single-stepped, even if it clears TF.
  it('a POPF that clears TF still traps after itself', () => {
    const r = popf(userCpu('intel', 4, { rflags: START | rf.TF }), EMPTY_MEMORY, START);
    expect(r.cpu.rflags & rf.TF).toBe(0n);
    expect(boundaryEvent(r.cpu, false, false)).toBe('db');
  });
});
