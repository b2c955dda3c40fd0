/*
 * Running the child until the current event is over: it reaches a driver breakpoint (a user
 * boundary), stops for the model's tracer (syscall stop, single-step report), or dies. Signals
 * on the way are passed to the child like an uninvolved debugger would, and recorded once
 * their outcome is known: delivered (the handler is reached) or fatal. A signal whose frame
 * cannot be written is not delivered; the kernel's follow-up SIGSEGV is what gets recorded,
 * as in the model.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include "driver.h"

#define SI_KERNEL_CODE 0x80
static const int HANDLED[] = { SIGILL, SIGTRAP, SIGBUS, SIGUSR1, SIGSEGV, SIGUSR2 };

static int handled(int sig) {
  for (unsigned i = 0; i < sizeof HANDLED / sizeof HANDLED[0]; i++)
    if (HANDLED[i] == sig) return 1;
  return 0;
}

/*
 * At a stop from which the child would return to user mode (a syscall-exit stop, a single-step
 * report): if the return itself succeeds (user CS and SS, a RIP the CS allows: otherwise IRET
 * faults in the kernel, which the model also does at once) but the RIP is outside the code pages,
 * the CPU would fault on the fetch immediately, while the model takes that fault with the next
 * user event. The harness keeps the child stopped and reports the boundary the model sees
 * (pt_regs); the next user event resumes it. Returns 1 when it deferred.
 */
int defer_if_fetch_faults(struct drv *d) {
  uint64_t rip = d->regs.rip;
  int canonical = (int64_t)(rip << 16) >> 16 == (int64_t)rip;
  /* 32-bit code: AMD's IRET checks RIP against the 4 GiB CS limit, in the kernel; Intel's checks
   * that it is canonical and returns to its low half (src/isa/iret.ts). */
  int returns = d->regs.cs == USER_CS ? canonical
      : d->regs.cs == USER32_CS && (intel_cpu() ? canonical : rip >> 32 == 0);
  if (fetchable(d->regs.cs == USER32_CS ? (uint32_t)rip : rip) || !returns || d->regs.ss != USER_DS) return 0;
  /* A pending signal is delivered on the way out, before any fetch: nothing to defer. */
  if (signal_pending(d->pid)) return 0;
  d->deferred = 1;
  d->state = ST_BOUNDARY;
  d->stop = NULL;
  return 1;
}

/* The request that resumes the child as the model's tracer would. */
int resume_request(const struct drv *d) {
  if (d->stepping || d->internal_step) return PTRACE_SINGLESTEP;
  return d->syscalls || d->internal_sysstops ? PTRACE_SYSCALL : PTRACE_CONT;
}

static void add_sig(struct record *rec, struct sig_obs s) {
  if (rec->nsig < MAX_SIGS) rec->sig[rec->nsig++] = s;
}

/* A stop at one of the int3 bytes the harness placed (the whole code page is int3 filler). */
static int driver_stop(const struct drv *d, int sig, const siginfo_t *si) {
  uint64_t at = d->regs.rip - 1;
  return sig == SIGTRAP && si->si_code == SI_KERNEL_CODE && in_code(at, 1) && at != d->event_int3;
}

/*
 * The seccomp guard stopped a system call outside the subset (guard.c): the call has not run.
 * The child is killed before it can go on, and the trace ends as refused.
 */
static void refuse(struct drv *d, struct record *rec) {
  struct __ptrace_syscall_info info;
  memset(&info, 0, sizeof info);
  ptrace(PTRACE_GET_SYSCALL_INFO, d->pid, sizeof info, &info);
  int is64 = info.arch == 0xc000003eU; /* AUDIT_ARCH_X86_64 */
  unsigned long long nr = info.seccomp.nr, a0 = info.seccomp.args[0];
  if (nr == (is64 ? 62ULL : 37ULL))
    snprintf(d->refused, sizeof d->refused, "kill(%d, %llu) refused: a trace may signal only its own process",
             (int)(uint32_t)a0, (unsigned long long)info.seccomp.args[1]);
  else
    snprintf(d->refused, sizeof d->refused, "system call %llu (%s ABI) refused: outside the co-simulation subset", nr, is64 ? "64-bit" : "32-bit");
  kill(d->pid, SIGKILL);
  int status;
  while (wait_child(d, &status) == 0 && !WIFEXITED(status) && !WIFSIGNALED(status)) {}
  d->state = ST_DEAD;
  d->stop = NULL;
  rec->note = "refused by the seccomp guard";
}

static void boundary(struct drv *d) {
  d->regs.rip -= 1;
  set_regs(d);
  d->state = ST_BOUNDARY;
  d->stop = NULL;
}

static void died(struct drv *d, struct record *rec, int status) {
  d->state = ST_DEAD;
  d->stop = NULL;
  if (!WIFSIGNALED(status)) return;
  int s = WTERMSIG(status);
  d->exit_signal = s;
  if (s == SIGKILL) return;
  struct sig_obs o = { .signo = s, .fatal = 1, .rip = d->regs.rip };
  if (d->last.signo == s) o = d->last, o.fatal = 1;
  add_sig(rec, o);
}

void settle(struct drv *d, struct record *rec, int request) {
  int sig = 0;
  for (;;) {
    if (ptrace(request, d->pid, 0, sig) != 0) { rec->note = "ptrace resume failed"; d->state = ST_DEAD; return; }
    sig = 0;
    int status;
    if (wait_child(d, &status) != 0) return;
    if (WIFEXITED(status) || WIFSIGNALED(status)) { died(d, rec, status); return; }
    if (!WIFSTOPPED(status)) continue;
    int s = WSTOPSIG(status);
    if (s == SIGTRAP && (status >> 16) == PTRACE_EVENT_SECCOMP) { refuse(d, rec); return; }
    get_regs(d);
    if (d->popf_restore || d->restore_rax) {
      /* POPFQ has run (it cannot fault) or was never fetched: RSP is the user's again; likewise
       * RAX after WRGSBASE (run or faulted: the signal frame must hold the user's RAX). */
      if (d->popf_restore) d->regs.rsp = d->popf_rsp;
      if (d->restore_rax) d->regs.rax = d->saved_rax;
      d->popf_restore = d->restore_rax = 0;
      set_regs(d);
    }
    if (d->pending) {
      /* Delivered: the child is at the handler (about to run it, or stopped on its int3). */
      int at_handler = (d->regs.rip == HANDLER || d->regs.rip == HANDLER + 1) && d->regs.rsp != d->pend_rsp;
      if (at_handler) {
        d->pend.rsp = d->regs.rsp;
        d->pend.rsi = d->regs.rsi;
        d->pend.rdx = d->regs.rdx;
        read_frame(d->pid, d->regs.rdx, &d->pend);
        /* The interrupted RIP is the frame's: handle_signal may have moved it back to restart
         * the system call after the signal-delivery stop where it was first seen. */
        if (d->pend.nctx) d->pend.rip = d->pend.ctx[SC_RIP];
        add_sig(rec, d->pend);
      }
      d->pending = 0;
    }
    if (s == (SIGTRAP | 0x80)) {
      rf_probe_disarm(d); /* not settled: user mode did not resume where it was armed */
      struct __ptrace_syscall_info info;
      memset(&info, 0, sizeof info);
      ptrace(PTRACE_GET_SYSCALL_INFO, d->pid, sizeof info, &info);
      int exit = info.op == PTRACE_SYSCALL_INFO_EXIT;
      if (!d->syscalls) {
        /* A stop the harness asked for: user code resumes at RIP; give it a breakpoint. */
        if (exit) {
          d->internal_sysstops = 0;
          if (defer_if_fetch_faults(d)) return;
          static const unsigned char int3 = 0xcc;
          put_code(d->regs.rip, &int3, 1);
          rf_probe_arm(d, d->regs.rip, d->regs.eflags); /* RF as the return leaves it (DR3 reads it) */
        }
        request = resume_request(d);
        continue;
      }
      d->state = ST_STOPPED;
      d->stop = exit ? "syscall-exit" : "syscall-entry";
      return;
    }
    siginfo_t si;
    memset(&si, 0, sizeof si);
    ptrace(PTRACE_GETSIGINFO, d->pid, 0, &si);
    if (s == SIGTRAP && si.si_code == TRAP_HWBKPT) {
      int k = dr_stop(d);
      if (k == 1) { request = resume_request(d); continue; }
      if (k == 2) { d->state = ST_BOUNDARY; d->stop = NULL; d->internal_step = 0; return; }
    }
    int at_driver = driver_stop(d, s, &si);
    if (d->probe) {
      /* The first stop after the probe was armed: the instruction there ran, so RF was 1. */
      if (at_driver && d->regs.rip - 1 == d->probe_rip) { d->rf_known = 1; d->rf_rip = d->probe_rip; }
      rf_probe_disarm(d);
    }
    if (at_driver) {
      /* The probe's int3 ran there, so the CPU cleared RF; put back the RF it found (1), so the
       * next event's instruction runs as it would have: past the tracer's breakpoint (DR3). */
      if (d->rf_known == 1 && d->rf_rip == d->regs.rip - 1) d->regs.eflags |= RF;
      boundary(d);
      return;
    }
    if (d->internal_step && s == SIGTRAP && si.si_code == TRAP_TRACE) {
      /* The harness's own step: through the vDSO's epilogue, or a jump that ends at its target. */
      if (in_vdso(d->regs.rip)) { request = PTRACE_SINGLESTEP; continue; }
      d->internal_step = 0;
      d->state = ST_BOUNDARY;
      d->stop = NULL;
      return;
    }
    d->internal_step = 0; /* anything else (a fault, a signal) ends the harness's stepping */
    /* The single step the model's tracer asked for is done (a trap after an instruction, the
     * report at syscall exit, or ptrace_notify(SIGTRAP) at the entry of a signal handler
     * stepped into): a debugger swallows the trap. */
    if (d->stepping && s == SIGTRAP && (si.si_code == TRAP_TRACE || si.si_code == TRAP_BRKPT || si.si_code == SIGTRAP)) {
      if (rec->ntrap < MAX_SIGS) rec->trap[rec->ntrap++] = d->regs.rip;
      d->state = ST_STOPPED;
      d->stop = "singlestep";
      return;
    }
    if (s == SIGTRAP && si.si_code == SI_KERNEL_CODE && d->regs.rip - 1 == d->event_int3)
      d->event_int3 = ~0ULL; /* the event's own int3 fires once; later ones are ours */
    /* A signal for the child: pass it on, and learn at the next stop whether it was delivered. */
    struct sig_obs o = { .signo = s, .code = si.si_code, .rip = d->regs.rip };
    if (si.si_code > 0) o.addr = (uint64_t)si.si_addr;
    d->last = o;
    if (handled(s)) {
      d->pending = 1;
      d->pend = o;
      d->pend_rsp = d->regs.rsp;
      static const unsigned char int3 = 0xcc;
      put_code(HANDLER, &int3, 1);
    }
    sig = s;
    request = resume_request(d); /* a stepping tracer steps into the handler: a stop there */
  }
}
