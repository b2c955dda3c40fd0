/**
 * Single-stepping user code makes progress: a task never takes two single-step traps at the same
 * RIP without executing an instruction in between (the opportunistic-SYSRET TF loop, B4); nor,
 * when a signal handler takes each trap, does the interrupted context resume at one RIP and trap
 * there before executing it, twice: handler code runs, but the context never gets past that RIP.
 * A tracer that rewrites a task's RIP moves it on by hand: that task starts afresh (a tracer
 * that writes the same bad RIP before each step gets the same SIGSEGV and the same step report
 * at the handler each time, as Linux gives it: signal_setup_done reports the step at the handler).
 */
import { defineInvariant, ripWrittenByTracer } from '../../src/index.ts';

export default defineInvariant({
  id: 'user-progress',
  kind: 'step',
  summary: 'single-stepping user code makes progress (no trap loop at one RIP)',
  source: 'linux-entry-history 1.1 (the stuck_here comment), B4; x86-semantics 4.2 (TF after SYSRET traps at once)',
  // Per task: the RIP of its last trap since it last executed an instruction; the RIP it last
  // resumed at with no instruction executed since; a RIP it resumed at and trapped at at once.
  init: () => ({ last: new Map<number, bigint | null>(), resumed: new Map<number, bigint | null>(), stuck: new Map<number, bigint | null>() }),
  check(t, _ctx, m) {
    for (const o of t.observations) {
      if (o.kind === 'return-to-user') m.resumed.set(o.task, o.rip);
      // A signal delivered to a handler is a new frame, and a stepped task reports the step at
      // the handler (signal_setup_done): with SA_NODEFER a second signal may come before the
      // handler's first instruction and report there again. Each report is a new frame's.
      else if (o.kind === 'signal' && o.frame !== undefined) m.last.delete(o.task);
      else if (o.kind === 'user-insn') {
        m.last.set(o.task, null);
        m.resumed.set(o.task, null);
        if (m.stuck.get(o.task) === o.rip) m.stuck.set(o.task, null);
      } else if (o.kind === 'trap') {
        const hex = `0x${o.rip.toString(16)}`;
        if (m.last.get(o.task) === o.rip) return `expected task ${o.task} to execute an instruction between single-step traps, got two traps at ${hex}`;
        m.last.set(o.task, o.rip);
        if (m.resumed.get(o.task) !== o.rip) continue;
        if (m.stuck.get(o.task) === o.rip) return `expected task ${o.task} to get past ${hex}, got it resumed there and trapping before executing it twice (handler code in between)`;
        m.stuck.set(o.task, o.rip);
      }
    }
    // After what the kernel ran first (the observations above), the tracer's write of a RIP.
    for (const id of ripWrittenByTracer(t)) {
      m.last.delete(id);
      m.resumed.delete(id);
      m.stuck.delete(id);
    }
    return true;
  },
});
