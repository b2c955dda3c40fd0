/**
 * IDT entries (idtentry, error_entry, paranoid_entry/exit) for exceptions and interrupts.
 *
 * Hardware (x86-semantics 4.6): the CPU pushed SS, RSP, RFLAGS, CS, RIP (and an error code) on
 * RSP0 when coming from user mode, on the current stack from kernel mode, or on an IST stack if
 * the gate has one; GS is whatever it was. Kernel guarantees: from user mode, SWAPGS and a full
 * pt_regs at task_pt_regs before C code; from kernel mode, no SWAPGS unless the fault is on the
 * IRET to user (error_entry's bad-IRET case, fixup_bad_iret); paranoid (IST) entries work out GS
 * without trusting CS alone and restore it on exit (linux-entry-history 6.5).
 */
import { cpuAt, iretq, readQ, readQs, rf, VEC } from '../isa/index.ts';
import { recordDecision, type Machine } from '../model/index.ts';
import { cliStep, GPR_PUSH_ORDER, pushAllRegs, swapgsStep, type Ctx } from './ctx.ts';
import { ptRegsAddr, PERCPU_BASE } from './layout.ts';
import { act, call, cli, cur, isa, jump, note, popAct, setCpu, setRegs, swapGsBases, writePt } from './ops.ts';
import { label, step, type Item, type Program } from './program.ts';
import { rewindPartialSyscall } from './irq-fixup.ts';
import { espfixDoubleFault } from './espfix.ts';
import { frameAt, frameOf, frameQ } from './frame.ts';

export { frameAt, frameOf, frameQ } from './frame.ts';

/** An IDT vector's entry: its name, whether the CPU pushes an error code, and its C handler. */
export interface VectorSpec {
  readonly vector: number;
  readonly name: string;
  readonly error: boolean;
  readonly handler: string;
}

/**
 * Copies the hardware frame into task_pt_regs and moves RSP there (sync_regs for IST entries).
 * orig_ax is -1 for every exception and interrupt: idtentry_body hands the error code to the C
 * handler and then stores -1 there ("no syscall to restart", idtentry_body in entry_64.S), so a
 * signal delivered on this exit restarts nothing (syscall_get_nr == -1).
 */
const frameToPtRegs = step('pt_regs: hardware frame; orig_ax = -1; RSP = task_pt_regs + 15 regs', (w) => {
  const f = frameOf(w);
  writePt(w, { rip: f.rip, cs: f.cs, rflags: f.flags, rsp: f.rsp, ss: f.ss, orig_rax: (1n << 64n) - 1n });
  setRegs(w, { rsp: ptRegsAddr(w.k.current) + 15n * 8n });
}, { stack: true });

/** IRET back to the interrupted kernel code, from the activation's hardware frame. */
export function iretToKernel(why: string): Item {
  return step(why, (w) => {
    const fault = isa(w, iretq(cpuAt(w.cpu, w.cpu.regs.rip, frameAt(w)), w.mem));
    if (fault) return fault;
    popAct(w);
  }, { insn: true });
}

/** The entry program of one vector. `paranoid` for IST vectors. */
export function idtentry(c: Ctx, v: VectorSpec, paranoid: boolean): Program {
  const { T, d } = c;
  const n = `asm_${v.name}`;
  const L = (s: string): string => `${n}.${s}`;
  // Label names made once, not per step run.
  const [toUser, toKernel, toEspfix, toBadIret] = [L('user'), L('kernel'), L('espfix'), L('badiret')];
  const badIret = d.badIret === 'fixup' ? 'fixup_bad_iret' : 'legacy_bad_iret';
  const items: Item[] = [
    ...(v.vector >= 0x20 && d.irqEntryFixup ? [step('fix up a partial SYSCALL entry (rewind it)', (w) => rewindPartialSyscall(c, w))] : []),
    // ASM_CLAC first (idtentry, entry_64.S): an AC the interrupted code had set must not let
    // kernel code reach user memory past SMAP (isa/smap.ts); the IRET frame keeps the user's AC.
    step('ASM_CLAC; testb $3, CS(%rsp): from user mode?', (w) => {
      const user = (frameQ(w, 8n) & 3n) === 3n;
      if ((w.cpu.rflags & rf.AC) !== 0n) setCpu(w, { rflags: w.cpu.rflags & ~rf.AC });
      jump(w, T.addr(recordDecision(w.rec.decisions, 'IDT entry: from user mode', [['CS RPL 3', user]], user) ? toUser : toKernel));
    }),
    label(L('user')),
    swapgsStep('swapgs (user GS -> kernel GS)'),
    frameToPtRegs,
    pushAllRegs(),
    step('note: entered from user mode', (w) => note(w, { userRegs: true, swapgs: true })),
    step(`call ${v.handler}`, (w, x) => call(w, T.addr(v.handler), x.next)),
    // Handlers may have enabled IRQs (handle_page_fault: "User address page fault handling might
    // have reenabled interrupts ... local_irq_disable()"): irqentry_exit runs with them off.
    cliStep('local_irq_disable'),
    step('jmp exit_to_user_mode', (w) => jump(w, T.addr('exit_to_user_mode'))),
    label(L('kernel')),
    ...(paranoid ? paranoidEntry(c, v) : []),
    // Only an exception the IRET itself raises can be a fault on IRET: a machine check or an
    // interrupt taken at that boundary interrupted it before it ran (#MC is paranoid_entry, which
    // has no bad-IRET case: entry_64.S; IRQs are off there). Since b645af2d5905 the bad-IRET case
    // is error_entry's alone: "Non-paranoid faults on return to userspace are handled by
    // fixup_bad_iret ... Other faults here are fatal" (native_irq_return_iret, entry_64.S), but
    // for exc_double_fault's espfix64 case; before it, the exception table sent any vector's
    // kernel-mode fault there to bad_iret.
    ...(v.vector === VEC.MC || v.vector >= 0x20 || (paranoid && v.vector !== VEC.DF && d.badIret === 'fixup') ? [] : [step('fault on IRET to user mode? (RIP == native_irq_return_iret)', (w) => {
      if (frameQ(w, 0n) !== T.addr('native_irq_return_iret')) return;
      // A #DF there is an IRET fault on the read-only espfix64 stack (exc_double_fault's
      // espfix64 case, espfix.ts); any other vector is error_entry's bad-IRET case.
      jump(w, T.addr(v.vector === VEC.DF ? toEspfix : toBadIret));
    })]),
    // PUSH_AND_CLEAR_REGS / POP_REGS (entry_64.S): the interrupted kernel code's registers live on
    // its own stack while the handler runs, so they survive a preempt_schedule_irq that lets
    // another task use the CPU (linux-entry-history 6.5). Without the save, a task preempted in
    // the middle of its SYSCALL entry resumed with the other task's RCX/R11/RAX.
    step('push regs (kernel context)', (w) => {
      const at = w.cpu.regs.rsp - 15n * 8n;
      w.writeQs(at, GPR_PUSH_ORDER.map((r) => w.cpu.regs[r]));
      setRegs(w, { rsp: at });
    }, { stack: true }),
    step(`call ${v.handler}`, (w, x) => call(w, T.addr(v.handler), x.next)),
    // irqentry_exit() runs in C, before POP_REGS: the task is switched out with its registers
    // saved on its stack (kernel/entry/common.c, S9).
    ...(v.vector >= 0x20 && d.preemptKernel ? [
      step('irqentry_exit: preempt_schedule_irq if need_resched and IRQs were on', (w, x) => {
        const f = frameOf(w);
        const want = (cur(w).tif & 1) !== 0 && (f.flags & 0x200n) !== 0n && w.k.percpu.preemptCount === 0;
        if (want) call(w, T.addr('schedule'), x.next);
      }),
      // preempt_schedule_irq: "local_irq_enable(); __schedule(); local_irq_disable();"
      step('local_irq_disable (after preempt_schedule_irq)', (w) => cli(w)),
    ] : []),
    step('pop regs', (w) => {
      const at = w.cpu.regs.rsp;
      const regs = w.regsW();
      // One read of the fifteen qwords (readQs wraps as fifteen readQ calls would), not three
      // BigInt operations and a closure call per register.
      const q = readQs(w.mem, at, GPR_PUSH_ORDER.length);
      for (let i = 0; i < q.length; i++) regs[GPR_PUSH_ORDER[i] as (typeof GPR_PUSH_ORDER)[number]] = q[i] as bigint;
      regs.rsp = at + 15n * 8n;
    }, { stack: true }),
    ...(paranoid ? paranoidExit(c, v) : []),
    iretToKernel('iretq (to kernel mode)'),
    label(L('badiret')),
    ...(d.badIret === 'fixup' ? [swapgsStep('swapgs (the IRET had already switched to user GS)')] : []),
    step(`call ${badIret}`, (w, x) => call(w, T.addr(badIret), x.next)),
    step(`call ${v.handler} (now as a fault from user mode)`, (w, x) => call(w, T.addr(v.handler), x.next)),
    // Handlers may have enabled IRQs (handle_page_fault: "User address page fault handling might
    // have reenabled interrupts ... local_irq_disable()"): irqentry_exit runs with them off.
    cliStep('local_irq_disable'),
    step('jmp exit_to_user_mode', (w) => jump(w, T.addr('exit_to_user_mode'))),
    ...(v.vector === VEC.DF ? [label(L('espfix')), espfixDoubleFault(c)] : []),
  ];
  return { name: n, items };
}

/** paranoid_entry: decide SWAPGS without trusting CS (MSR sign test, or save/set/restore). */
function paranoidEntry(c: Ctx, v: VectorSpec): Item[] {
  const items: Item[] = c.d.paranoidGs === 'msr-sign'
    ? [step('rdmsr MSR_GS_BASE; js 1f (negative: kernel GS); swapgs', (w) => {
      const swap = recordDecision(w.rec.decisions, 'paranoid entry: SWAPGS', [['MSR_GS_BASE not negative', w.cpu.gsBase >> 63n === 0n]], w.cpu.gsBase >> 63n === 0n);
      if (swap) swapGsBases(w);
      note(w, { swapgs: swap });
    })]
    : [step('save GS base; wrgsbase(kernel GS base)', (w) => {
      const saved = w.cpu.gsBase;
      setCpu(w, { gsBase: PERCPU_BASE });
      note(w, { savedGs: saved });
    })];
  if (c.d.dbShiftIst && v.vector === VEC.DB) {
    items.push(step('subq $EXCEPTION_STKSZ, %gs:tss.ist[DB] (shift_ist)', (w) => shiftIst(w, -0x1000n), { percpu: true }));
  }
  return items;
}

/** paranoid_exit: undo the shift and restore GS as the entry found it. */
function paranoidExit(c: Ctx, v: VectorSpec): Item[] {
  const items: Item[] = [];
  if (c.d.dbShiftIst && v.vector === VEC.DB) {
    items.push(step('addq $EXCEPTION_STKSZ, %gs:tss.ist[DB]', (w) => shiftIst(w, 0x1000n), { percpu: true }));
  }
  items.push(c.d.paranoidGs === 'msr-sign'
    ? step('testl %ebx, %ebx; jnz 1f; swapgs', (w) => { if (act(w)?.notes.swapgs) swapGsBases(w); })
    : step('wrgsbase(saved GS base)', (w) => setCpu(w, { gsBase: act(w)?.notes.savedGs ?? w.cpu.gsBase })));
  return items;
}

function shiftIst(w: Machine, by: bigint): void {
  const ist = w.cpu.tss.ist.slice();
  const slot = w.cpu.idt[VEC.DB]?.ist ?? 0;
  ist[slot] = (ist[slot] ?? 0n) + by;
  setCpu(w, { tss: { ...w.cpu.tss, ist } });
}

/** fixup_bad_iret and the pre-2014 bad_iret: turn a fault on IRET to user into a fault from user. */
export function badIretPrograms(c: Ctx): Program[] {
  void c;
  return [
    {
      name: 'fixup_bad_iret',
      items: [
        step('fixup_bad_iret: pt_regs = the IRET target, as if the fault came from user mode', (w) => fakeUserFault(w)),
        step('ret', (w) => retTo(w)),
      ],
    },
    {
      name: 'legacy_bad_iret',
      items: [
        // Pre-b645af2d5905: "pretend we completed the iret and took the #GPF in user mode" with a
        // SWAPGS of its own, whatever the entry path had done to GS already.
        step('bad_iret: pushq $0; SWAPGS; jmp general_protection', (w) => { swapGsBases(w); fakeUserFault(w); }),
        step('ret', (w) => retTo(w)),
      ],
    },
  ];
}

/**
 * The fault's activation takes over the dead IRET's: pt_regs from the IRET frame, from user.
 * The IRET frame is where the fault's own frame says RSP was (fixup_bad_iret: "the IRET frame
 * is at s->regs.sp"): the thread stack, or the espfix64 stack for an LDT SS.
 */
function fakeUserFault(w: Machine): void {
  const t = cur(w);
  const top = frameOf(w).rsp;
  const regs = {
    rip: readQ(w.mem, top), cs: readQ(w.mem, top + 8n), rflags: readQ(w.mem, top + 16n),
    rsp: readQ(w.mem, top + 24n), ss: readQ(w.mem, top + 32n),
  };
  const gprs: Record<string, bigint> = {};
  for (const r of ['rdi', 'rsi', 'rdx', 'rcx', 'rax', 'r8', 'r9', 'r10', 'r11', 'rbx', 'rbp', 'r12', 'r13', 'r14', 'r15'] as const) gprs[r] = w.cpu.regs[r];
  const self = t.acts[t.acts.length - 1];
  const acts = w.actsW(t.id);
  acts.splice(Math.max(0, acts.length - 2));
  if (self) acts.push({ ...self, fromUser: true, notes: { ...self.notes, userRegs: true, swapgs: true } });
  writePt(w, { ...gprs, ...regs, orig_rax: (1n << 64n) - 1n });
}

function retTo(w: Machine): void {
  const t = cur(w);
  const to = t.calls[t.calls.length - 1] ?? w.cpu.regs.rip;
  w.callsW(t.id).pop();
  setRegs(w, { rip: to, rsp: ptRegsAddr(w.k.current) });
}
