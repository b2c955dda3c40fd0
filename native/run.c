/*
 * One trace: spawn the child, put it in the model's initial user state, run the events, and
 * clean up whatever happens (the child is always killed and reaped; a time limit bounds it).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/time.h>
#include <sys/user.h>
#include <sys/wait.h>
#include "driver.h"

extern volatile sig_atomic_t alarm_fired;
int exec_user(struct drv *d, const struct trace *t, int i, struct result *res);

static void skip(struct drv *d, struct record *rec) {
  rec->skipped = 1;
  rec->state = d->state;
  rec->stop = d->stop;
  rec->regs = d->regs;
  rec->held = d->deferred;
}

/* tracer.*: the model's ptrace tracer. The harness is the child's tracer all along; `attach`
 * only changes what it reports and how it resumes, as the model's task was untraced before. */
static void exec_tracer(struct drv *d, const struct event *e, struct record *rec) {
  int stopped = d->attached && d->state == ST_STOPPED;
  switch (e->kind) {
  case EV_ATTACH:
    if (d->attached || d->state == ST_DEAD) { skip(d, rec); return; }
    d->attached = 1;
    d->syscalls = e->flag;
    break;
  case EV_WATCH: {
    if (!d->attached || d->state == ST_DEAD) { skip(d, rec); return; }
    uint16_t sel = (uint16_t)d->regs.ss;
    mem_write(d->pid, e->value, &sel, 2);
    dr_arm(d, 1, e->value, 1);
    d->watch = e->value;
    break;
  }
  case EV_BREAK:
    /* The model's tracer's execute breakpoint (kernel/ptrace.ts): a user-half address only, as
     * arch_build_bp_info requires; a later one replaces it. Its hit is a SIGTRAP (TRAP_HWBKPT)
     * that settle() passes on to the child like any signal of the child's. */
    if (!d->attached || d->state == ST_DEAD || e->value >= TASK_SIZE_MAX_4 || dr_arm(d, 3, e->value, 0) != 0) { skip(d, rec); return; }
    d->brk = e->value;
    break;
  case EV_SETREGS:
    if (!stopped) { skip(d, rec); return; }
    for (int f = 0; f < F_COUNT; f++)
      if ((e->mask >> f) & 1) *reg_field(&d->regs, f) = e->fields[f];
    if (set_regs(d) != 0) rec->note = "PTRACE_SETREGS failed";
    get_regs(d);
    break;
  case EV_STEP: case EV_CONT: {
    if (!stopped) { skip(d, rec); return; }
    /* User code resumes at pt_regs->ip unless a signal intervenes: stop it there. */
    static const unsigned char int3 = 0xcc;
    put_code(d->regs.rip, &int3, 1);
    d->stepping = e->kind == EV_STEP;
    d->event_int3 = ~0ULL;
    d->rf_known = -1;
    int to_user = d->stop != NULL && strcmp(d->stop, "syscall-entry") != 0;
    if (to_user && defer_if_fetch_faults(d)) break;
    rf_probe_arm(d, d->regs.rip, d->regs.eflags);
    settle(d, rec, resume_request(d));
    rf_probe_disarm(d);
    break;
  }
  }
  snapshot(d, rec);
}

/* The model's initial task 1: RIP 0x400100, RSP 0x7fffffffe000, RFLAGS IF, other GPRs 0. */
static int initial_state(struct drv *d, struct result *r) {
  int status;
  if (wait_child(d, &status) != 0 || !WIFSTOPPED(status) || WSTOPSIG(status) != SIGSTOP) {
    if (WIFEXITED(status) && WEXITSTATUS(status) == 111)
      snprintf(r->detail, sizeof r->detail, "the child could not install its seccomp guard (seccomp filters unavailable)");
    else snprintf(r->detail, sizeof r->detail, "child setup failed (status 0x%x)", status);
    return -1;
  }
  ptrace(PTRACE_SETOPTIONS, d->pid, 0, PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACESECCOMP);
  if (get_regs(d) != 0) return -1;
  struct user_regs_struct *g = &d->regs;
  for (int f = F_RAX; f <= F_R15; f++) *reg_field(g, f) = 0;
  g->rip = TASK1_RIP;
  g->rsp = TASK1_RSP;
  g->eflags = 0x202;
  g->orig_rax = ~0ULL; /* not in a syscall: nothing to restart */
  g->gs_base = 0;
  g->fs_base = 0; /* libc's TLS pointer until now; the model has no FS base (docs/cosim.md) */
  /* DS and ES as a 32-bit process has them: in 32-bit code a NULL DS faults every data access
   * (64-bit mode ignores DS); the model has no data segment registers (docs/cosim.md). */
  g->ds = g->es = USER_DS;
  if (set_regs(d) != 0) return -1;
  d->state = ST_BOUNDARY;
  find_vdso(d->pid);
  return 0;
}

void run_trace(const struct trace *t, struct result *res, double timeout_s) {
  memset(res, 0, sizeof *res);
  res->status = "ok";
  memset(code_view, 0xcc, CODE_SIZE); /* anything not written this trace is a driver int3 */
  memset(compat_view, 0xcc, COMPAT_SIZE);
  memset(scratch_view, 0, SCRATCH_SIZE);
  long none = -1; /* compat.c: the child's vvar offset, until a child reports it */
  memcpy(scratch_view + 0xf00, &none, sizeof none);
  struct drv d;
  memset(&d, 0, sizeof d);
  d.event_int3 = ~0ULL;
  d.rf_known = -1;
  alarm_fired = 0;
  struct itimerval it = { { 0, 50000 }, { (long)timeout_s, (long)((timeout_s - (long)timeout_s) * 1e6) } };
  setitimer(ITIMER_REAL, &it, NULL);
  d.pid = spawn_child(code_memfd, scratch_memfd, compat_memfd);
  res->pid = d.pid;
  if (d.pid < 0) {
    res->status = "error";
    snprintf(res->detail, sizeof res->detail, "fork failed");
  } else if (initial_state(&d, res) != 0) {
    res->status = d.timed_out ? "hang" : "error";
  } else {
    res->nrec = t->n;
    for (int i = 0; i < t->n && !d.timed_out && d.refused[0] == '\0';) {
      const struct event *e = &t->ev[i];
      d.event = i;
      if (is_user_event(e->kind)) i += exec_user(&d, t, i, res);
      else exec_tracer(&d, e, &res->rec[i++]);
    }
    if (d.refused[0] != '\0') {
      res->status = "refused";
      snprintf(res->detail, sizeof res->detail, "event %d: %s", d.event, d.refused);
    } else if (d.timed_out) {
      res->status = "hang";
      snprintf(res->detail, sizeof res->detail, "time limit of %.1f s", timeout_s);
    }
  }
  res->exit_signal = d.state == ST_DEAD ? d.exit_signal : 0;
  struct itimerval off = { { 0, 0 }, { 0, 0 } };
  setitimer(ITIMER_REAL, &off, NULL);
  if (d.pid > 0) {
    if (d.state != ST_DEAD || d.timed_out) kill(d.pid, SIGKILL);
    int status;
    while (waitpid(d.pid, &status, __WALL) < 0 && errno == EINTR) {}
  }
}
