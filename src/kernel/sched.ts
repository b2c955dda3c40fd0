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
import { TIF, type MachineState, type Task } from '../model/index.ts';
import { cliStep, stiStep, type Ctx } from './ctx.ts';
import { stackTop } from './layout.ts';
import { act, call, cli, cur, jump, patchTask, ret, setCpu, setPercpu, tif, writePt } from './ops.ts';
import { rf } from '../isa/index.ts';

const sti = (m: MachineState): MachineState => setCpu(m, { rflags: m.cpu.rflags | rf.IF });
import { label, step, type Program } from './program.ts';
import { EXIT_WORK } from './exit-to-user.ts';
import { inRseqCs } from './rseq.ts';
import { ptRead } from './observe.ts';
import { RSEQ_ABORT } from './layout.ts';

/** Whether a task can be picked: runnable in the kernel or not yet run. */
const runnable = (t: Task): boolean => t.mode === 'kernel' || t.mode === 'new';

/** Makes a stopped or blocked task runnable and asks the running one to reschedule. */
export function wakeUp(m: MachineState, id: number): MachineState {
  const t = m.k.tasks[id] as Task;
  const woken = patchTask(m, id, { mode: 'kernel', wait: null, ptrace: { ...t.ptrace, stop: null } });
  const runq = woken.k.runq.includes(id) ? woken.k.runq : [...woken.k.runq, id];
  return tif({ ...woken, k: { ...woken.k, runq } }, TIF.NEED_RESCHED);
}

/** schedule(), switch_to, ret_from_fork, the idle loop. */
export function scheduler(c: Ctx): Program[] {
  const { T, d } = c;
  const schedule = [
    // __schedule runs with IRQs off; finish_task_switch turns them back on (raw_spin_unlock_irq),
    // so every schedule() returns with IRQs enabled whatever the next task was doing.
    step('local_irq_disable; clear_tsk_need_resched; pick_next_task', (m0) => {
      const m = cli(m0);
      const prev = m.k.current;
      let runq = m.k.runq.filter((id) => id !== prev);
      const p = m.k.tasks[prev] as Task;
      if (prev !== 0 && runnable(p)) runq = [...runq, prev];
      const next = runq.find((id) => runnable(m.k.tasks[id] as Task)) ?? 0;
      const m1 = tif({ ...m, k: { ...m.k, runq: runq.filter((id) => id !== next) } }, 0, TIF.NEED_RESCHED);
      return next === prev ? jump(m1, T.addr('schedule.done')) : setPercpu(m1, { next });
    }),
    step(d.rseq === 'scheduler' ? 'rseq fix-up of prev from the scheduler' : 'rseq_preempt(prev)', (m, x) => {
      const t = cur(m);
      if (!t.rseq || d.rseq === 'none' || t.id === 0) return m;
      if (d.rseq === 'exit-to-user') return tif(m, TIF.NOTIFY_RESUME);
      ptRead(m, 'rseq fix-up (scheduler)', x.emit);
      return inRseqCs(t.regs.rip) ? writePt(m, { rip: RSEQ_ABORT }) : m;
    }),
    step('switch_to: save prev RSP and resume point', (m) => {
      const t = cur(m);
      const usersp = d.switchToSavesScratch ? { usersp: m.k.percpu.rspScratch } : {};
      // The user GS base waits in KERNEL_GS_BASE while in the kernel: save it with the task.
      return patchTask(m, t.id, { resume: { rip: T.addr('schedule.after_switch'), rsp: m.cpu.regs.rsp }, gsBase: m.cpu.kernelGsBase, ...usersp });
    }),
    // In __switch_to, before the new task runs: a new task goes straight on to ret_from_fork.
    step('__switch_to: savesegment(ss); reload a NULL SS (X86_BUG_SYSRET_SS_ATTRS)', (m) => {
      if (!d.amdSsWorkaround || m.cpu.vendor !== 'amd' || m.cpu.ss.sel === KERNEL_DS) return m;
      return { ...m, cpu: { ...m.cpu, ss: flatData(KERNEL_DS, 0) } };
    }),
    step('switch_to: load next stack, TSS.sp0, GS base, debug registers', (m) => {
      const next = m.k.percpu.next;
      const n = m.k.tasks[next] as Task;
      const resume = n.resume ?? { rip: T.addr('idle'), rsp: stackTop(next) };
      const m1 = d.switchToSavesScratch ? setPercpu(m, { rspScratch: n.usersp }) : m;
      return {
        ...m1,
        k: { ...m1.k, current: next },
        cpu: {
          ...m1.cpu,
          regs: { ...m1.cpu.regs, rsp: resume.rsp, rip: resume.rip },
          tss: { ...m1.cpu.tss, rsp0: stackTop(next) },
          kernelGsBase: n.gsBase,
          watch: n.watch,
        },
      };
    }, { percpu: true }),
    label('schedule.after_switch'),
    step('finish_task_switch (IRQs on again)', (m) => sti(patchTask(m, m.k.current, { resume: null }))),
    label('schedule.done'),
    step('ret', (m) => ret(m)),
  ];
  const retFromFork = [
    step('schedule_tail (finish_task_switch: IRQs on)', (m) => sti(patchTask(m, m.k.current, { resume: null, mode: 'kernel' }))),
    ...(d.retFromFork === 'sysret-fast-path' ? [
      // 3.19 ret_from_fork starts with "pushq $0x0002; popfq  # reset kernel eflags": IRQs are off
      // for the flags test and the SYSRET path that follow (entry_64.S, S2); the parent's IRQs-on
      // context must not leak into them.
      cliStep('pushq $0x0002; popfq (reset kernel eflags: IRQs off)'),
      // 3.19: "if !TIF_IA32 jmp ret_from_sys_call": the SYSRET fast path, which does not clear TS_COMPAT.
      step('testl $_TIF_IA32; jz ret_from_sys_call', (m) => {
        const t = cur(m);
        if (t.compat) return jump(m, T.addr('exit_to_user_mode'));
        return jump(m, T.addr((t.tif & EXIT_WORK) !== 0 ? 'exit_to_user_mode' : 'sysret_exit'));
      }),
    ] : [
      // Into syscall_exit_to_user_mode itself (S9), not past it: its local_irq_disable_exit_to_user
      // is what makes the final work-flags check run with IRQs off (E1); finish_task_switch left
      // them on.
      step('jmp syscall_exit_to_user_mode (full exit)', (m) => jump(m, T.addr('syscall_exit_to_user_mode'))),
    ]),
  ];
  const idle = [
    label('idle.loop'),
    step('if (need_resched()) schedule()', (m, x) => (m.k.runq.length > 0 ? call(m, T.addr('schedule'), x.next) : m)),
    stiStep('sti (its shadow covers hlt)'),
    step('hlt', (m) => ({ ...m, k: { ...m.k, idle: true } })),
    step('jmp idle.loop', (m) => jump(m, T.addr('idle.loop'))),
  ];
  void act;
  return [
    { name: 'schedule', items: schedule },
    { name: 'ret_from_fork', items: retFromFork },
    { name: 'idle', items: idle },
  ];
}
