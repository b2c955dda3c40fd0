/*
 * The tracer's hardware breakpoints (PTRACE_POKEUSER into u_debugreg, arch/x86/kernel/ptrace.c):
 *   DR0  execute, one-shot: the RF probe at the RIP where user mode is about to resume;
 *   DR1  read/write, 1 byte: the model tracer's watchpoint (tracer.watch, MOV SS);
 *   DR2  execute, for the whole trace: the vDSO's int80_landing_pad;
 *   DR3  execute: the model tracer's breakpoint (tracer.break), whose hits are the child's SIGTRAPs.
 * RF is invisible to user code (every completed instruction clears it, PUSHF stores it as 0),
 * but an instruction breakpoint at the resume RIP fires only when RF is 0 (SDM Vol. 3 17.3.1.1,
 * reference x86-semantics 5.3): that is how the harness sees the RF an exit path left.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <sys/ptrace.h>
#include "driver.h"


/* DR7: Ln enable at bit 2n; R/Wn at 16 + 4n (00 execute, 11 read/write); LENn at 18 + 4n. */
#define DR7_L(n) (1ULL << (2 * (n)))
#define DR7_RW_ACCESS(n) (3ULL << (16 + 4 * (n)))
#define DR7_SLOT(n) (DR7_L(n) | (15ULL << (16 + 4 * (n))))

static int poke_dr(struct drv *d, int n, uint64_t v) {
  return ptrace(PTRACE_POKEUSER, d->pid, offsetof(struct user, u_debugreg[n]), v) == 0 ? 0 : -1;
}

static int set_dr7(struct drv *d, uint64_t dr7) {
  if (dr7 == d->dr7) return 0;
  if (poke_dr(d, 7, dr7) != 0) return -1;
  d->dr7 = dr7;
  return 0;
}

/* Arms slot n at addr: execute (len 1, RW 00) or read/write of one byte. 0 on success. */
int dr_arm(struct drv *d, int n, uint64_t addr, int watch) {
  uint64_t dr7 = d->dr7 & ~DR7_SLOT(n);
  /* The address must be valid while its slot is enabled: disable, set, enable. */
  if (set_dr7(d, dr7) != 0 || poke_dr(d, n, addr) != 0) return -1;
  return set_dr7(d, dr7 | DR7_L(n) | (watch ? DR7_RW_ACCESS(n) : 0));
}

void dr_disarm(struct drv *d, int n) {
  set_dr7(d, d->dr7 & ~DR7_SLOT(n));
}

/* The breakpoint slots that caused the last #DB (B0-B3 of the tracee's virtual DR6). */
int dr_hits(struct drv *d) {
  errno = 0;
  long v = ptrace(PTRACE_PEEKUSER, d->pid, offsetof(struct user, u_debugreg[6]), 0);
  return errno != 0 ? 0 : (int)(v & 0xf);
}

/*
 * Arms the RF probe where user mode resumes next, when the frame it returns from has RF set
 * (IRET would restore it, SYSRET would clear it; with RF clear in the frame both give 0) and
 * that is code the harness placed (a RIP outside the code pages either faults on fetch, which
 * the harness defers, or is the vDSO, whose landing pad has its own breakpoint). The probe is
 * settled by the next stop. (Each breakpoint write is a perf event update: not on every return.)
 */
void rf_probe_arm(struct drv *d, uint64_t rip, uint64_t flags) {
  d->probe = 0;
  if (!in_code(rip, 1) || (flags & RF) == 0) return;
  if (dr_arm(d, 0, rip, 0) == 0) { d->probe = 1; d->probe_rip = rip; }
}

void rf_probe_disarm(struct drv *d) {
  if (!d->probe) return;
  dr_disarm(d, 0);
  d->probe = 0;
}

/* The landing pad's breakpoint, armed once per trace when a fast system call may return there. */
void arm_landing(struct drv *d) {
  if (vdso.ok && !d->landing_armed && dr_arm(d, 2, vdso.landing, 0) == 0) d->landing_armed = 1;
}

/* RF as a probe (or the landing pad's breakpoint) learned it, for a record that ends there. */
void apply_rf(const struct drv *d, struct record *rec) {
  if (d->rf_known < 0 || rec->state != ST_BOUNDARY || rec->regs.rip != d->rf_rip) return;
  rec->rf_probe = 1;
  rec->regs.eflags = (rec->regs.eflags & ~RF) | (d->rf_known ? RF : 0);
}

/*
 * A #DB from one of the harness's execute breakpoints (si_code TRAP_HWBKPT). Returns 1 when the
 * stop is the RF probe (the caller resumes at once, the breakpoint spent), 2 when it is a
 * boundary (the landing pad, or the model tracer's breakpoint met at a driver int3), 0 otherwise
 * (the watchpoint, or the tracer's breakpoint on an event's instruction: the child's SIGTRAP).
 */
int dr_stop(struct drv *d) {
  int hits = dr_hits(d);
  if ((hits & 1) && d->probe && d->regs.rip == d->probe_rip) {
    /* The breakpoint fired, so RF was 0 where user mode resumed. The kernel set RF in pt_regs
     * to step over it (hw_breakpoint_handler); with the breakpoint gone, put RF back. */
    d->rf_known = 0;
    d->rf_rip = d->probe_rip;
    rf_probe_disarm(d);
    d->regs.eflags &= ~RF;
    set_regs(d);
    return 1;
  }
  if ((hits & 4) && vdso.ok && d->regs.rip == vdso.landing) {
    /* Arrived at int80_landing_pad with RF = 0; RF stays set in pt_regs to pass DR2 next time. */
    d->rf_known = 0;
    d->rf_rip = d->regs.rip;
    rf_probe_disarm(d);
    return 2;
  }
  if ((hits & 8) && !d->brk_now && code_byte(d->regs.rip) == 0xcc && d->regs.rip != d->event_int3) {
    /* The tracer's breakpoint is on the driver int3 that ends this event: the instruction it
     * guards belongs to the next event, and the model takes the #DB with it, as it takes a
     * fetch fault. The kernel set RF in pt_regs to step over the breakpoint; clear it, so the
     * next event's resume meets the breakpoint again, RF being 0 here (the #DB fired). */
    d->regs.eflags &= ~RF;
    set_regs(d);
    rf_probe_disarm(d);
    return 2;
  }
  return 0;
}
