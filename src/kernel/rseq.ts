/**
 * Restartable sequences (rseq): a task's critical section [start, end) and its abort handler.
 * If the task is preempted or gets a signal while its user RIP is inside the section, the
 * kernel moves the user RIP to the abort handler before the task runs user code again
 * (kernel/rseq.c rseq_ip_fixup). Designs differ in where that fix-up runs.
 */
import type { Ctx } from './ctx.ts';
import { RSEQ_ABORT, RSEQ_CS_END, RSEQ_CS_START } from './layout.ts';
import { cur, ret, writePt } from './ops.ts';
import { step, type Program } from './program.ts';
import { ptRead } from './observe.ts';

/** True when a user RIP lies inside the registered critical section. */
export const inRseqCs = (rip: bigint): boolean => rip >= RSEQ_CS_START && rip < RSEQ_CS_END;

/** rseq_handle_notify_resume, called from the exit-to-user loop. */
export function rseqProgram(_c: Ctx): Program[] {
  return [{
    name: 'rseq_handle_notify_resume',
    items: [
      step('rseq_ip_fixup: regs->ip = abort_ip if inside the critical section', (w) => {
        ptRead(w, 'rseq fix-up (exit to user)');
        if (inRseqCs(cur(w).regs.rip)) writePt(w, { rip: RSEQ_ABORT });
      }),
      step('ret', (w) => ret(w)),
    ],
  }];
}
