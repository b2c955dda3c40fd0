/*
 * The machine's safety: which system calls a trace's child may make, enforced by the kernel.
 *
 * Just before it stops for its tracer, the child installs a seccomp filter (its last act of its
 * own). From then on every system call, by SYSCALL, SYSENTER or int $0x80, is checked by the
 * kernel on its final register values: seccomp runs after the ptrace syscall-entry stop, "to
 * catch any tracer changes" (kernel/entry/common.c syscall_trace_enter, since 4.8). Allowed:
 * the co-simulation subset, and kill() only when the target is the child itself or its own
 * process group (pid 0: spawn_child made the child a group of one). Anything else stops the
 * child with PTRACE_EVENT_SECCOMP (SECCOMP_RET_TRACE), and the harness kills it and reports the
 * trace as refused (settle.c). Without a tracer, SECCOMP_RET_TRACE fails the call with -ENOSYS.
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <unistd.h>
#include "harness.h"

/* The subset, by ABI (syscall_64.tbl, syscall_32.tbl): getpid, sched_yield, rt_sigreturn,
 * modify_ldt (per process), exit, exit_group; 32-bit also sigreturn. kill is checked apart. */
static const uint32_t ALLOW64[] = { 39, 24, 15, 154, 60, 231 };
static const uint32_t ALLOW32[] = { 20, 158, 173, 119, 123, 1, 252 };
#define KILL64 62
#define KILL32 37

#define MAX_INSNS 64
struct prog { struct sock_filter f[MAX_INSNS]; int n; int ok; };

static void emit(struct prog *p, struct sock_filter i) {
  if (p->n < MAX_INSNS) p->f[p->n++] = i; else p->ok = 0;
}

/* Jumps to the two returns are patched once their positions are known: jt/jf hold a marker. */
enum { TO_ALLOW = 0xfe, TO_REFUSE = 0xfd, TO_NEXT = 0 };

static void patch(struct prog *p, int allow, int refuse) {
  for (int i = 0; i < p->n; i++) {
    struct sock_filter *f = &p->f[i];
    if (BPF_CLASS(f->code) != BPF_JMP || BPF_OP(f->code) == BPF_JA) continue;
    if (f->jt == TO_ALLOW) f->jt = (unsigned char)(allow - i - 1);
    else if (f->jt == TO_REFUSE) f->jt = (unsigned char)(refuse - i - 1);
    if (f->jf == TO_ALLOW) f->jf = (unsigned char)(allow - i - 1);
    else if (f->jf == TO_REFUSE) f->jf = (unsigned char)(refuse - i - 1);
  }
}

/* One ABI's checks: the allowed numbers, then kill with its target in args[0]'s low 32 bits
 * (kill takes a pid_t: the upper half of a 64-bit register never reaches it). */
static void abi(struct prog *p, const uint32_t *allow, int nallow, uint32_t kill, uint32_t self) {
  emit(p, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)));
  for (int i = 0; i < nallow; i++) emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, allow[i], TO_ALLOW, TO_NEXT));
  emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kill, TO_NEXT, TO_REFUSE));
  emit(p, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])));
  emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, self, TO_ALLOW, TO_NEXT));
  emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, TO_ALLOW, TO_REFUSE));
}

/* Installs the filter for a child whose pid is `self`; 0 on success. */
int install_guard(pid_t self) {
  struct prog p = { .n = 0, .ok = 1 };
  emit(&p, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)));
  emit(&p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0));
  int to32 = p.n;
  emit(&p, (struct sock_filter)BPF_STMT(BPF_JMP | BPF_JA, 0)); /* offset set below */
  abi(&p, ALLOW64, sizeof ALLOW64 / sizeof ALLOW64[0], KILL64, (uint32_t)self);
  p.f[to32].k = (uint32_t)(p.n - to32 - 1);
  emit(&p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_I386, TO_NEXT, TO_REFUSE));
  /* The JA above lands here with the accumulator still holding arch. */
  abi(&p, ALLOW32, sizeof ALLOW32 / sizeof ALLOW32[0], KILL32, (uint32_t)self);
  int allow = p.n;
  emit(&p, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
  int refuse = p.n;
  emit(&p, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE));
  if (!p.ok) return -1;
  patch(&p, allow, refuse);
  struct sock_fprog prog = { .len = (unsigned short)p.n, .filter = p.f };
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -1;
  return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) == 0 ? 0 : -1;
}
