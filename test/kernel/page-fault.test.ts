/**
 * The #PF path: CR2 and the interrupt gate, demand paging, SIGSEGV with si_addr = CR2, the
 * copy_from_user exception-table fixup, and CR2 clobbering by NMIs and instrumentation.
 * Sources: linux-entry-history 5.1-5.5, bugs B16 (nmi_cr2) and B17 (tracing before read_cr2).
 */
import { describe, expect, it } from 'vitest';
import { rf } from '../../src/isa/index.ts';
import { USER_DEMAND, variant } from '../../src/kernel/index.ts';
import { pageOf, SI, SIG } from '../../src/model/index.ts';
import { design, ev, failures, firstStep, at, returns, run, signals, stepsOf, task } from './helpers.ts';

const UNMAPPED = 0x1234_5000n;
const EFAULT = (1n << 64n) - 14n;

describe('#PF from user mode (linux-6.7)', () => {
  // 5.1: interrupt gate (IF = 0 on delivery); CR2 read before anything else; IRQs back on after.
  it('reads CR2 first, with IRQs off, and re-enables IRQs only after the read', () => {
    const r = run('linux-6.7', [ev.access(UNMAPPED), ev.nop]);
    const read = at(r, firstStep(r, 'read_cr2'));
    expect(read.before.cpu.cr2).toBe(UNMAPPED);
    expect(read.before.cpu.rflags & rf.IF).toBe(0n);
    expect(stepsOf(r, 'handler_pf')[0]).toBe('address = read_cr2()');
    for (const m of r.micro.slice(0, firstStep(r, 'read_cr2'))) expect(m.before.cpu.rflags & rf.IF, m.where).toBe(0n);
    expect(at(r, firstStep(r, 'local_irq_enable')).after.cpu.rflags & rf.IF).toBe(rf.IF);
  });

  // do_user_addr_fault -> bad_area -> force_sig_fault(SIGSEGV, SEGV_MAPERR, address).
  it('delivers SIGSEGV (SEGV_MAPERR) with si_addr = the unmapped address, at the faulting RIP', () => {
    const r = run('linux-6.7', [ev.access(UNMAPPED), ev.nop]);
    expect(failures(r)).toEqual([]);
    expect(signals(r)).toEqual([expect.objectContaining({ signal: SIG.SIGSEGV, code: SI.SEGV_MAPERR, siAddr: UNMAPPED, rip: 0x400100n, fatal: false })]);
  });

  it('reports a write to a read-only code page as SEGV_ACCERR', () => {
    const r = run('linux-6.7', [ev.access(0x40_0800n, true), ev.nop]);
    expect(signals(r)).toEqual([expect.objectContaining({ signal: SIG.SIGSEGV, code: SI.SEGV_ACCERR, siAddr: 0x40_0800n })]);
  });

  // Demand paging: the page is filled and the faulting instruction is re-executed (same RIP).
  it('fills a demand page and returns to the faulting instruction without a signal', () => {
    const addr = USER_DEMAND + 0x10n;
    const r = run('linux-6.7', [ev.access(addr, true), ev.nop]);
    expect(signals(r)).toEqual([]);
    expect(pageOf(r.final.k, addr)).toBe('data');
    expect(returns(r)).toEqual([expect.objectContaining({ via: 'iret', rip: 0x400100n })]);
  });
});

describe('copy_from_user and the exception table (linux-6.7)', () => {
  // _ASM_EXTABLE: a kernel fault on a user address resumes at the fixup; write() returns -EFAULT.
  it('returns -EFAULT from write() with an unmapped buffer, with no signal and no oops', () => {
    const r = run('linux-6.7', [ev.syscall('write', [1n, UNMAPPED, 8n]), ev.nop]);
    expect(failures(r)).toEqual([]);
    expect(signals(r)).toEqual([]);
    expect(stepsOf(r, 'sys_write')).toEqual(['access_ok(buf, count); copy_from_user: first byte of the buffer', 'return -EFAULT', 'ret']);
    expect(returns(r)[0]?.view.regs.rax).toBe(EFAULT);
  });

  it('faults a demand-paged buffer in from the kernel and returns the count', () => {
    const r = run('linux-6.7', [ev.syscall('write', [1n, USER_DEMAND + 0xff0n, 0x20n]), ev.nop]);
    expect(stepsOf(r, 'handler_pf').filter((s) => s.startsWith('handle_page_fault'))).toHaveLength(2);
    expect(returns(r)[0]?.view.regs.rax).toBe(0x20n);
  });

  // access_ok refuses a range beyond TASK_SIZE_MAX before any access (uaccess_64.h): no #GP, no #PF.
  it('returns -EFAULT for a non-canonical buffer too, without touching it', () => {
    const r = run('linux-6.7', [ev.syscall('write', [1n, 1n << 47n, 8n]), ev.nop]);
    expect(failures(r)).toEqual([]);
    expect(r.micro.some((m) => m.step.path === 'asm_exc_general_protection' || m.step.path === 'asm_exc_page_fault')).toBe(false);
    expect(returns(r)[0]?.view.regs.rax).toBe(EFAULT);
  });

  // Issue 13: write(1, buf, 0xffffffffffffffff) used to crash the model on a 65-bit address.
  it('returns -EFAULT for a length no buffer can have', () => {
    const r = run('linux-6.7', [ev.syscall('write', [1n, 0x60_0000n, (1n << 64n) - 1n]), ev.nop]);
    expect(failures(r)).toEqual([]);
    expect(returns(r)[0]?.view.regs.rax).toBe(EFAULT);
  });

  // A non-canonical pointer that access_ok lets through cannot exist for write(); a user access
  // to one raises #GP (SIGSEGV, SI_KERNEL), not #PF.
  it('a user access to a non-canonical address is #GP, not #PF', () => {
    const r = run('linux-6.7', [ev.access(1n << 47n), ev.nop]);
    expect(r.micro.some((m) => m.step.path === 'asm_exc_general_protection')).toBe(true);
    expect(signals(r)[0]).toMatchObject({ signal: 11, code: 0x80, siAddr: 0n });
  });
});

describe('the pf-trap-gate proposal (a #PF trap gate leaves IF = 1)', () => {
  // 5.1: the interrupt gate is what keeps IRQs out until CR2 is read. With a trap gate an IRQ can
  // even arrive before the entry's SWAPGS: it looks like an IRQ from kernel mode (CS is the
  // kernel's), so it does not SWAPGS, and a preemption there runs the scheduler on the user GS.
  const trace = [ev.irq(1, 0x20), ev.access(USER_DEMAND + 0x10n, true), ev.nop];

  it('lets a tick in before the #PF entry\'s SWAPGS; preempting there uses per-CPU data on the user GS', () => {
    const r = run('pf-trap-gate', trace);
    const irq = at(r, firstStep(r, 'testb $3', 'asm_irq_timer'));
    expect(task(irq.before, 1).acts.map((a) => a.vector)).toEqual([14, 0x20]);
    expect(irq.before.cpu.gsBase).toBe(0n);
    expect(failures(r)).toEqual([expect.stringMatching(/^user-gs: schedule\+\d+ \(switch_to/)]);
  });

  it('linux-6.7 (interrupt gate) takes the same tick only after CR2 is read and IRQs are re-enabled', () => {
    const r = run('linux-6.7', trace);
    expect(failures(r)).toEqual([]);
    expect(firstStep(r, 'testb $3', 'asm_irq_timer')).toBeGreaterThan(firstStep(r, 'local_irq_enable', 'handler_pf'));
  });
});

describe('CR2 clobbering', () => {
  // B16: an NMI between #PF delivery and read_cr2 whose perf user-stack read faults rewrites CR2.
  // The user stack is demand paged, so that read faults (and, in NMI context, is not filled).
  const nmiAt = (k: number) => [ev.setReg('rsp', USER_DEMAND + 0x2000n), ev.nmi(k), ev.access(UNMAPPED), ev.nop];
  const siAddrs = (d: ReturnType<typeof design>) =>
    Array.from({ length: 10 }, (_, k) => signals(run(d, nmiAt(k)))[0]?.siAddr);

  it('linux-6.7 (nmi_cr2 saved and restored): every NMI position gives si_addr = the faulting address', () => {
    expect(new Set(siAddrs(design('linux-6.7')))).toEqual(new Set([UNMAPPED]));
  });

  it('without nmi_cr2, some NMI positions make the #PF handler act on the NMI\'s own fault address', () => {
    const bad = siAddrs(variant(design('linux-6.7'), 'no-nmi-cr2', { nmiSavesCr2: false }));
    expect(bad[0]).toBe(UNMAPPED); // NMI before the access: nothing to clobber
    expect(bad.some((a) => a !== UNMAPPED)).toBe(true);
  });

  // B17: CR2 read in C after tracing that reads the (demand-paged) user stack and faults on it.
  const traced = [ev.setReg('rsp', USER_DEMAND + 0x2000n), ev.access(UNMAPPED), ev.nop];
  it('linux-4.16 (CR2 read after instrumentation) reports the stack address instead of the fault address', () => {
    const r = run('linux-4.16', traced);
    expect(signals(r)).toEqual([expect.objectContaining({ signal: SIG.SIGSEGV, siAddr: USER_DEMAND + 0x2000n })]);
  });

  it('linux-5.8 (CR2 read first, 91eeafea1e4b) reports the fault address', () => {
    const r = run('linux-5.8', traced);
    expect(signals(r)).toEqual([expect.objectContaining({ signal: SIG.SIGSEGV, siAddr: UNMAPPED })]);
    expect(task(r.final, 1).mode).toBe('user');
  });
});
