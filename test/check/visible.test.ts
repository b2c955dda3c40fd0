/**
 * What user mode can see of a run (check/visible.ts): which exit instruction returned is not
 * seen, and neither is a second resume of a task that ran nothing since the first.
 */
import { describe, expect, it } from 'vitest';
import { visibleSequence } from '../../src/check/visible.ts';
import { makeCpu } from '../../src/isa/index.ts';
import { userView } from '../../src/kernel/observe.ts';
import type { Observation } from '../../src/model/index.ts';

const cpu = makeCpu({ vendor: 'intel', paging: 4, regs: { rip: 0x400100n, rsp: 0x7fffffffe000n } });
const view = userView(cpu);
const ret = (task: number): Observation => ({
  kind: 'return-to-user', task, via: 'iret', rip: 0x400100n, rsp: 0x7fffffffe000n, rflags: cpu.rflags,
  cs: cpu.cs.sel, ss: cpu.ss.sel, view, pt: {}, act: null,
});
const insn = (task: number, rip = 0x400100n): Observation => ({ kind: 'user-insn', task, rip, insn: 'nop' });

describe('visibleSequence', () => {
  it('shows a resume by IRET from pt_regs and one from an IST frame alike', () => {
    const a = visibleSequence([ret(1)]).map((v) => v.text);
    const b = visibleSequence([{ kind: 'user-resume', task: 1, view }]).map((v) => v.text);
    expect(a).toEqual(b);
    expect(a[0]).toMatch(/^task 1 resumes with .*rip=0x400100/);
  });

  it('leaves out a second identical resume of a task that ran nothing between, and keeps it after the task ran', () => {
    expect(visibleSequence([ret(1), ret(1)])).toHaveLength(1);
    expect(visibleSequence([ret(1), { kind: 'user-resume', task: 1, view }])).toHaveLength(1);
    // Another task's instruction does not count: task 1 still ran nothing.
    expect(visibleSequence([ret(1), insn(2, 0x8048100n), ret(1)])).toHaveLength(2);
    expect(visibleSequence([ret(1), insn(1), ret(1)]), '[FAIL] expected the resume after an instruction kept').toHaveLength(3);
    expect(visibleSequence([ret(1), ret(2)])).toHaveLength(2);
  });
});
