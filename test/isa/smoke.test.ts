import { describe, expect, it } from 'vitest';
import { makeCpu, syscall, sysret, EMPTY_MEMORY, USER_CS, USER_DS } from '../../src/isa/index.ts';

describe('isa smoke', () => {
  it('SYSCALL then SYSRET returns to the next instruction with the user selectors', () => {
    const user = makeCpu({ vendor: 'intel', paging: 4, regs: { rip: 0x401000n } });
    const k = syscall(user, EMPTY_MEMORY);
    expect(k.fault).toBeNull();
    const back = sysret(k.cpu, k.mem, true);
    expect(back.fault).toBeNull();
    expect(back.cpu.regs.rip).toBe(0x401002n);
    expect(back.cpu.cs.sel).toBe(USER_CS);
    expect(back.cpu.ss.sel).toBe(USER_DS);
  });
});
