/**
 * Read-only file pages (the code mappings) are not present in the page table until a read or a
 * fetch faults them in, with the pages of their 64 KiB fault-around window (do_read_fault ->
 * do_fault_around, mm/memory.c). A write before that takes #PF without the P bit; the signal is
 * SEGV_ACCERR either way (access_error). Co-simulation on a real kernel (AMD, 6.18) showed err
 * 0x6 where the model said 0x7 for a write to 32-bit code that had never run.
 */
import { describe, expect, it } from 'vitest';
import { COMPAT_CODE } from '../../src/kernel/index.ts';
import { SI, SIG, type Event } from '../../src/model/index.ts';
import { run, signals } from '../kernel/helpers.ts';

const write = (addr: bigint): Event => ({ type: 'user.access', addr, write: true });
const read = (addr: bigint): Event => ({ type: 'user.access', addr, write: false });
const sigret: Event = { type: 'user.syscall', nr: 'rt_sigreturn' };
const nop: Event = { type: 'user.nop' };

describe('read-only file pages and the P bit', () => {
  it('a write to a code page nothing has read or fetched faults without P (W|U = 6)', () => {
    const r = run('linux-6.7', [write(COMPAT_CODE + 0x2ccn), sigret, nop]);
    expect(signals(r)[0]).toMatchObject({ signal: SIG.SIGSEGV, code: SI.SEGV_ACCERR, ctx: { err: 6n, trapno: 14n } });
  });

  it('after a read elsewhere in its 64 KiB-aligned window the page is present: P|W|U = 7', () => {
    const r = run('linux-6.7', [read(COMPAT_CODE + 0x7000n), write(COMPAT_CODE + 0x2ccn), sigret, nop]);
    expect(signals(r)[0]).toMatchObject({ signal: SIG.SIGSEGV, code: SI.SEGV_ACCERR, ctx: { err: 7n } });
  });

  it('the code the task runs is present: a write to its own page has P', () => {
    const r = run('linux-6.7', [write(0x40_0800n), sigret, nop]);
    expect(signals(r)[0]).toMatchObject({ code: SI.SEGV_ACCERR, ctx: { err: 7n } });
  });

  // exc_general_protection tries fixup_umip_exception first (X86_FEATURE_UMIP), which copies the
  // instruction at the user IP: the #GP of a bad IRET to untouched 32-bit code faults its page in
  // (co-simulation on AMD EPYC, 6.18: err 7 for the write that follows).
  it('a #GP from user mode reads the instruction at its IP (UMIP): the page is present after it', () => {
    const badIret: Event = { type: 'user.syscall', nr: 'rt_sigreturn', frame: { rip: COMPAT_CODE + 0x636n, cs: 0x23, ss: 0, rsp: 0xffff_c800n } };
    const r = run('linux-6.7', [badIret, write(COMPAT_CODE + 0x7d2n), sigret, nop]);
    expect(signals(r).map((o) => [o.signal, o.ctx?.trapno, o.ctx?.err])).toEqual([[SIG.SIGSEGV, 13n, 0n], [SIG.SIGSEGV, 14n, 7n]]);
  });
});
