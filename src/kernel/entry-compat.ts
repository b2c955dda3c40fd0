/**
 * 32-bit system call entries: SYSENTER (Intel), SYSCALL from compatibility mode (AMD) and
 * INT $0x80, with do_fast_syscall_32 / do_int80_syscall_32.
 *
 * Hardware (x86-semantics 4.3, 4.1, 4.6): SYSENTER saves nothing (no RIP, no RSP, no flags),
 * clears IF but not TF, and lands on SYSENTER_ESP; SYSCALL32 saves RIP in ECX and flags in R11
 * but not RSP; INT $0x80 goes through an IDT gate with DPL 3.
 * Kernel guarantees (linux-entry-history 2.2-2.4): RSP is recovered from EBP (the vDSO put it
 * there), IP is set to the vDSO's int80 landing pad so that IP - 2 is an `int $0x80` for
 * restarts, TF/NT/AC are cleared before IRQs are enabled (TF single-steps the entry until then,
 * and #DB ignores that region), TS_COMPAT marks the 32-bit call until the exit clears it.
 */
import { fixRflags, popf, rf, USER32_CS, USER_DS } from '../isa/index.ts';
import { readUser } from '../model/index.ts';
import { knobOf } from './design.ts';
import { uaccess } from './uaccess.ts';
import { cliStep, EFAULT, ENOSYS, GPR_PUSH_ORDER, push, pushAllRegs, stiStep, swapgsStep, sysEntries, type Ctx } from './ctx.ts';
import { frameOf } from './entry-idt.ts';
import { topOfStack } from './entry-syscall-64.ts';
import { LANDING_PAD, ptRegsAddr } from './layout.ts';
import { act, call, cur, isa, jump, note, patchTask, ret, setRegs, setScratch, writePt } from './ops.ts';
import { label, step, type Item, type Program } from './program.ts';
import { syscallName } from './syscall-table.ts';

/** Compat dispatch and the shared tail of the 32-bit entries. */
function compatCall(c: Ctx, prefix: string, fast: boolean): Item[] {
  const { T } = c;
  const sysEntry = sysEntries(T);
  return [
    step('current->thread_info.status |= TS_COMPAT', (w) => patchTask(w, { tsCompat: true })),
    ...(fast ? [
      step('regs->ip = landing_pad (so that ip - 2 is int $0x80)', (w) => writePt(w, { rip: LANDING_PAD })),
    ] : []),
    step('enter_from_user_mode', () => {}),
    stiStep('local_irq_enable'),
    ...(fast ? [
      // "Fetch EBP from where the vDSO stashed it": __get_user(*(u32 *)&regs->bp,
      // (u32 __user *)(unsigned long)(u32)regs->sp) (arch/x86/entry/common.c @ 00351340): the low
      // half of regs->bp from the user stack. For a call through __kernel_vsyscall (this entry's
      // instruction is the vDSO's) the word there is the caller's EBP the vDSO pushed last (kept
      // in task.vsyscall: the model makes no pushes); for any other SYSENTER, even one made while
      // such a call is held, whatever user code stored (co-simulation on Intel).
      step('__get_user(regs->bp, (u32 __user *)regs->sp): arg 6 from the vDSO stack', (w) => {
        const t = cur(w);
        const at = t.regs.rsp & 0xffff_ffffn;
        const f = uaccess(w, at, 'read');
        if (f !== undefined) return f;
        const held = act(w)?.hw.insn === LANDING_PAD - 4n ? t.vsyscall : null;
        const word = held !== null ? held.rbp & 0xffff_ffffn : readUser(w.k, at, 4);
        writePt(w, { rbp: (t.regs.rbp & ~0xffff_ffffn) | word });
      }, { fixup: `${prefix}.efault` }),
    ] : []),
    step('dispatch: regs->ax = ia32_sys_call_table[orig_ax](regs)', (w, x) => {
      // syscall_enter_from_user_mode_work first: a PTRACE_SYSCALL tracer gets its entry stop
      // (do_int80_syscall_32 / do_fast_syscall_32, kernel/entry/common.c; missing before, found
      // by co-simulation). The step calls ptrace_stop and runs again once the tracer resumes.
      const t = cur(w);
      if (t.ptrace.attached && t.ptrace.syscalls && !t.ptrace.stepping && act(w)?.notes.scratch?.entryReported !== true) {
        setScratch(w, { entryReported: true });
        call(w, T.addr('ptrace_stop.syscall-entry'), w.cpu.regs.rip);
        return;
      }
      const name = syscallName(t.regs.orig_rax, true);
      if (name === undefined) { note(w, { nr: 'unknown', ret: ENOSYS }); return; }
      note(w, { nr: name });
      call(w, sysEntry(name), x.next);
    }),
    step('regs->ax = return value', (w) => writePt(w, { rax: act(w)?.notes.ret ?? ENOSYS })),
    step('jmp syscall_exit_to_user_mode', (w) => jump(w, T.addr('syscall_exit_to_user_mode'))),
    ...(fast ? [
      label(`${prefix}.efault`),
      step('regs->ax = -EFAULT; use IRET', (w) => {
        // A faulting __get_user sets its destination to 0 ("On error, the variable @x is set to
        // zero", uaccess.h): the low half of regs->bp (found by co-simulation on Intel).
        writePt(w, { rax: EFAULT, rbp: cur(w).regs.rbp & ~0xffff_ffffn });
        // "User code screwed up": do_fast_syscall_32 returns false, so the exit is IRET under
        // every policy (common.c @ v6.7); `slow` alone only spoke to the pre-2015 fast path.
        note(w, { slow: true, iretOnly: true });
      }),
      // ... then local_irq_disable and irqentry_exit_to_user_mode, not syscall_exit_to_user_mode:
      // the entry work never ran, so no syscall-exit stop or step report either (syscall_32.c
      // @ v6.18, common.c @ v6.7; found by co-simulation on Intel, a PTRACE_SYSCALL tracee).
      // Before v4.4 (design knob fastFaultExit): ia32_badarg -> ia32_sysret ->
      // int_ret_from_sys_call, the full system call exit, whose work reports a single step (and
      // a syscall-exit stop with no entry stop). step-report: that report alone, then the exit.
      ...({
        'syscall-exit': [step('jmp ia32_sysret (int_ret_from_sys_call)', (w) => jump(w, T.addr('syscall_exit_to_user_mode')))],
        'step-report': [step('report a single step, then irqentry_exit_to_user_mode', (w) => jump(w, T.addr('syscall_exit_to_user_mode.step_report')))],
        'irq-exit': [cliStep('local_irq_disable'), step('irqentry_exit_to_user_mode', (w) => jump(w, T.addr('exit_to_user_mode')))],
      } as const)[knobOf(c.d, 'fastFaultExit')],
    ] : []),
  ];
}

/** The three 32-bit entries. */
export function compatEntries(c: Ctx): Program[] {
  const { d, T } = c;
  const pushRest = GPR_PUSH_ORDER.map((r) => push(r, (w) => (r === 'rax' ? ENOSYS : w.cpu.regs[r]), { what: r === 'rax' ? '$-ENOSYS ' : `%${r} ` }));
  const sysenter: Item[] = [
    swapgsStep('SWAPGS'),
    step('movq %gs:cpu_current_top_of_stack, %rsp', (w) => setRegs(w, { rsp: topOfStack(w) }), { percpu: true }),
    push('ss', () => BigInt(USER_DS), { what: '$__USER_DS ' }),
    push('rsp', () => 0n, { what: '$0 ' }),
    push('rflags', (w) => w.cpu.rflags, { what: 'pushfq ' }),
    push('cs', () => BigInt(USER32_CS), { what: '$__USER32_CS ' }),
    push('rip', () => 0n, { what: '$0 ' }),
    // "Just in case the high bits are nonzero, zero-extend the syscall number" (movl %eax, %eax).
    push('orig_rax', (w) => w.cpu.regs.rax & 0xffff_ffffn, { what: '%eax (zero-extended) ' }),
    ...pushRest,
    ...(d.sysenterCallBeforeTfClear ? [step('call clear_bhb_loop', (w, x) => call(w, T.addr('clear_bhb_loop'), x.next))] : []),
    step('testl $X86_EFLAGS_NT|AC|TF, EFLAGS(%rsp): SYSENTER does not filter flags', () => {}),
    step('pushq $X86_EFLAGS_FIXED; popfq', (w) => isa(w, popf(w.cpu, w.mem, fixRflags(0n))), { insn: true, stack: true }),
    step('.Lsysenter_flags_fixed', (w) => note(w, { userRegs: true, swapgs: true })),
    label('entry_SYSENTER_compat.tf_cleared'),
    label('do_SYSENTER_32'),
    // do_SYSENTER_32: "regs->sp = regs->bp" (the whole register; the read of arg 6 truncates it).
    step('regs->sp = regs->bp (SYSENTER loses RSP; the vDSO saved it in RBP)', (w) => writePt(w, { rsp: cur(w).regs.rbp })),
    step('regs->flags |= X86_EFLAGS_IF (SYSENTER clobbers IF)', (w) => writePt(w, { rflags: cur(w).regs.rflags | rf.IF })),
    ...compatCall(c, 'do_SYSENTER_32', true),
  ];
  const syscall32: Item[] = [
    swapgsStep('swapgs'),
    step('movl %esp, %r8d', (w) => setRegs(w, { r8: w.cpu.regs.rsp & 0xffff_ffffn })),
    step('movq %gs:cpu_current_top_of_stack, %rsp', (w) => setRegs(w, { rsp: topOfStack(w) }), { percpu: true }),
    push('ss', () => BigInt(USER_DS), { what: '$__USER_DS ' }),
    push('rsp', (w) => w.cpu.regs.r8, { what: '%r8 ' }),
    push('rflags', (w) => w.cpu.regs.r11, { what: '%r11 ' }),
    push('cs', () => BigInt(USER32_CS), { what: '$__USER32_CS ' }),
    push('rip', (w) => w.cpu.regs.rcx, { what: '%rcx ' }),
    push('orig_rax', (w) => w.cpu.regs.rax & 0xffff_ffffn, { what: '%eax (zero-extended) ' }),
    ...GPR_PUSH_ORDER.map((r) => push(r, (w) => (r === 'rax' ? ENOSYS : r === 'rcx' ? w.cpu.regs.rbp : w.cpu.regs[r]),
      { what: r === 'rcx' ? '%rbp (arg2, SYSCALL took ECX) ' : r === 'rax' ? '$-ENOSYS ' : `%${r} ` })),
    step('note: pt_regs complete', (w) => note(w, { userRegs: true, swapgs: true })),
    ...compatCall(c, 'do_SYSCALL_32', true),
  ];
  const int80: Item[] = [
    swapgsStep('swapgs'),
    // entry_INT80_compat: ASM_CLAC ("do this early to minimize exposure"), the frame, and the
    // syscall number zero-extended into orig_ax.
    step('ASM_CLAC; pt_regs: hardware frame; orig_ax = %eax (zero-extended)', (w) => {
      const f = frameOf(w);
      const nr = w.cpu.regs.rax & 0xffff_ffffn;
      if ((w.cpu.rflags & rf.AC) !== 0n) w.cpuW().rflags = w.cpu.rflags & ~rf.AC;
      writePt(w, { rip: f.rip, cs: f.cs, rflags: f.flags, rsp: f.rsp, ss: f.ss, orig_rax: nr });
      setRegs(w, { rsp: ptRegsAddr(w.k.current) + 15n * 8n });
    }, { stack: true }),
    pushAllRegs('PUSH_AND_CLEAR_REGS rax=$-ENOSYS'),
    step('pt_regs->ax = -ENOSYS; note: from user', (w) => { writePt(w, { rax: ENOSYS }); note(w, { userRegs: true, swapgs: true }); }),
    ...compatCall(c, 'do_int80_syscall_32', false),
  ];
  const bhb: Program = { name: 'clear_bhb_loop', items: [step('clear_bhb_loop body', () => {}), step('ret', (w) => ret(w))] };
  return [
    { name: 'entry_SYSENTER_compat', items: sysenter },
    { name: 'entry_SYSCALL_compat', items: syscall32 },
    { name: 'entry_INT80_compat', items: int80 },
    bhb,
  ];
}

