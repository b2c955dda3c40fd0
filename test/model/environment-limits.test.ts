/**
 * What the world can do, at its edges: a machine check arriving while one is handled (MCIP set)
 * is a shutdown on real hardware, so the model's world does not raise one; R8-R15 cannot be
 * named by 32-bit code; the compat fast exits return through ECX (and EDX), which the vDSO
 * landing pad restores, so the differential does not count them.
 */
import { describe, expect, it } from 'vitest';
import { discoverInvariants } from '../../src/check/discover.ts';
import { review } from '../../src/check/review.ts';
import { findDesign, type Design } from '../../src/kernel/index.ts';
import type { Event } from '../../src/model/index.ts';
import { failures, only, run } from '../kernel/helpers.ts';

const invariants = (await discoverInvariants()).map((d) => d.invariant);
const nop: Event = { type: 'user.nop' };

describe('machine checks and MCIP (SDM Vol. 3B 16.3.1.2)', () => {
  // The trace the search drew before MCIP was modelled: a second #MC inside the first handler
  // re-entered the #MC IST stack and overwrote the first frame.
  const nested: Event[] = [{ type: 'hw.mce', after: 7 }, { type: 'hw.irq', after: 0 }, { type: 'hw.mce', after: 8 }, nop, nop];

  it('delivers #MC and sets MCIP; the handler clears it (MCG_STATUS = 0) before it returns', () => {
    const r = run('linux-6.7', [{ type: 'hw.mce', after: 0 }, nop]);
    expect(r.micro.some((m) => m.after.hw.mcip), '[FAIL] expected MCIP set while #MC is handled').toBe(true);
    expect(r.final.hw.mcip, '[FAIL] expected MCIP clear after the handler').toBe(false);
  });

  it('discards a machine check that arrives with MCIP set: the first handler returns where it was', () => {
    const r = run('linux-6.7', nested);
    expect(failures(r)).toEqual([]);
    const k = review({ design: findDesign('linux-6.7') as Design, vendor: 'intel', paging: 4, trace: nested, invariants, micro: false });
    expect(k.findings.filter((f) => !f.sanity).map((f) => f.invariant), '[FAIL] expected no violation').toEqual([]);
  });

  it('delivers a later machine check once the first one is handled', () => {
    const r = run('linux-6.7', [{ type: 'hw.mce', after: 0 }, nop, nop, { type: 'hw.mce', after: 0 }, nop]);
    const entries = r.micro.filter((m) => m.where.startsWith('handler_mc+0')).length;
    expect(entries, '[FAIL] expected two #MC deliveries').toBe(2);
  });
});

describe('registers 32-bit code cannot name (SDM Vol. 1 3.4.1.1)', () => {
  it('a write to R14 from compatibility mode is skipped; EAX is written zero-extended', () => {
    const to32: Event = { type: 'user.syscall', nr: 'rt_sigreturn', frame: { rip: 0x804_8100n, cs: 0x23, ss: 0x2b, rsp: 0xffff_c800n } };
    const r = run('linux-6.7', [to32, { type: 'user.setReg', reg: 'r14', value: 0xfeff_ffff_ffff_ffffn }, { type: 'user.setReg', reg: 'rax', value: 0x1_2345_6789n }, nop]);
    expect(r.r.skipped, '[FAIL] expected the R14 write skipped').toEqual([1]);
    expect(r.final.cpu.regs.r14).toBe(0n);
    expect(r.final.cpu.regs.rax).toBe(0x2345_6789n);
  });
});

describe('the compat fast exits clobber what they return through', () => {
  // A raw SYSENTER from 64-bit code (Intel) whose EBP is 8 bytes below the end of the stack page:
  // the landing pad's third pop (ECX) faults, and the SIGSEGV frame carries ECX as SYSRETL left it.
  const trace: Event[] = [
    { type: 'user.syscall', nr: 'rt_sigaction', args: [11n], act: { handler: 0x40_0e00n, flags: 0x0400_0000n } },
    { type: 'user.sysenter', nr: 'getpid', ebp: 0xffff_cff8n }, nop, nop,
  ];
  it('returns by SYSRETL with ECX = the landing pad, and the pop of ECX faults', () => {
    const r = run('linux-6.7', trace);
    const back = only(r, 'return-to-user').map((o) => o.via);
    expect(back[1], '[FAIL] expected the SYSENTER to return by SYSRETL').toBe('sysretl');
    expect(only(r, 'signal').map((s) => s.signal)).toEqual([11]);
  });
  it('sysret-iret-equivalence holds: the ECX difference is the compat ABI, not a leak', () => {
    const k = review({ design: findDesign('linux-6.7') as Design, vendor: 'intel', paging: 4, trace, invariants: invariants.filter((i) => i.id === 'sysret-iret-equivalence'), micro: false });
    expect(k.findings, '[FAIL] expected sysret-iret-equivalence to hold').toEqual([]);
  });
});

describe('machine checks while an NMI is handled', () => {
  it('are discarded: the NMI handler finishes, every NMI is handled, the kernel stays healthy', () => {
    // The search's trace: #MC at the NMI entry's third instruction, then a second NMI.
    const trace: Event[] = [{ type: 'hw.mce', after: 3 }, { type: 'hw.nmi', after: 1 }, { type: 'hw.nmi', after: 0 }];
    const r = run('linux-3.19', trace);
    expect(failures(r)).toEqual([]);
    expect(r.micro.some((m) => m.where.startsWith('handler_mc')), '[FAIL] expected no #MC inside the NMI').toBe(false);
    const k = review({ design: findDesign('linux-3.19') as Design, vendor: 'intel', paging: 4, trace, invariants, micro: false });
    expect(k.findings.filter((f) => !f.sanity).map((f) => f.invariant)).toEqual([]);
  });
});

describe('a machine check while the first one is handled, after MCIP is cleared', () => {
  it('is discarded until the first #MC has returned: its IST frame is not overwritten', () => {
    const trace: Event[] = [{ type: 'user.syscall', nr: 'getpid' }, { type: 'hw.mce', after: 17 }, { type: 'hw.mce', after: 25 }];
    const r = run('ts-fastsyscall', trace, { vendor: 'amd' });
    expect(failures(r)).toEqual([]);
    expect(r.micro.filter((m) => m.where.startsWith('handler_mc+0')).length, '[FAIL] expected one #MC handled').toBe(1);
  });
});

describe('a machine check at the boundary where a single-step trap is pending', () => {
  it('discards the trap (SDM Vol. 3 6.9): no #DB at the #MC handler, the kernel stays healthy', () => {
    // POPF sets TF; SYSENTER keeps it; #MC arrives at the first kernel instruction.
    const trace: Event[] = [{ type: 'user.popf', flags: 0x302n }, { type: 'hw.mce', after: 1 }, { type: 'user.sysenter', nr: 'getpid' }, nop];
    const r = run('linux-6.7', trace);
    expect(failures(r), '[FAIL] expected no kernel failure').toEqual([]);
    expect(r.micro.some((m) => m.where.startsWith('handler_mc+0')), '[FAIL] expected the #MC handled').toBe(true);
  });
});
