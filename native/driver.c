/*
 * Executing user events for real: register setup, the instruction written at the child's RIP
 * with a driver int3 after it, and the model abstractions the harness reproduces on purpose
 * (each one is listed in docs/cosim.md):
 * - user.popf loads RFLAGS from an immediate and leaves RSP alone: POPFQ runs with RSP on a
 *   scratch slot and RSP is put back at the next boundary; user.wrgsbase likewise takes its
 *   value from the event: RAX is loaded for WRGSBASE and put back;
 * - user.syscall rt_sigreturn runs where a handler's `ret` into the restorer would (RSP + 8),
 *   after the forged fields are written into the ucontext, as user code would write them;
 * - an access to a demand page the child has not touched yet is a fault the model resolves
 *   without retiring the instruction (the next event runs at the same RIP): the harness
 *   touches the page through ptrace instead of executing it;
 * - user.movSs and the instruction in its shadow run as one unit (a driver int3 in the shadow
 *   would be the instruction the held #DB applies to);
 * - a return to user mode at a RIP that cannot be fetched faults in the model with the next user
 *   event: the harness holds the child in a ptrace stop until then (settle.c); a jump is
 *   single-stepped so that it ends at its target before the fetch;
 * - in 32-bit code a fast system call is a call through the vDSO (compat.c), whose landing pad
 *   is a boundary of its own; the next event there runs the vDSO's epilogue, whatever it says.
 */
#define _GNU_SOURCE
#include <string.h>
#include <sys/ptrace.h>
#include "driver.h"

#define NR_KILL64 62
#define NR_KILL32 37
#define NR_RT_SIGRETURN64 15
#define NR_RT_SIGRETURN32 173
#define TF 0x100ULL
static const int ARGS64[MAX_ARGS] = { F_RDI, F_RSI, F_RDX, F_R10, F_R8, F_R9 };
static const int ARGS32[MAX_ARGS] = { F_RBX, F_RCX, F_RDX, F_RSI, F_RDI, F_RBP };

/* The tracer-side setup of a user event at `rip`; fills the instruction bytes. */
static size_t prepare(struct drv *d, const struct event *e, uint64_t rip, int compat, unsigned char *out, uint64_t *resume_at,
                      uint64_t *resume_flags) {
  struct user_regs_struct *r = &d->regs;
  uint64_t ss_src = SCRATCH_SS;
  *resume_at = 0;
  switch (e->kind) {
  case EV_SYSCALL: case EV_INT80: case EV_SYSENTER: {
    int is32 = e->kind != EV_SYSCALL || compat;
    r->rax = e->kind == EV_SYSCALL && compat ? e->nr32 : e->nr;
    for (int i = 0; i < e->nargs; i++) {
      uint64_t v = is32 ? (uint32_t)e->args[i] : e->args[i];
      /* The model's pid 1 is the child's real pid (kill(1, sig) signals itself). Any other
       * target is left as it is: the seccomp guard (guard.c) refuses it on the final value. */
      if (i == 0 && r->rax == (uint64_t)(is32 ? NR_KILL32 : NR_KILL64) && v == 1) v = (uint64_t)d->pid;
      *reg_field(r, (is32 ? ARGS32 : ARGS64)[i]) = v;
    }
    if (compat && e->kind != EV_INT80) {
      arm_landing(d);
      vdso_call(d, e, rip);
      return 0;
    }
    /* SYSENTER from 64-bit code: the vDSO's convention EBP = ESP, as the model's event has it;
     * on Intel it returns to the vDSO's landing pad. */
    if (e->kind == EV_SYSENTER) {
      r->rbp = r->rsp;
      arm_landing(d);
    }
    if (e->kind == EV_SYSCALL && e->nr == NR_RT_SIGRETURN64) {
      uint64_t frame = r->rsp;
      r->rsp += 8;
      *resume_at = forge_frame(d->pid, e, frame, resume_flags);
    }
    if (e->kind == EV_INT80 && e->nr == NR_RT_SIGRETURN32) {
      forge_frame32(d->pid, e, r, r->rsp);
      *resume_at = (uint32_t)((e->mask >> F_RIP) & 1 ? e->fields[F_RIP] : rip + 2);
      *resume_flags = (uint32_t)((e->mask >> F_RFLAGS) & 1 ? e->fields[F_RFLAGS] : r->eflags);
    }
    break;
  }
  case EV_POPF:
    d->popf_rsp = r->rsp;
    d->popf_restore = 1;
    r->rsp = SCRATCH_POPF;
    memcpy(scratch_view + (SCRATCH_POPF - SCRATCH_BASE), &e->value, 8);
    break;
  case EV_JUMP: {
    uint64_t target = compat ? (uint32_t)e->value : e->value;
    memcpy(scratch_view + (SCRATCH_JMP - SCRATCH_BASE), &target, 8);
    break;
  }
  case EV_WRGSBASE:
    d->saved_rax = r->rax;
    d->restore_rax = 1;
    r->rax = e->value;
    break;
  case EV_MOVSS: {
    uint16_t sel = (uint16_t)r->ss;
    if (e->flag && d->watch != 0) {
      ss_src = d->watch;
      mem_write(d->pid, ss_src, &sel, 2);
    } else {
      memcpy(scratch_view + (SCRATCH_SS - SCRATCH_BASE), &sel, 2);
    }
    break;
  }
  default:
    break;
  }
  /* The event's own #BP (INT3, or INT 3 in its CD 03 form) leaves RIP after it: not a stop of ours. */
  if (e->kind == EV_INT3 || (e->kind == EV_INT && e->flag == INT_CC)) d->event_int3 = rip;
  if (e->kind == EV_INT && e->flag == INT_CD && e->value == 3) d->event_int3 = rip + 1;
  return encode(e, rip, ss_src, compat, out);
}

/* The record of where an event left the child: its state, stop, registers, and what is known of RF. */
void snapshot(const struct drv *d, struct record *rec) {
  rec->state = d->state;
  rec->stop = d->stop;
  rec->regs = d->regs;
  rec->held = d->deferred;
  apply_rf(d, rec);
}

/* Runs user code until it leaves the vDSO (the landing pad's pops and ret), one step at a time. */
static void run_vdso(struct drv *d, struct record *rec) {
  d->internal_step = 1;
  settle(d, rec, resume_request(d));
  d->internal_step = 0;
}

/* Runs user event i (and the one in a MOV SS shadow); returns how many events it used. */
int exec_user(struct drv *d, const struct trace *t, int i, struct result *res) {
  const struct event *e = &t->ev[i];
  struct record *rec = &res->rec[i];
  if (d->state != ST_BOUNDARY) {
    rec->skipped = 1;
    snapshot(d, rec);
    return 1;
  }
  uint64_t rip = d->regs.rip;
  int compat = d->regs.cs == USER32_CS;
  d->event_int3 = ~0ULL;
  d->rf_known = -1;
  if (d->deferred || !fetchable(rip)) {
    /* The instruction at RIP cannot be fetched: let the CPU take that fault now, before any of
     * the event's register setup (the model faults on the fetch, before the event does anything). */
    d->deferred = 0;
    settle(d, rec, resume_request(d));
    snapshot(d, rec);
    return 1;
  }
  if (d->brk != 0 && rip == d->brk && (d->regs.eflags & RF) == 0) {
    /* The tracer's breakpoint is on this event's instruction, with RF clear: the #DB comes
     * before the event does anything (the model takes it so, as it takes a fetch fault). */
    d->brk_now = 1;
    settle(d, rec, resume_request(d));
    d->brk_now = 0;
    snapshot(d, rec);
    return 1;
  }
  if (in_vdso(rip)) {
    rec->note = "the vDSO's own code ran (int80_landing_pad: pops and ret)";
    run_vdso(d, rec);
    snapshot(d, rec);
    return 1;
  }
  uint64_t addr = compat ? (uint32_t)e->value : e->value;
  if (e->kind == EV_ACCESS && addr >= DEMAND_BASE && addr < DEMAND_BASE + DEMAND_SIZE && page_present(d->pid, addr) == 0) {
    unsigned char byte;
    mem_read(d->pid, addr, &byte, 1);
    rec->note = "demand page filled by the tracer; the model does not retire the instruction";
    /* The model's access faulted and its #PF returned by IRET from a frame with RF set (a
     * fault's image has RF = 1, SDM Vol. 3 17.3.1.1): the next instruction runs with RF set,
     * past an execute breakpoint on it. */
    d->regs.eflags |= RF;
    set_regs(d);
    snapshot(d, rec);
    return 1;
  }
  unsigned char code[64];
  uint64_t resume_at = 0, resume_flags = 0;
  size_t len = prepare(d, e, rip, compat, code, &resume_at, &resume_flags);
  int used = 1;
  if (e->kind == EV_MOVSS && i + 1 < t->n && is_user_event(t->ev[i + 1].kind) && t->ev[i + 1].kind != EV_MOVSS) {
    struct user_regs_struct before = d->regs;
    before.rip = rip + len;
    rec->state = ST_BOUNDARY;
    rec->regs = before;
    rec->note = "boundary in a MOV SS shadow: not observable, synthesized";
    rec = &res->rec[i + 1];
    len += prepare(d, &t->ev[i + 1], rip + len, compat, code + len, &resume_at, &resume_flags);
    used = 2;
  }
  if (len > 0) {
    code[len] = 0xcc;
    put_code(rip, code, len + 1);
  }
  if ((e->kind == EV_SYSCALL && e->nr == NR_RT_SIGRETURN64 && !compat) || (e->kind == EV_INT80 && e->nr == NR_RT_SIGRETURN32)) {
    /* Where rt_sigreturn goes, user code must stop: an int3 there, or (when that would
     * overwrite the syscall itself, or the target is outside the code page) a syscall-exit
     * stop of the harness's own, where settle() places the int3 or defers the fetch fault. */
    if (!in_code(resume_at, 1) || (resume_at >= rip && resume_at < rip + len)) d->internal_sysstops = 1;
    else {
      put_code(resume_at, code + len, 1);
      rf_probe_arm(d, resume_at, resume_flags);
    }
  }
  set_regs(d);
  /* A jump ends at its target, before the fetch there (which may fault: the model takes that
   * fault with the next event): a single step of the harness's own, unless TF is the user's. */
  int step = e->kind == EV_JUMP && !d->stepping && (d->regs.eflags & TF) == 0;
  if (step) d->internal_step = 1;
  settle(d, rec, resume_request(d));
  d->internal_step = 0;
  rf_probe_disarm(d);
  snapshot(d, rec);
  return used;
}
