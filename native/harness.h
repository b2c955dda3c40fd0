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
/* TASK_SIZE_MAX on 4-level paging: the top of the user half less its guard page. */
#define TASK_SIZE_MAX_4 0x7ffffffff000ULL
/* RFLAGS.RF: an instruction breakpoint does not fire on the next instruction. */
#define RF 0x10000ULL
#define STACK_SIZE 0x21000ULL
/* 32-bit code, stack and vDSO (the model's COMPAT_CODE, COMPAT_STACK_TOP, VDSO32). The vDSO is
 * the kernel's own 32-bit image, mapped there with arch_prctl(ARCH_MAP_VDSO_32) (compat.c). */
#define COMPAT_BASE 0x8048000ULL
#define COMPAT_SIZE 0x10000ULL
#define COMPAT_STACK_TOP 0xffffd000ULL
#define COMPAT_STACK_SIZE 0x21000ULL
#define VDSO32_BASE 0xf7fc0000ULL
#define VDSO32_MAX 0x4000ULL
#define TASK1_RIP (CODE_BASE + 0x100)
#define TASK1_RSP (STACK_TOP - 0x1000)
#define HANDLER (CODE_BASE + 0xe00)
/* Harness-only page (the model calls it unmapped; generated traces never touch it): the
 * POPFQ operand slot, the unwatched MOV SS source and the jump target slot. Within +-2 GiB of
 * the code, for RIP-relative operands; every slot aligned (RFLAGS.AC may be set). */
#define SCRATCH_BASE 0x20000000ULL
#define SCRATCH_SIZE 0x1000ULL
#define SCRATCH_POPF (SCRATCH_BASE + 0x800)
#define SCRATCH_SS (SCRATCH_BASE + 0x900)
#define SCRATCH_JMP (SCRATCH_BASE + 0xa00)

#define USER_CS 0x33
#define USER_DS 0x2b
#define USER32_CS 0x23

#define MAX_EVENTS 256
#define MAX_ARGS 6
#define MAX_SIGS 8

/* Frame / register fields in the model's order (USER_REGS, then rip, rflags, cs, ss). */
enum { F_RAX, F_RBX, F_RCX, F_RDX, F_RSI, F_RDI, F_RBP, F_RSP, F_R8, F_R9, F_R10, F_R11, F_R12,
  F_R13, F_R14, F_R15, F_RIP, F_RFLAGS, F_CS, F_SS, F_COUNT };

/* Event kinds; the letter is the opcode of the line format (see parse.c). */
enum ev_kind { EV_SETREG = 'R', EV_POPF = 'F', EV_NOP = 'N', EV_ACCESS = 'A', EV_MOVSS = 'M',
  EV_SYSCALL = 'S', EV_INT80 = 'I', EV_INT3 = 'B', EV_ATTACH = 'a', EV_SETREGS = 'r',
  EV_STEP = 's', EV_CONT = 'c', EV_WATCH = 'w', EV_JUMP = 'J', EV_WRGSBASE = 'G', EV_SYSENTER = 'E',
  EV_INT = 'T', EV_CLI = 'C', EV_PUSHF = 'P', EV_POP = 'O', EV_BREAK = 'k' };

/* Encodings of user.int (the event's flag): CD ib, CC, F1 (ICEBP), CE (INTO). */
enum int_form { INT_CD, INT_CC, INT_ICEBP, INT_INTO };

struct event {
  char kind;
  int reg;                 /* setReg, pop: F_* index */
  uint64_t value;          /* setReg value, popf flags, access/watch address, jump target, GS base, int vector */
  int flag;                /* access: write; movSs: watched; attach: syscalls; int: form */
  uint64_t nr;             /* syscall / int80 / sysenter: the ABI's number */
  uint64_t nr32;           /* syscall: the 32-bit ABI's number, for 32-bit code (0: none) */
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

/* The signal frame's fields the harness reports, in this order (frame.c): uc_flags, the
 * sigcontext (arch/x86/include/uapi/asm/sigcontext.h, struct sigcontext_64) and uc_sigmask. */
enum { SC_UC_FLAGS, SC_R8, SC_R9, SC_R10, SC_R11, SC_R12, SC_R13, SC_R14, SC_R15, SC_RDI, SC_RSI,
  SC_RBP, SC_RBX, SC_RDX, SC_RAX, SC_RCX, SC_RSP, SC_RIP, SC_EFLAGS, SC_CS, SC_GS, SC_FS, SC_SS,
  SC_ERR, SC_TRAPNO, SC_OLDMASK, SC_CR2, SC_SIGMASK, SC_COUNT };

/* One delivered (or fatal) signal; rsp/rsi/rdx at handler entry locate its frame, ctx is what
 * the frame holds (nctx = 0 when it could not be read). */
struct sig_obs { int signo, code, fatal; uint64_t addr, rip, rsp, rsi, rdx; int nctx; uint64_t ctx[SC_COUNT]; };

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
  int rf_probe;            /* RF was probed at this boundary by an execute breakpoint (debugreg.c) */
  int held;                /* the child is held in its stop before a return whose RIP cannot be fetched (settle.c) */
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

/* The kernel's 32-bit vDSO as mapped at VDSO32_BASE (compat.c): where __kernel_vsyscall, its
 * SYSENTER/SYSCALL, its int $0x80 and int80_landing_pad are. ok = 0 where it cannot be mapped. */
struct vdso_info { int ok; uint64_t vsyscall, fastcall, int80, landing, end; };
extern struct vdso_info vdso;

int parse_trace(char *line, struct trace *t, char *err, size_t errlen);
pid_t spawn_child(int code_fd, int scratch_fd, int compat_fd);
int remap_vdso32(void);
void note_vdso(void);
void find_vdso(pid_t pid);
int install_guard(pid_t self);
void run_trace(const struct trace *t, struct result *r, double timeout_s);
void print_result(FILE *out, long id, const struct result *r);
int probe(FILE *out);
unsigned long long *reg_field(struct user_regs_struct *r, int f);
size_t encode(const struct event *e, uint64_t rip, uint64_t ss_src, int compat, unsigned char *out);
int is_user_event(char kind);

/* Shared views of the child's code pages (64- and 32-bit) and scratch page (harness.c). */
extern unsigned char *code_view;
extern unsigned char *compat_view;
extern unsigned char *scratch_view;
extern int code_memfd, compat_memfd, scratch_memfd;

#endif
