/**
 * NMI entry and exit (asm_exc_nmi, exc_nmi).
 *
 * Hardware (x86-semantics 5.5): an NMI is delivered on its IST stack even at CPL 0 and blocks
 * further NMIs until the next IRET, any IRET, even one returning from a #PF or #DB taken inside
 * the NMI handler. A second NMI can then arrive on the same IST stack and overwrite the first
 * one's hardware frame.
 * Kernel guarantees (linux-entry-history 6.5, 5.3): the outer NMI keeps a copy of its frame; a
 * nested NMI is recognised (RIP in repeat_nmi, "NMI executing", or RSP on the NMI stack with DF
 * set: user code controls RSP at SYSCALL entry but cannot set DF there) and only asks the outer
 * one to repeat; no NMI is lost; CR2 is what the interrupted code left; NMIs from user mode run
 * on the thread stack and return without exit work (9b6e6a8334d5).
 */
import { cpuAt, iretq, rf } from '../isa/index.ts';
import { pageOf, recordDecision, type Machine, type StepOut } from '../model/index.ts';
import { pushAllRegs, swapgsStep, type Ctx } from './ctx.ts';
import { frameOf, frameQ, iretToKernel } from './entry-idt.ts';
import { istOf, PERCPU_BASE, ptRegsAddr } from './layout.ts';
import { act, call, cur, isa, jump, note, popAct, ret, setCpu, setPercpu, setRegs, swapGsBases, writePt } from './ops.ts';
import { userView } from './observe.ts';
import { label, step, type Item, type Program } from './program.ts';

const NMI_IST = 2;

/** asm_exc_nmi and exc_nmi. */
export function nmiPrograms(c: Ctx): Program[] {
  const { T, d } = c;
  const gsIn: Item = d.paranoidGs === 'msr-sign'
    ? step('paranoid_entry: rdmsr GS_BASE; js 1f; swapgs', (w) => {
      const swap = w.cpu.gsBase >> 63n === 0n;
      if (swap) swapGsBases(w);
      note(w, { swapgs: swap });
    })
    : step('paranoid_entry: save GS base; wrgsbase(per-CPU base)', (w) => {
      const saved = w.cpu.gsBase;
      setCpu(w, { gsBase: PERCPU_BASE });
      note(w, { savedGs: saved });
    });
  const gsOut: Item = d.paranoidGs === 'msr-sign'
    ? step('paranoid_exit: swapgs back if the entry swapped', (w) => { if (act(w)?.notes.swapgs) swapGsBases(w); })
    : step('paranoid_exit: wrgsbase(saved)', (w) => setCpu(w, { gsBase: act(w)?.notes.savedGs ?? w.cpu.gsBase }));
  const nested = (w: Machine): void => jump(w, T.addr('asm_exc_nmi.nested'));
  const fromUserTest: Item[] = d.nmiFromUser === 'thread-stack'
    ? [step('testb $3, CS(%rsp): NMI from user mode?', (w) => { if ((frameQ(w, 8n) & 3n) === 3n) jump(w, T.addr('asm_exc_nmi.user')); })]
    : [];
  const asm: Item[] = [
    ...fromUserTest,
    step('nested? RIP in [repeat_nmi, end_repeat_nmi)', (w) => { if (T.within(frameQ(w, 0n), 'repeat_nmi', 'end_repeat_nmi')) nested(w); }),
    step('nested? "NMI executing" set', (w) => { if (w.k.percpu.nmiExecuting) nested(w); }),
    step(d.nestedNmi === 'rsp' ? 'nested? interrupted RSP on the NMI stack' : 'nested? interrupted RSP on the NMI stack and DF set', (w) => {
      const f = frameOf(w);
      const onStack = istOf(f.rsp) === NMI_IST;
      const df = (f.flags & rf.DF) !== 0n;
      const conds = d.nestedNmi === 'rsp' ? [['RSP on the NMI stack', onStack] as const] : [['RSP on the NMI stack', onStack] as const, ['DF set', df] as const];
      if (recordDecision(w.rec.decisions, 'NMI entry: nested', conds, onStack && (d.nestedNmi === 'rsp' || df))) nested(w);
    }),
    step('set "NMI executing"; copy the iret frame below it', (w) => {
      const f = frameOf(w);
      note(w, { scratch: { rip: f.rip, cs: f.cs, flags: f.flags, rsp: f.rsp, ss: f.ss } });
      setPercpu(w, { nmiExecuting: true });
    }),
    label('repeat_nmi'),
    // repeat_nmi: 'movq $1, 10*8(%rsp)  /* Set "NMI executing". */' (entry_64.S): a repeat reached
    // through the final iretq below comes here with "NMI executing" already cleared.
    step('repeat_nmi: set "NMI executing"; clear the repeat request', (w) => setPercpu(w, { nmiRepeat: false, nmiExecuting: true })),
    label('end_repeat_nmi'),
    gsIn,
    step('push regs; call exc_nmi', (w, x) => {
      setRegs(w, { rsp: w.cpu.regs.rsp - 0x100n });
      call(w, T.addr('exc_nmi'), x.next);
    }, { stack: true }),
    step('pop regs', (w) => setRegs(w, { rsp: w.cpu.regs.rsp + 0x100n })),
    gsOut,
    step('a nested NMI asked for a repeat? jmp repeat_nmi', (w) => { if (w.k.percpu.nmiRepeat) jump(w, T.addr('repeat_nmi')); }),
    ...(d.nestedNmi === 'rsp-and-df' ? [step('std: DF says "still on the NMI stack" until the iret', (w) => setCpu(w, { rflags: w.cpu.rflags | rf.DF }))] : []),
    step('clear "NMI executing"', (w) => setPercpu(w, { nmiExecuting: false })),
    step('iretq from the "iret" frame (to repeat_nmi if a nested NMI rewrote it)', (w): StepOut => {
      const s = act(w)?.notes.scratch ?? {};
      const at = (act(w)?.frame?.top ?? w.cpu.regs.rsp) - 0x80n;
      // A nested NMI that arrived after the repeat test above (detected by "NMI executing", or by
      // RSP on the NMI stack with DF set) rewrote the "iret" frame to point at repeat_nmi
      // (nested_nmi in entry_64.S, linux-entry-history 6.5): the outer NMI runs again instead of
      // returning, so that NMI is not lost.
      const repeat = w.k.percpu.nmiRepeat;
      const frame = repeat
        ? [T.addr('repeat_nmi'), BigInt(w.cpu.cs.sel), w.cpu.rflags & ~rf.DF, w.cpu.regs.rsp, BigInt(w.cpu.ss.sel)]
        : [s.rip, s.cs, s.flags, s.rsp, s.ss].map((v) => BigInt(v as bigint));
      w.writeQs(at, frame);
      const fault = isa(w, iretq(cpuAt(w.cpu, w.cpu.regs.rip, at), w.mem));
      if (fault) return fault;
      if (!repeat) popAct(w);
      // Straight back to user mode from the IST frame (an NMI from user that stayed there):
      // user code resumes as after any return, with no pt_regs restored.
      if ((w.cpu.cs.sel & 3) === 3) w.emit({ kind: 'user-resume', task: w.k.current, view: userView(w.cpu) });
    }, { insn: true }),
    label('asm_exc_nmi.nested'),
    step('nested NMI: make the outer NMI repeat', (w) => setPercpu(w, { nmiRepeat: true })),
    iretToKernel('iretq (back into the outer NMI)'),
    label('asm_exc_nmi.user'),
    swapgsStep('swapgs'),
    step('switch to the thread stack; pt_regs from the frame', (w) => {
      const f = frameOf(w);
      writePt(w, { rip: f.rip, cs: f.cs, rflags: f.flags, rsp: f.rsp, ss: f.ss, orig_rax: (1n << 64n) - 1n });
      setRegs(w, { rsp: ptRegsAddr(w.k.current) + 15n * 8n });
    }, { stack: true, percpu: true }),
    pushAllRegs(),
    step('note: from user mode', (w) => note(w, { userRegs: true, swapgs: true })),
    step('call exc_nmi', (w, x) => call(w, T.addr('exc_nmi'), x.next)),
    step('no exit work (IRQs must stay off): jmp swapgs_restore_regs_and_return_to_usermode', (w) => jump(w, T.addr('iret_exit'))),
  ];
  const exc: Item[] = [
    step('if (nmi_state != NMI_NOT_RUNNING) { nmi_state = NMI_LATCHED; return; }', (w) => {
      if (w.k.percpu.nmiState === 'idle') return;
      setPercpu(w, { nmiState: 'latched' });
      ret(w);
    }, { percpu: true }),
    step(d.nmiSavesCr2 ? 'nmi_state = NMI_EXECUTING; nmi_cr2 = read_cr2(); nmi_enter' : 'nmi_state = NMI_EXECUTING; nmi_enter', (w) =>
      setPercpu(w, { nmiState: 'executing', preemptCount: w.k.percpu.preemptCount + 1, ...(d.nmiSavesCr2 ? { nmiCr2: w.cpu.cr2 } : {}) }), { percpu: true }),
    label('exc_nmi.restart'),
    step('default_do_nmi: NMI handlers run', (w) => setPercpu(w, { nmiHandled: w.k.percpu.nmiHandled + 1, nmiLastHandled: w.clock }), { percpu: true }),
    ...(d.nmiReadsUserMemory ? [step('perf: copy_from_user_nmi(user stack at task_pt_regs(current)->sp)', (w): StepOut => userStackRead(w), { fixup: 'exc_nmi.read_done' })] : []),
    label('exc_nmi.read_done'),
    ...(d.nmiSavesCr2 ? [step('if (nmi_cr2 != read_cr2()) write_cr2(nmi_cr2)', (w) => setCpu(w, { cr2: w.k.percpu.nmiCr2 }), { percpu: true })] : []),
    step('nmi_exit; if (this_cpu_dec_return(nmi_state)) goto nmi_restart', (w) => {
      const latched = w.k.percpu.nmiState === 'latched';
      setPercpu(w, { nmiState: latched ? 'executing' : 'idle', preemptCount: Math.max(0, w.k.percpu.preemptCount - (latched ? 0 : 1)) });
      if (latched) jump(w, T.addr('exc_nmi.restart'));
    }, { percpu: true }),
    step('ret', (w) => ret(w)),
  ];
  return [{ name: 'asm_exc_nmi', items: asm }, { name: 'exc_nmi', items: exc }];
}

/** The perf user call-chain read: a supervisor read of the user stack that may #PF. */
function userStackRead(w: Machine): StepOut {
  const t = cur(w);
  if (t.id === 0) return;
  // perf samples task_pt_regs best-effort (perf_get_regs_user); it is not a pt_regs consumer.
  const addr = t.regs.rsp & ~7n;
  if (addr >> 47n !== 0n) return; // access_ok fails: nothing is read
  const page = pageOf(w.k, addr);
  if (page !== undefined && page !== 'demand') return;
  return { fault: { vector: 14, error: 0, cr2: addr } };
}
