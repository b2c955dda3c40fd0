/*
 * entrycheck co-simulation harness: the entry point.
 *
 *   harness [--timeout SECONDS]   reads trace lines on stdin, writes one JSON line per trace
 *   harness --probe               one JSON line: can traces run here, and does int $0x80 work
 *
 * Built at run time by src/cosim/build.ts with the system's cc; never committed.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "harness.h"

unsigned char *code_view;
unsigned char *compat_view;
unsigned char *scratch_view;
int code_memfd = -1, compat_memfd = -1, scratch_memfd = -1;
volatile sig_atomic_t alarm_fired;

static void on_alarm(int sig) {
  (void)sig;
  alarm_fired = 1;
}

/* A memfd shared between the harness (read-write view) and each child (mapped at a fixed
 * address): the harness writes the child's code without a system call per byte. */
static unsigned char *shared(const char *name, size_t len, int *fd) {
  *fd = memfd_create(name, 0);
  if (*fd < 0 || ftruncate(*fd, (off_t)len) != 0) return NULL;
  void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0);
  return p == MAP_FAILED ? NULL : p;
}

static struct trace trace;
static struct result result;

/* Runs a one-line trace and returns its result (for --probe). */
static const struct result *run_line(const char *text) {
  char buf[256], err[128];
  snprintf(buf, sizeof buf, "%s", text);
  if (parse_trace(buf, &trace, err, sizeof err) != 0) return NULL;
  run_trace(&trace, &result, 2.0);
  return &result;
}

/* How far below `rsp` an int3's SIGTRAP handler starts, or -1. */
static long long handler_drop(uint64_t rsp) {
  char line[64];
  snprintf(line, sizeof line, "0 R 7 %llx;B", (unsigned long long)rsp);
  const struct result *r = run_line(line);
  if (r == NULL || strcmp(r->status, "ok") != 0 || r->nrec != 2 || r->rec[1].nsig != 1 || r->rec[1].regs.rip != HANDLER) return -1;
  return (long long)(rsp - r->rec[1].regs.rsp);
}

/*
 * The XSAVE area's size M in a 64-bit signal frame (fpstate->user_size + FP_XSTATE_MAGIC2_SIZE):
 * the CPU's features decide it, and the model takes it (src/kernel/signal-delivery.ts). Linux puts
 * the area at round_down(RSP - 128 - M, 64) and the 440-byte rt_sigframe under it, 16-aligned - 8
 * (get_sigframe, fpu__alloc_mathframe), so from a page-aligned RSP the drop is 584 + M rounded up
 * to 64; RSP t bytes lower keeps that drop less t while t <= (that rounding), which a binary
 * search over t in 0..63 finds. 0: not learned.
 */
static long long xstate_size(void) {
  long long d0 = handler_drop(TASK1_RSP);
  if (d0 < 584 + 64 || (d0 - 584) % 64 != 0) return 0;
  int lo = 0, hi = 64; /* lo: the rounding is >= lo; hi: it is < hi */
  while (hi - lo > 1) {
    int t = (lo + hi) / 2;
    long long d = handler_drop(TASK1_RSP - (uint64_t)t);
    if (d < 0) return 0;
    if (d == d0 - t) lo = t; else hi = t;
  }
  return d0 - 584 - lo;
}

int probe(FILE *out) {
  const struct result *r = run_line("0 N");
  if (r == NULL || strcmp(r->status, "ok") != 0 || r->nrec != 1 || r->rec[0].regs.rip != TASK1_RIP + 1) {
    fprintf(out, "{\"ok\":false,\"detail\":\"a traced child could not run a nop (%s: %s)\"}\n",
            r ? r->status : "parse", r ? r->detail : "");
    return 1;
  }
  /* int $0x80 from a 64-bit task: getpid (20) returns the pid unless IA32 emulation is off. */
  r = run_line("0 I 14 0 0");
  int int80 = r != NULL && strcmp(r->status, "ok") == 0 && r->rec[0].nsig == 0 && r->rec[0].regs.rax == (unsigned long long)r->pid;
  /* POPF at CPL 3 sets NT (SDM Vol. 2B POPF: NT is loaded at every CPL), and the single-step stop
   * after it returns by IRET, which loads NT back from the frame. A host that loses it there (seen
   * on a paravirtualized guest, whose user mode the hypervisor runs) does not run user code as
   * the architecture says, and nothing compared on it is evidence about the model. */
  r = run_line("0 F 4202;N");
  int nt = r != NULL && strcmp(r->status, "ok") == 0 && r->nrec == 2 && (r->rec[1].regs.eflags & 0x4000) != 0;
  long long xstate = xstate_size();
  /* The 32-bit vDSO (compat.c): where its entry and landing pad are, if it could be mapped. */
  fprintf(out, "{\"ok\":true,\"int80\":%s,\"nt\":%s,\"xstate\":\"0x%llx\",\"vdso\":", int80 ? "true" : "false",
          nt ? "true" : "false", xstate);
  if (vdso.ok)
    fprintf(out, "{\"vsyscall\":\"0x%llx\",\"fastcall\":\"0x%llx\",\"int80\":\"0x%llx\",\"landing\":\"0x%llx\",\"end\":\"0x%llx\"}",
            (unsigned long long)vdso.vsyscall, (unsigned long long)vdso.fastcall, (unsigned long long)vdso.int80,
            (unsigned long long)vdso.landing, (unsigned long long)vdso.end);
  else fputs("null", out);
  fputs(",\"detail\":\"\"}\n", out);
  return 0;
}

int main(int argc, char **argv) {
  double timeout = 2.0;
  int do_probe = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--probe") == 0) do_probe = 1;
    else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) timeout = atof(argv[++i]);
    else {
      fprintf(stderr, "usage: harness [--timeout SECONDS] [--probe]\n");
      return 2;
    }
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm; /* no SA_RESTART: the alarm must interrupt waitpid */
  sigaction(SIGALRM, &sa, NULL);
  signal(SIGPIPE, SIG_DFL);
  code_view = shared("entrycheck-code", CODE_SIZE, &code_memfd);
  compat_view = shared("entrycheck-compat", COMPAT_SIZE, &compat_memfd);
  scratch_view = shared("entrycheck-scratch", SCRATCH_SIZE, &scratch_memfd);
  if (code_view == NULL || compat_view == NULL || scratch_view == NULL) {
    printf("{\"ok\":false,\"detail\":\"memfd_create/mmap failed\"}\n");
    return 1;
  }
  note_vdso();
  if (do_probe) return probe(stdout);
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  while ((n = getline(&line, &cap, stdin)) > 0) {
    if (n <= 1) continue;
    char err[160];
    if (parse_trace(line, &trace, err, sizeof err) != 0) {
      memset(&result, 0, sizeof result);
      result.status = "error";
      snprintf(result.detail, sizeof result.detail, "%s", err);
      print_result(stdout, trace.id, &result);
      continue;
    }
    run_trace(&trace, &result, timeout);
    print_result(stdout, trace.id, &result);
  }
  free(line);
  return 0;
}
