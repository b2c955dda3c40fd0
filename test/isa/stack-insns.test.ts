/**
 * CLI at CPL 3, PUSHF's image, the faults of a user stack reference, and JMP to a non-canonical
 * target (SDM Vol. 2 CLI, PUSHF, JMP; Vol. 3 6.15 #SS and #AC).
 */
import { describe, expect, it } from 'vitest';
import { cliInsn, EMPTY_MEMORY, flatCode, jmpNear, pushfImage, rf, stackFault, USER32_CS, VEC } from '../../src/isa/index.ts';
import { USER_RIP, userCpu } from './helpers.ts';

describe('CLI, PUSHF, stack faults, JMP', () => {
  it('CLI at CPL 3 with IOPL 0 raises #GP(0) and changes nothing', () => {
    const u = userCpu();
    const r = cliInsn(u, EMPTY_MEMORY);
    expect(r.fault).toEqual({ vector: VEC.GP, error: 0 });
    expect(r.cpu.rflags & rf.IF).toBe(rf.IF);
  });

  it('PUSHF stores RFLAGS with RF and VM clear, 32 bits of it in compatibility mode', () => {
    const u = { ...userCpu(), rflags: 0x1_0302n | rf.AC };
    expect(pushfImage(u)).toBe(0x4_0302n);
    expect(pushfImage({ ...u, cs: flatCode(USER32_CS, 3, false) })).toBe(0x4_0302n);
  });

  it('a non-canonical stack address is #SS(0); a misaligned one under AC at CPL 3 is #AC(0)', () => {
    const u = userCpu();
    expect(stackFault(u, 1n << 47n, 8n)).toEqual({ vector: VEC.SS, error: 0 });
    expect(stackFault(u, 0x7fff_0000_0003n, 8n)).toBeNull();
    expect(stackFault({ ...u, rflags: u.rflags | rf.AC }, 0x7fff_0000_0003n, 8n)).toEqual({ vector: VEC.AC, error: 0 });
  });

  it('JMP to a non-canonical target #GPs on the jump; in compatibility mode the target is an EIP', () => {
    const r = jmpNear(userCpu(), EMPTY_MEMORY, 1n << 47n);
    expect(r.fault).toEqual({ vector: VEC.GP, error: 0 });
    expect(r.cpu.regs.rip).toBe(USER_RIP);
    const c = jmpNear({ ...userCpu(), cs: flatCode(USER32_CS, 3, false) }, EMPTY_MEMORY, 0x1_0804_8000n);
    expect(c.cpu.regs.rip).toBe(0x0804_8000n);
  });
});
