/**
 * Single-stepping user code makes progress: a task never takes two single-step traps at the same
 * RIP without executing an instruction in between (the opportunistic-SYSRET TF loop, B4).
 */
import { defineInvariant } from '../../src/index.ts';

export default defineInvariant({
  id: 'user-progress',
  kind: 'step',
  summary: 'single-stepping user code makes progress (no trap loop at one RIP)',
  source: 'linux-entry-history 1.1 (the stuck_here comment), B4; x86-semantics 4.2 (TF after SYSRET traps at once)',
  // Per task: the RIP of its last trap since it last executed an instruction (null: none).
  init: () => new Map<number, bigint | null>(),
  check(t, _ctx, last) {
    for (const o of t.observations) {
      if (o.kind === 'user-insn') last.set(o.task, null);
      else if (o.kind === 'trap') {
        if (last.get(o.task) === o.rip) return `expected task ${o.task} to execute an instruction between single-step traps, got two traps at 0x${o.rip.toString(16)}`;
        last.set(o.task, o.rip);
      }
    }
    return true;
  },
});
