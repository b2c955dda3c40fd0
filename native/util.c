/*
 * Small ptrace and memory helpers for the driver.
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include "driver.h"

extern volatile sig_atomic_t alarm_fired;

int get_regs(struct drv *d) {
  return ptrace(PTRACE_GETREGS, d->pid, 0, &d->regs) == 0 ? 0 : -1;
}

int set_regs(struct drv *d) {
  return ptrace(PTRACE_SETREGS, d->pid, 0, &d->regs) == 0 ? 0 : -1;
}

/* Writes into the child as the tracer. process_vm_writev honours page protections (a forged
 * signal frame on an unwritable stack is left unwritten, as user code could not write it). */
int mem_write(pid_t pid, uint64_t addr, const void *buf, size_t len) {
  struct iovec local = { (void *)buf, len }, remote = { (void *)addr, len };
  return process_vm_writev(pid, &local, 1, &remote, 1, 0) == (ssize_t)len ? 0 : -1;
}

int mem_read(pid_t pid, uint64_t addr, void *buf, size_t len) {
  struct iovec local = { buf, len }, remote = { (void *)addr, len };
  return process_vm_readv(pid, &local, 1, &remote, 1, 0) == (ssize_t)len ? 0 : -1;
}

/* Whether the child has a page table entry for `addr` (/proc/PID/pagemap bit 63). */
int page_present(pid_t pid, uint64_t addr) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/pagemap", (int)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  uint64_t entry = 0;
  ssize_t n = pread(fd, &entry, sizeof entry, (off_t)((addr >> 12) * 8));
  close(fd);
  if (n != (ssize_t)sizeof entry) return -1;
  return (int)(entry >> 63);
}

/* Whether a signal is pending for the child (SigPnd or ShdPnd in /proc/PID/status). */
int signal_pending(pid_t pid) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  FILE *f = fopen(path, "re");
  if (f == NULL) return 0;
  int pending = 0;
  while (fgets(line, sizeof line, f) != NULL) {
    if (strncmp(line, "SigPnd:", 7) == 0 || strncmp(line, "ShdPnd:", 7) == 0)
      pending |= strtoull(line + 7, NULL, 16) != 0;
  }
  fclose(f);
  return pending;
}

static int in_range(uint64_t addr, uint64_t len, uint64_t base, uint64_t size) {
  return addr >= base && addr < base + size && len <= base + size - addr;
}

/* In one of the code regions the harness writes (64-bit at CODE_BASE, 32-bit at COMPAT_BASE). */
int in_code(uint64_t addr, uint64_t len) {
  return in_range(addr, len, CODE_BASE, CODE_SIZE) || in_range(addr, len, COMPAT_BASE, COMPAT_SIZE);
}

/* Whether an instruction fetch at `addr` succeeds: the code regions and the vDSO's text. */
/* The CPU is Intel's (CPUID leaf 0: "GenuineIntel"), where IRET to 32-bit code differs (settle.c). */
int intel_cpu(void) {
  static int known = -1;
  if (known < 0) {
    unsigned a, b, c, d;
    known = __get_cpuid(0, &a, &b, &c, &d) && b == 0x756e6547 && d == 0x49656e69 && c == 0x6c65746e;
  }
  return known;
}

int fetchable(uint64_t addr) {
  return in_code(addr, 1) || in_vdso(addr);
}

/* The code regions are shared with the child, so placing code is a memcpy. */
/* The byte the harness placed at `addr` in a code region (0xcc: a driver int3, the filler). */
int code_byte(uint64_t addr) {
  if (in_range(addr, 1, CODE_BASE, CODE_SIZE)) return code_view[addr - CODE_BASE];
  if (in_range(addr, 1, COMPAT_BASE, COMPAT_SIZE)) return compat_view[addr - COMPAT_BASE];
  return -1;
}

void put_code(uint64_t addr, const unsigned char *bytes, size_t len) {
  if (in_range(addr, len, CODE_BASE, CODE_SIZE)) memcpy(code_view + (addr - CODE_BASE), bytes, len);
  else if (in_range(addr, len, COMPAT_BASE, COMPAT_SIZE)) memcpy(compat_view + (addr - COMPAT_BASE), bytes, len);
}

/* waitpid that gives up when the trace's time limit passes (SIGALRM interrupts it). */
int wait_child(struct drv *d, int *status) {
  for (;;) {
    if (alarm_fired) {
      d->timed_out = 1;
      return -1;
    }
    pid_t r = waitpid(d->pid, status, __WALL);
    if (r == d->pid) return 0;
    if (r < 0 && errno == EINTR) continue;
    return -1;
  }
}
