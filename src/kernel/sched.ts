/**
 * The scheduler: schedule(), switch_to, ret_from_fork and the idle loop.
 *
 * Hardware: nothing here is hardware but the stack pointer, TSS.RSP0 and (on AMD) the SS
 * hidden attributes. Kernel guarantees: a task's kernel context resumes exactly where it called
 * schedule(); per-CPU state that belongs to a task (the old_rsp slot in older kernels) moves with
 * it; on CPUs with X86_BUG_SYSRET_SS_ATTRS, SS is never NULL in syscall context after a switch
 * (process_64.c __switch_to comment, linux-entry-history 6.4); ret_from_fork leaves by an exit
 * that handles any entry type (CVE-2015-2830).
 */
import { flatData, KERNEL_DS } from '../isa/index.ts';
import { TIF, type Machine, type Task } from '../model/index.ts';
import { cliStep, stiStep, type Ctx } from './ctx.ts';
import { EXIT_WORK } from './exit-to-user.ts';
import { RSEQ_ABORT, stackTop } from './layout.ts';
import { ptRead } from './observe.ts';
import { call, cli, cur, jump, patchTask, ret, setCpu, setPercpu, sti, tif, writePt } from './ops.ts';
import { label, step, type Program } from './program.ts';
import { inRseqCs } from './rseq.ts';

/** Whether a task can be picked: runnable in the kernel or not yet run. */
const runnable = (t: Task): boolean => t.mode === 'kernel' || t.mode === 'new';

/** Makes a stopped or blocked task runnable and asks the running one to reschedule. */
export function wakeUp(w: Machine, id: number): void {
  const t = w.k.tasks[id] as Task;
  patchTask(w, { mode: 'kernel', wait: null, ptrace: { ...t.ptrace, stop: null } }, id);
  if (!w.k.runq.includes(id)) w.kW().runq = [...w.k.runq, id];
  tif(w, TIF.NEED_RESCHED);
}

/** schedule(), switch_to, ret_from_fork, the idle loop. */
export function scheduler(c: Ctx): Program[] {
  const { T, d } = c;
  const schedule = [
    // __schedule runs with IRQs off; finish_task_switch turns them back on (raw_spin_unlock_irq),
    // so every schedule() returns with IRQs enabled whatever the next task was doing.
    step('local_irq_disable; clear_tsk_need_resched; pick_next_task', (w) => {
      cli(w);
      const prev = w.k.current;
      let runq = w.k.runq.filter((id) => id !== prev);
      const p = w.k.tasks[prev] as Task;
      if (prev !== 0 && runnable(p)) runq = [...runq, prev];
      const next = runq.find((id) => runnable(w.k.tasks[id] as Task)) ?? 0;
      w.kW().runq = runq.filter((id) => id !== next);
      tif(w, 0, TIF.NEED_RESCHED);
      if (next === prev) jump(w, T.addr('schedule.done'));
      else setPercpu(w, { next });
    }),
    step(d.rseq === 'scheduler' ? 'rseq fix-up of prev from the scheduler' : 'rseq_preempt(prev)', (w) => {
      const t = cur(w);
      if (!t.rseq || d.rseq === 'none' || t.id === 0) return;
      if (d.rseq === 'exit-to-user') { tif(w, TIF.NOTIFY_RESUME); return; }
      ptRead(w, 'rseq fix-up (scheduler)');
      if (inRseqCs(t.regs.rip)) writePt(w, { rip: RSEQ_ABORT });
    }),
    step('switch_to: save prev RSP and resume point', (w) => {
      const usersp = d.switchToSavesScratch ? { usersp: w.k.percpu.rspScratch } : {};
      // The user GS base waits in KERNEL_GS_BASE while in the kernel: save it with the task.
      patchTask(w, { resume: { rip: T.addr('schedule.after_switch'), rsp: w.cpu.regs.rsp }, gsBase: w.cpu.kernelGsBase, ...usersp });
    }),
    // In __switch_to, before the new task runs: a new task goes straight on to ret_from_fork.
    step('__switch_to: savesegment(ss); reload a NULL SS (X86_BUG_SYSRET_SS_ATTRS)', (w) => {
      if (!d.amdSsWorkaround || w.cpu.vendor !== 'amd' || w.cpu.ss.sel === KERNEL_DS) return;
      setCpu(w, { ss: flatData(KERNEL_DS, 0) });
    }),
    step('switch_to: load next stack, TSS.sp0, GS base, debug registers', (w) => {
      const next = w.k.percpu.next;
      const n = w.k.tasks[next] as Task;
      const resume = n.resume ?? { rip: T.addr('idle'), rsp: stackTop(next) };
      if (d.switchToSavesScratch) setPercpu(w, { rspScratch: n.usersp });
      w.kW().current = next;
      setCpu(w, { tss: { ...w.cpu.tss, rsp0: stackTop(next) }, kernelGsBase: n.gsBase, watch: n.watch, breakAt: n.breakAt });
      const regs = w.regsW();
      regs.rsp = resume.rsp;
      regs.rip = resume.rip;
    }, { percpu: true }),
    label('schedule.after_switch'),
    step('finish_task_switch (IRQs on again)', (w) => { patchTask(w, { resume: null }); sti(w); }),
    label('schedule.done'),
    step('ret', (w) => ret(w)),
  ];
  const retFromFork = [
    step('schedule_tail (finish_task_switch: IRQs on)', (w) => { patchTask(w, { resume: null, mode: 'kernel' }); sti(w); }),
    ...(d.retFromFork === 'sysret-fast-path' ? [
      // 3.19 ret_from_fork starts with "pushq $0x0002; popfq  # reset kernel eflags": IRQs are off
      // for the flags test and the SYSRET path that follow (entry_64.S, S2); the parent's IRQs-on
      // context must not leak into them.
      cliStep('pushq $0x0002; popfq (reset kernel eflags: IRQs off)'),
      // 3.19: "if !TIF_IA32 jmp ret_from_sys_call": the SYSRET fast path, which does not clear TS_COMPAT.
      // ret_from_sys_call tests _TIF_ALLWORK_MASK, which holds TIF_NOTIFY_RESUME, force_iret()'s
      // flag (thread_info.h): a child forked after a ptrace stop inherits it and leaves by IRET.
      step('testl $_TIF_IA32; jz ret_from_sys_call', (w) => {
        const t = cur(w);
        if (t.compat) jump(w, T.addr('exit_to_user_mode'));
        else jump(w, T.addr((t.tif & (EXIT_WORK | TIF.FORCE_IRET)) !== 0 ? 'exit_to_user_mode' : 'sysret_exit'));
      }),
    ] : [
      // Into syscall_exit_to_user_mode itself (S9), not past it: its local_irq_disable_exit_to_user
      // is what makes the final work-flags check run with IRQs off (E1); finish_task_switch left
      // them on.
      step('jmp syscall_exit_to_user_mode (full exit)', (w) => jump(w, T.addr('syscall_exit_to_user_mode'))),
    ]),
  ];
  const idle = [
    label('idle.loop'),
    step('if (need_resched()) schedule()', (w, x) => { if (w.k.runq.length > 0) call(w, T.addr('schedule'), x.next); }),
    stiStep('sti (its shadow covers hlt)'),
    step('hlt', (w) => { w.kW().idle = true; }),
    step('jmp idle.loop', (w) => jump(w, T.addr('idle.loop'))),
  ];
  return [
    { name: 'schedule', items: schedule },
    { name: 'ret_from_fork', items: retFromFork },
    { name: 'idle', items: idle },
  ];
}
