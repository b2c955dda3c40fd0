/*
 * entrycheck co-simulation harness: shared declarations.
 *
 * One harness process serves many traces (one per stdin line). For each trace it forks a
 * child, lays out the model's user address space in it (code at 0x400000 and so on, so no
 * address translation is needed), and drives it as a ptrace tracer, one event at a time: the
 * event's instruction is written where the child's RIP is, followed by an int3 that hands
 * control back (the "driver breakpoint"). What the child does in between (signals, traps,
 * syscall stops, death) is recorded per event and printed as one JSON line.
 * See docs/cosim.md for what is compared and why.
 */
#ifndef ENTRYCHECK_HARNESS_H
#define ENTRYCHECK_HARNESS_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <sys/user.h>

/* The model's user address space (src/kernel/layout.ts, initial.ts). */
#define CODE_BASE 0x400000ULL
#define CODE_SIZE 0x10000ULL
#define DATA_BASE 0x600000ULL
#define DATA_SIZE 0x10000ULL
#define DEMAND_BASE 0x700000ULL
#define DEMAND_SIZE 0x10000ULL
#define STACK_TOP 0x7ffffffff000ULL
#define STACK_SIZE 0x21000ULL
#define TASK1_RIP (CODE_BASE + 0x100)
#define TASK1_RSP (STACK_TOP - 0x1000)
#define HANDLER (CODE_BASE + 0xe00)
/* Harness-only page (the model calls it unmapped; generated traces never touch it): the
 * POPFQ operand slot and the unwatched MOV SS source. Within +-2 GiB of the code, for
 * RIP-relative operands. */
#define SCRATCH_BASE 0x20000000ULL
#define SCRATCH_SIZE 0x1000ULL
#define SCRATCH_POPF (SCRATCH_BASE + 0x800)
#define SCRATCH_SS (SCRATCH_BASE + 0x900)

#define USER_CS 0x33
#define USER_DS 0x2b

#define MAX_EVENTS 256
#define MAX_ARGS 6
#define MAX_SIGS 8

/* Frame / register fields in the model's order (USER_REGS, then rip, rflags, cs, ss). */
enum { F_RAX, F_RBX, F_RCX, F_RDX, F_RSI, F_RDI, F_RBP, F_RSP, F_R8, F_R9, F_R10, F_R11, F_R12,
  F_R13, F_R14, F_R15, F_RIP, F_RFLAGS, F_CS, F_SS, F_COUNT };

/* Event kinds; the letter is the opcode of the line format (see parse.c). */
enum ev_kind { EV_SETREG = 'R', EV_POPF = 'F', EV_NOP = 'N', EV_ACCESS = 'A', EV_MOVSS = 'M',
  EV_SYSCALL = 'S', EV_INT80 = 'I', EV_INT3 = 'B', EV_ATTACH = 'a', EV_SETREGS = 'r',
  EV_STEP = 's', EV_CONT = 'c', EV_WATCH = 'w' };

struct event {
  char kind;
  int reg;                 /* setReg: F_* index */
  uint64_t value;          /* setReg value, popf flags, access/watch address */
  int flag;                /* access: write; movSs: watched; attach: syscalls */
  uint64_t nr;             /* syscall / int80: the ABI's number */
  int nargs;
  uint64_t args[MAX_ARGS];
  uint32_t mask;           /* frame (syscall/int80) or regs (setRegs): bit per F_* field */
  uint64_t fields[F_COUNT];
};

struct trace {
  long id;
  int n;
  struct event ev[MAX_EVENTS];
};

/* One delivered (or fatal) signal; rsp/rsi/rdx at handler entry locate its frame. */
struct sig_obs { int signo, code, fatal; uint64_t addr, rip, rsp, rsi, rdx; };

/* What one event did, as the child's tracer saw it. */
struct record {
  int skipped;
  int nsig;
  struct sig_obs sig[MAX_SIGS];
  int ntrap;
  uint64_t trap[MAX_SIGS];
  const char *stop;        /* ptrace stop the event ended in, or NULL */
  int state;               /* ST_* after the event */
  struct user_regs_struct regs;
  const char *note;        /* harness remark (e.g. an emulated model abstraction) */
};

enum { ST_BOUNDARY, ST_STOPPED, ST_DEAD };

struct result {
  const char *status;      /* "ok", "hang", "error", "refused" (a system call the guard stopped) */
  char detail[256];
  int nrec;
  struct record rec[MAX_EVENTS];
  int exit_signal;         /* 0 when alive at the end */
  pid_t pid;
};

int parse_trace(char *line, struct trace *t, char *err, size_t errlen);
pid_t spawn_child(int code_fd, int scratch_fd);
int install_guard(pid_t self);
void run_trace(const struct trace *t, struct result *r, double timeout_s);
void print_result(FILE *out, long id, const struct result *r);
int probe(FILE *out);
unsigned long long *reg_field(struct user_regs_struct *r, int f);
size_t encode(const struct event *e, uint64_t rip, uint64_t ss_src, unsigned char *out);
int is_user_event(char kind);

/* Shared views of the child's code and scratch pages (harness.c sets them up). */
extern unsigned char *code_view;
extern unsigned char *scratch_view;
extern int code_memfd, scratch_memfd;

#endif
