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
import { iretq, rf, writeQs } from '../isa/index.ts';
import type { MachineState, StepOut } from '../model/index.ts';
import { pushAllRegs, swapgsStep, type Ctx } from './ctx.ts';
import { frameOf, iretToKernel } from './entry-idt.ts';
import { istOf, PERCPU_BASE, ptRegsAddr } from './layout.ts';
import { act, call, cur, isa, jump, note, popAct, ret, setCpu, setPercpu, setRegs, writePt } from './ops.ts';
import { ptRead } from './observe.ts';
import { label, step, type Item, type Program } from './program.ts';

const NMI_IST = 2;

/** asm_exc_nmi and exc_nmi. */
export function nmiPrograms(c: Ctx): Program[] {
  const { T, d } = c;
  const gsIn: Item = d.paranoidGs === 'msr-sign'
    ? step('paranoid_entry: rdmsr GS_BASE; js 1f; swapgs', (m) => (m.cpu.gsBase >> 63n ? note(m, { swapgs: false })
      : note({ ...m, cpu: { ...m.cpu, gsBase: m.cpu.kernelGsBase, kernelGsBase: m.cpu.gsBase } }, { swapgs: true })))
    : step('paranoid_entry: save GS base; wrgsbase(per-CPU base)', (m) => note(setCpu(m, { gsBase: PERCPU_BASE }), { savedGs: m.cpu.gsBase }));
  const gsOut: Item = d.paranoidGs === 'msr-sign'
    ? step('paranoid_exit: swapgs back if the entry swapped', (m) => (act(m)?.notes.swapgs
      ? { ...m, cpu: { ...m.cpu, gsBase: m.cpu.kernelGsBase, kernelGsBase: m.cpu.gsBase } } : m))
    : step('paranoid_exit: wrgsbase(saved)', (m) => setCpu(m, { gsBase: act(m)?.notes.savedGs ?? m.cpu.gsBase }));
  const fromUserTest: Item[] = d.nmiFromUser === 'thread-stack'
    ? [step('testb $3, CS(%rsp): NMI from user mode?', (m) => ((frameOf(m).cs & 3n) === 3n ? jump(m, T.addr('asm_exc_nmi.user')) : m))]
    : [];
  const asm: Item[] = [
    ...fromUserTest,
    step('nested? RIP in [repeat_nmi, end_repeat_nmi)', (m) =>
      (T.within(frameOf(m).rip, 'repeat_nmi', 'end_repeat_nmi') ? jump(m, T.addr('asm_exc_nmi.nested')) : m)),
    step('nested? "NMI executing" set', (m) => (m.k.percpu.nmiExecuting ? jump(m, T.addr('asm_exc_nmi.nested')) : m)),
    step(d.nestedNmi === 'rsp' ? 'nested? interrupted RSP on the NMI stack' : 'nested? interrupted RSP on the NMI stack and DF set', (m) => {
      const f = frameOf(m);
      const onStack = istOf(f.rsp) === NMI_IST;
      const df = d.nestedNmi === 'rsp' || (f.flags & rf.DF) !== 0n;
      return onStack && df ? jump(m, T.addr('asm_exc_nmi.nested')) : m;
    }),
    step('set "NMI executing"; copy the iret frame below it', (m) => {
      const f = frameOf(m);
      return setPercpu(note(m, { scratch: { rip: f.rip, cs: f.cs, flags: f.flags, rsp: f.rsp, ss: f.ss } }), { nmiExecuting: true });
    }),
    label('repeat_nmi'),
    // repeat_nmi: 'movq $1, 10*8(%rsp)  /* Set "NMI executing". */' (entry_64.S): a repeat reached
    // through the final iretq below comes here with "NMI executing" already cleared.
    step('repeat_nmi: set "NMI executing"; clear the repeat request', (m) => setPercpu(m, { nmiRepeat: false, nmiExecuting: true })),
    label('end_repeat_nmi'),
    gsIn,
    step('push regs; call exc_nmi', (m, x) => call(setRegs(m, { rsp: m.cpu.regs.rsp - 0x100n }), T.addr('exc_nmi'), x.next), { stack: true }),
    step('pop regs', (m) => setRegs(m, { rsp: m.cpu.regs.rsp + 0x100n })),
    gsOut,
    step('a nested NMI asked for a repeat? jmp repeat_nmi', (m) => (m.k.percpu.nmiRepeat ? jump(m, T.addr('repeat_nmi')) : m)),
    ...(d.nestedNmi === 'rsp-and-df' ? [step('std: DF says "still on the NMI stack" until the iret', (m) => setCpu(m, { rflags: m.cpu.rflags | rf.DF }))] : []),
    step('clear "NMI executing"', (m) => setPercpu(m, { nmiExecuting: false })),
    step('iretq from the "iret" frame (to repeat_nmi if a nested NMI rewrote it)', (m): StepOut => {
      const s = act(m)?.notes.scratch ?? {};
      const at = (act(m)?.frame?.top ?? m.cpu.regs.rsp) - 0x80n;
      // A nested NMI that arrived after the repeat test above (detected by "NMI executing", or by
      // RSP on the NMI stack with DF set) rewrote the "iret" frame to point at repeat_nmi
      // (nested_nmi in entry_64.S, linux-entry-history 6.5): the outer NMI runs again instead of
      // returning, so that NMI is not lost.
      const frame = m.k.percpu.nmiRepeat
        ? [T.addr('repeat_nmi'), BigInt(m.cpu.cs.sel), m.cpu.rflags & ~rf.DF, m.cpu.regs.rsp, BigInt(m.cpu.ss.sel)]
        : [s.rip, s.cs, s.flags, s.rsp, s.ss].map((v) => BigInt(v as bigint));
      const mem = writeQs(m.mem, at, frame);
      if (m.k.percpu.nmiRepeat) return isa({ ...m, mem }, iretq({ ...m.cpu, regs: { ...m.cpu.regs, rsp: at } }, mem));
      const out = isa({ ...m, mem }, iretq({ ...m.cpu, regs: { ...m.cpu.regs, rsp: at } }, mem));
      return 'fault' in out ? out : popAct(out);
    }, { insn: true }),
    label('asm_exc_nmi.nested'),
    step('nested NMI: make the outer NMI repeat', (m) => setPercpu(m, { nmiRepeat: true })),
    iretToKernel('iretq (back into the outer NMI)'),
    label('asm_exc_nmi.user'),
    swapgsStep('swapgs'),
    step('switch to the thread stack; pt_regs from the frame', (m) => {
      const f = frameOf(m);
      const m1 = writePt(m, { rip: f.rip, cs: f.cs, rflags: f.flags, rsp: f.rsp, ss: f.ss, orig_rax: (1n << 64n) - 1n });
      return setRegs(m1, { rsp: ptRegsAddr(m.k.current) + 15n * 8n });
    }, { stack: true, percpu: true }),
    pushAllRegs(),
    step('note: from user mode', (m) => note(m, { userRegs: true, swapgs: true })),
    step('call exc_nmi', (m, x) => call(m, T.addr('exc_nmi'), x.next)),
    step('no exit work (IRQs must stay off): jmp swapgs_restore_regs_and_return_to_usermode', (m) => jump(m, T.addr('iret_exit'))),
  ];
  const exc: Item[] = [
    step('if (nmi_state != NMI_NOT_RUNNING) { nmi_state = NMI_LATCHED; return; }', (m) =>
      (m.k.percpu.nmiState !== 'idle' ? ret(setPercpu(m, { nmiState: 'latched' })) : m), { percpu: true }),
    step(d.nmiSavesCr2 ? 'nmi_state = NMI_EXECUTING; nmi_cr2 = read_cr2(); nmi_enter' : 'nmi_state = NMI_EXECUTING; nmi_enter', (m) =>
      setPercpu(m, { nmiState: 'executing', preemptCount: m.k.percpu.preemptCount + 1, ...(d.nmiSavesCr2 ? { nmiCr2: m.cpu.cr2 } : {}) }), { percpu: true }),
    label('exc_nmi.restart'),
    step('default_do_nmi: NMI handlers run', (m) => setPercpu(m, { nmiHandled: m.k.percpu.nmiHandled + 1, nmiLastHandled: m.clock }), { percpu: true }),
    ...(d.nmiReadsUserMemory ? [step('perf: copy_from_user_nmi(user stack at task_pt_regs(current)->sp)', (m, x): StepOut => userStackRead(m, x.emit), { fixup: 'exc_nmi.read_done' })] : []),
    label('exc_nmi.read_done'),
    ...(d.nmiSavesCr2 ? [step('if (nmi_cr2 != read_cr2()) write_cr2(nmi_cr2)', (m) => setCpu(m, { cr2: m.k.percpu.nmiCr2 }), { percpu: true })] : []),
    step('nmi_exit; if (this_cpu_dec_return(nmi_state)) goto nmi_restart', (m) => {
      const latched = m.k.percpu.nmiState === 'latched';
      const m1 = setPercpu(m, { nmiState: latched ? 'executing' : 'idle', preemptCount: Math.max(0, m.k.percpu.preemptCount - (latched ? 0 : 1)) });
      return latched ? jump(m1, T.addr('exc_nmi.restart')) : m1;
    }, { percpu: true }),
    step('ret', (m) => ret(m)),
  ];
  return [{ name: 'asm_exc_nmi', items: asm }, { name: 'exc_nmi', items: exc }];
}

/** The perf user call-chain read: a supervisor read of the user stack that may #PF. */
function userStackRead(m: MachineState, emit: Parameters<typeof ptRead>[2]): StepOut {
  const t = cur(m);
  if (t.id === 0) return m;
  void emit; // perf samples task_pt_regs best-effort (perf_get_regs_user); it is not a pt_regs consumer
  const addr = t.regs.rsp & ~7n;
  if (addr >> 47n !== 0n) return m; // access_ok fails: nothing is read
  const key = (addr >> 12n).toString(16);
  const page = m.k.pages[key];
  if (page !== undefined && page !== 'demand') return m;
  return { fault: { vector: 14, error: 0, cr2: addr }, m };
}
