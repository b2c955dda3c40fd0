/**
 * The software-interrupt encodings beyond INT3 and INT 0x80 (SDM Vol. 2 "INT n/INTO/INT3/INT1"):
 * CD 03 is INT 3 in two bytes; INT1 (ICEBP, F1) reaches the DPL-0 #DB gate that `int $1` cannot;
 * INTO is #UD in 64-bit mode and INT 4 when OF is set in compatibility mode.
 */
import { describe, expect, it } from 'vitest';
import { EMPTY_MEMORY, flatCode, icebp, into, rf, softInt, USER32_CS, VEC } from '../../src/isa/index.ts';
import { frameAt, USER_RIP, userCpu } from './helpers.ts';

describe('INT n encodings', () => {
  it('CD 03 delivers #BP like CC, with the return RIP two bytes on', () => {
    const r = softInt(userCpu(), EMPTY_MEMORY, VEC.BP, 2n);
    if (!r.ok) throw new Error('shutdown');
    expect(r.delivered.vector).toBe(VEC.BP);
    expect(frameAt(r.mem, r.cpu.regs.rsp, false).rip).toBe(USER_RIP + 2n);
  });

  it('int $1 from CPL 3 meets the DPL-0 #DB gate: #GP(0x0a) at the INT, RF set in the image (a fault)', () => {
    const r = softInt(userCpu(), EMPTY_MEMORY, VEC.DB, 2n);
    if (!r.ok) throw new Error('shutdown');
    expect(r.delivered).toMatchObject({ vector: VEC.GP, error: 0x0a, rip: USER_RIP });
    expect(frameAt(r.mem, r.cpu.regs.rsp, true).rflags & rf.RF).toBe(rf.RF);
  });

  it('ICEBP (F1) reaches the DPL-0 #DB gate without a DPL check: a trap after it, RF 0', () => {
    const r = icebp({ ...userCpu(), rflags: userCpu().rflags | rf.RF }, EMPTY_MEMORY);
    if (!r.ok) throw new Error('shutdown');
    expect(r.delivered).toMatchObject({ vector: VEC.DB, kind: 'int1', rip: USER_RIP + 1n });
    expect(frameAt(r.mem, r.cpu.regs.rsp, false).rflags & rf.RF).toBe(0n);
  });

  it('ICEBP after a watched MOV SS: the held watchpoint #DB is not delivered after it', () => {
    const held = { ...userCpu(), pendingDb: { cause: 'watchpoint' as const, held: true }, shadow: 'movss' as const };
    const r = icebp(held, EMPTY_MEMORY);
    if (!r.ok) throw new Error('shutdown');
    expect(r.cpu.pendingDb).toBeNull();
  });

  it('INTO is #UD in 64-bit mode; in compatibility mode INT 4 with OF set, nothing with OF clear', () => {
    expect(into(userCpu(), EMPTY_MEMORY)).toBe('ud');
    const compat = { ...userCpu(), cs: flatCode(USER32_CS, 3, false), regs: { ...userCpu().regs, rip: 0x804_8100n, rsp: 0xffff_c000n } };
    expect(into(compat, EMPTY_MEMORY)).toBeNull();
    const r = into({ ...compat, rflags: compat.rflags | rf.OF }, EMPTY_MEMORY);
    if (r === null || r === 'ud' || !r.ok) throw new Error('no #OF');
    expect(r.delivered).toMatchObject({ vector: VEC.OF, rip: 0x804_8101n });
  });
});
