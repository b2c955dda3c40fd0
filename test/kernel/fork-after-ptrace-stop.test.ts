/**
 * A child forked after a ptrace stop (linux-3.19). Found by exploration with four extension
 * levels: attach with syscall stops, fork, the tracer writes a non-canonical RIP at the
 * syscall-entry stop, two single steps. 3.19's force_iret() is TIF_NOTIFY_RESUME, which the
 * child inherits (dup_task_struct) and ret_from_sys_call's _TIF_ALLWORK_MASK test sees, so the
 * child leaves by IRET (a #GP in user mode, SIGSEGV), not by SYSRET at CPL 0; and copy_process's
 * user_disable_single_step takes the tracer's TF off the child. Without the fix (CVE-2014-4699)
 * the child still SYSRETs with the non-canonical RCX.
 */
import { describe, expect, it } from 'vitest';
import { discoverInvariants } from '../../src/check/discover.ts';
import { judge } from '../../src/check/evaluate.ts';
import { toTraceEvents } from '../../src/check/operands.ts';
import { kernelOf } from '../../src/check/session.ts';
import type { RawEvent } from '../../src/check/trace-file.ts';
import { findDesign, variant, type Design } from '../../src/kernel/index.ts';

const ids = ['kernel-gs-and-stack', 'kernel-health'];
const invs = (await discoverInvariants()).map((d) => d.invariant).filter((i) => ids.includes(i.id));
const TRACE: RawEvent[] = [
  { type: 'tracer.attach', options: { syscalls: true } }, { type: 'user.syscall', nr: 'fork' },
  { type: 'tracer.setRegs', regs: { rip: '$user_half_end', rcx: '$user_half_end' } },
  { type: 'tracer.singleStep' }, { type: 'tracer.singleStep' },
];
const linux319 = findDesign('linux-3.19') as Design;
const judgeOn = (d: Design) => judge(invs, { kernel: kernelOf(d), vendor: 'intel', paging: 4 }, toTraceEvents(TRACE, 'test'));

describe('ret_from_fork after a ptrace stop (linux-3.19, intel)', () => {
  it('sends the child out by IRET, without the tracer\'s TF: a SIGSEGV in user mode', () => {
    const j = judgeOn(linux319);
    const obs = j.run.observations.map((o) => o.o);
    const segv = obs.find((o) => o.kind === 'signal' && o.task === 3);
    expect(segv, '[FAIL] expected SIGSEGV for the child').toMatchObject({ signal: 11, rip: 0x800000000000n });
    expect(segv?.kind === 'signal' ? segv.ctx?.['rflags'] : undefined, '[FAIL] expected TF off in the child').toBe(0x202n);
    for (const id of ids) expect(j.violations.get(id), `[FAIL] expected ${id} to hold`).toBeUndefined();
  });

  it('is still a kernel failure without force_iret after a ptrace stop (CVE-2014-4699)', () => {
    const j = judgeOn(variant(linux319, 'linux-3.19-no-force-iret', { forceIretAfterPtraceStop: false }));
    expect(j.violations.get('kernel-gs-and-stack')?.message ?? '', '[FAIL] expected the #GP on the user stack').toMatch(/not a kernel stack/);
  });
});
