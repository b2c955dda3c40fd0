/*
 * The traced child: the model's initial user state made real. After fork it leaves the
 * inherited C stack (which may sit where the model's user stack goes), maps the model's regions
 * at their fixed addresses (the 32-bit ones too, with the kernel's 32-bit vDSO), installs the
 * model's signal handlers, and stops itself; from then
 * on it only runs the instructions its tracer writes into the code page.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "harness.h"

/* The kernel's struct sigaction (arch/x86/include/uapi/asm/signal.h), used through the raw
 * syscall so that the flags are exactly ours (libc would add its own restorer). */
struct ksigaction {
  uint64_t handler;
  unsigned long flags;
  uint64_t restorer;
  uint64_t mask;
};
#define K_SA_SIGINFO 0x4UL
#define K_SA_RESTORER 0x04000000UL
#define K_SA_NODEFER 0x40000000UL
#define K_SA_RESTART 0x10000000UL

/* Signals the model's task 1 handles (src/kernel/initial.ts). */
static const int HANDLED[] = { SIGILL, SIGTRAP, SIGBUS, SIGUSR1, SIGSEGV, SIGUSR2 };

static void map_or_die(uint64_t addr, uint64_t len, int prot, int flags, int fd, int code) {
  void *p = mmap((void *)addr, len, prot, flags | MAP_FIXED, fd, 0);
  if (p != (void *)addr) _exit(code);
}

static void __attribute__((noreturn, noinline)) child_main(int code_fd, int scratch_fd, int compat_fd) {
  map_or_die(CODE_BASE, CODE_SIZE, PROT_READ | PROT_EXEC, MAP_SHARED, code_fd, 101);
  map_or_die(COMPAT_BASE, COMPAT_SIZE, PROT_READ | PROT_EXEC, MAP_SHARED, compat_fd, 101);
  map_or_die(COMPAT_STACK_TOP - COMPAT_STACK_SIZE, COMPAT_STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 105);
  map_or_die(SCRATCH_BASE, SCRATCH_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, scratch_fd, 102);
  map_or_die(DATA_BASE, DATA_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 103);
  map_or_die(DEMAND_BASE, DEMAND_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 104);
  map_or_die(STACK_TOP - STACK_SIZE, STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 105);
  /* Every signal at its default action, then the model's handlers: SA_SIGINFO (si_code and
   * si_addr), SA_RESTART (the model restarts -ERESTARTSYS), SA_NODEFER (the model does not
   * block a signal while its handler runs). The restorer is never used: the harness performs
   * rt_sigreturn itself. */
  struct ksigaction dfl = { 0 };
  for (int s = 1; s < 32; s++)
    if (s != SIGKILL && s != SIGSTOP) syscall(SYS_rt_sigaction, s, &dfl, NULL, 8);
  struct ksigaction sa = { HANDLER, K_SA_SIGINFO | K_SA_RESTORER | K_SA_NODEFER | K_SA_RESTART, HANDLER + 0x180, 0 };
  for (unsigned i = 0; i < sizeof HANDLED / sizeof HANDLED[0]; i++)
    if (syscall(SYS_rt_sigaction, HANDLED[i], &sa, NULL, 8) != 0) _exit(106);
  uint64_t none = 0;
  if (syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, 8) != 0) _exit(107);
  stack_t ss = { .ss_flags = SS_DISABLE };
  sigaltstack(&ss, NULL);
  /* The kernel's 32-bit vDSO where the model has it (compat.c); without it, no 32-bit fast
   * system calls are generated (the probe reports "vdso": null). */
  remap_vdso32();
  /* The last thing of its own: the seccomp guard (guard.c). Without it, no trace runs. */
  if (install_guard((pid_t)syscall(SYS_getpid)) != 0) _exit(111);
  syscall(SYS_kill, syscall(SYS_getpid), SIGSTOP);
  _exit(108); /* only reached if the tracer let the child return here */
}

/* Forks the child; it is stopped (SIGSTOP, traced) when its parent first waits for it. */
pid_t spawn_child(int code_fd, int scratch_fd, int compat_fd) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (setpgid(0, 0) != 0) _exit(110); /* kill(0, sig) in a trace must reach this process only */
  if (ptrace(PTRACE_TRACEME, 0, 0, 0) != 0) _exit(100);
  /* A fresh stack away from the model's regions (mmap picks an address below the stack gap). */
  size_t len = 1 << 16;
  char *stack = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (stack == MAP_FAILED || (uint64_t)stack + len > STACK_TOP - STACK_SIZE) _exit(109);
  __asm__ volatile("mov %0, %%rsp\n\tmov %1, %%edi\n\tmov %2, %%esi\n\tmov %3, %%edx\n\tcall *%4\n\tud2"
                   :: "r"(stack + len - 64), "r"(code_fd), "r"(scratch_fd), "r"(compat_fd), "r"(child_main)
                   : "memory", "rdi", "rsi", "rdx");
  __builtin_unreachable();
}
