/*
 * The tracer's view of one child while a trace runs (driver.c, settle.c, util.c).
 */
#ifndef ENTRYCHECK_DRIVER_H
#define ENTRYCHECK_DRIVER_H

#include "harness.h"

struct drv {
  pid_t pid;
  int state;                      /* ST_BOUNDARY, ST_STOPPED or ST_DEAD */
  const char *stop;               /* the ptrace stop the child is in (ST_STOPPED) */
  struct user_regs_struct regs;   /* user registers at the boundary, pt_regs when stopped */
  int attached, syscalls;         /* the model's tracer.attach and its syscall-stop option */
  int stepping;                   /* the model's tracer asked for a single step */
  int internal_sysstops;          /* syscall stops the harness asked for itself */
  int deferred;                   /* stopped where resuming returns to user mode at a RIP that
                                     faults on fetch: the model takes that fault with the next
                                     user event, so the harness resumes only then */
  uint64_t watch;                 /* watched address (0: none) */
  uint64_t brk;                   /* the model's tracer's execute breakpoint, DR3 (0: none) */
  int brk_now;                    /* this event's own instruction meets it: the #DB is the child's */
  uint64_t event_int3;            /* the current event's own int3 (not a driver breakpoint) */
  int popf_restore;               /* RSP to put back after a POPFQ from the scratch slot */
  uint64_t popf_rsp;
  int pending;                    /* a signal was passed to the child: delivered or not? */
  struct sig_obs pend;
  uint64_t pend_rsp;              /* RSP when it was passed (a delivery moves it to the frame) */
  struct sig_obs last;            /* the last signal seen (for a fatal exit's si_code) */
  int timed_out;
  int exit_signal;
  int internal_step;              /* the harness single-steps (a jump, the vDSO epilogue): the
                                     trap is its own, not the model tracer's */
  uint64_t dr7;                   /* the DR7 the harness last wrote (debugreg.c) */
  int landing_armed;              /* DR2 is at the vDSO's landing pad */
  int probe;                      /* DR0 is armed at probe_rip to learn RF there */
  uint64_t probe_rip;
  int rf_known;                   /* RF learned at rf_rip during this event (-1: nothing) */
  uint64_t rf_rip;
  int restore_rax;                /* RAX to put back after a WRGSBASE loaded it (user.wrgsbase
                                     takes its value from the event, not from a register) */
  uint64_t saved_rax;
  int event;                      /* index of the trace event being run (for a refusal) */
  char refused[160];              /* the system call the seccomp guard stopped, if any */
};

/* util.c */
int get_regs(struct drv *d);
int set_regs(struct drv *d);
int mem_write(pid_t pid, uint64_t addr, const void *buf, size_t len);
int mem_read(pid_t pid, uint64_t addr, void *buf, size_t len);
int page_present(pid_t pid, uint64_t addr);
int signal_pending(pid_t pid);
int in_code(uint64_t addr, uint64_t len);
int code_byte(uint64_t addr);

/* driver.c */
void snapshot(const struct drv *d, struct record *rec);
int fetchable(uint64_t addr);
int intel_cpu(void);
void put_code(uint64_t addr, const unsigned char *bytes, size_t len);
int wait_child(struct drv *d, int *status);

/* debugreg.c */
int dr_arm(struct drv *d, int n, uint64_t addr, int watch);
void dr_disarm(struct drv *d, int n);
int dr_hits(struct drv *d);
void rf_probe_arm(struct drv *d, uint64_t rip, uint64_t flags);
void arm_landing(struct drv *d);
void rf_probe_disarm(struct drv *d);
void apply_rf(const struct drv *d, struct record *rec);
int dr_stop(struct drv *d);

/* frame.c, compat.c */
void read_frame(pid_t pid, uint64_t uc, struct sig_obs *s);
uint64_t forge_frame(pid_t pid, const struct event *e, uint64_t frame, uint64_t *flags);
void forge_frame32(pid_t pid, const struct event *e, const struct user_regs_struct *live, uint64_t esp);
int in_vdso(uint64_t addr);
void vdso_call(struct drv *d, const struct event *e, uint64_t rip);

/* settle.c */
void settle(struct drv *d, struct record *rec, int request);
int resume_request(const struct drv *d);
int defer_if_fetch_faults(struct drv *d);

#endif
