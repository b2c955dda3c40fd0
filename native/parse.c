/*
 * The trace line format written by src/cosim/line.ts: "<id> <event>;<event>;...", each event
 * an opcode letter and hexadecimal operands (no 0x) separated by single spaces:
 *   R reg value          user.setReg (reg: index in the model's USER_REGS order)
 *   F flags              user.popf
 *   N                    user.nop
 *   A addr write         user.access
 *   M watched            user.movSs
 *   S nr n a1..an mask f.. [nr32]   user.syscall (x86-64 number; frame fields for the set mask
 *                        bits; the i386 number used in 32-bit code, where it is a vDSO call)
 *   I nr n a1..an mask f..   user.int80 (i386 number)
 *   E nr n a1..an        user.sysenter (i386 number)
 *   J target             user.jump
 *   G value              user.wrgsbase
 *   B                    user.int3
 *   T vector form        user.int (form: 0 CD ib, 1 CC, 2 ICEBP F1, 3 INTO CE)
 *   C / P                user.cli / user.pushf
 *   O reg                user.pop (reg: index in the model's USER_REGS order)
 *   a syscalls           tracer.attach
 *   r mask f..           tracer.setRegs
 *   s / c                tracer.singleStep / tracer.cont
 *   w addr               tracer.watch
 *   k addr               tracer.break
 * A compact line keeps the per-trace cost of the pipe and the parser negligible.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"

static int next_hex(char **p, uint64_t *out) {
  while (**p == ' ') (*p)++;
  if (**p == '\0') return -1;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(*p, &end, 16);
  if (end == *p || errno != 0) return -1;
  *p = end;
  *out = v;
  return 0;
}

static int fields(char **p, struct event *e) {
  uint64_t mask;
  if (next_hex(p, &mask) || mask >= (1u << F_COUNT)) return -1;
  e->mask = (uint32_t)mask;
  for (int f = 0; f < F_COUNT; f++)
    if ((mask >> f) & 1 && next_hex(p, &e->fields[f])) return -1;
  return 0;
}

static int parse_event(char *s, struct event *e) {
  memset(e, 0, sizeof *e);
  while (*s == ' ') s++;
  e->kind = *s++;
  uint64_t v;
  switch (e->kind) {
  case EV_SETREG:
    if (next_hex(&s, &v) || v >= 16) return -1;
    e->reg = (int)v;
    return next_hex(&s, &e->value);
  case EV_POPF: case EV_WATCH: case EV_BREAK: case EV_JUMP: case EV_WRGSBASE:
    return next_hex(&s, &e->value);
  case EV_INT:
    if (next_hex(&s, &e->value) || e->value > 0xff || next_hex(&s, &v) || v > INT_INTO) return -1;
    e->flag = (int)v;
    return 0;
  case EV_POP:
    if (next_hex(&s, &v) || v >= 16) return -1;
    e->reg = (int)v;
    return 0;
  case EV_CLI: case EV_PUSHF:
    return 0;
  case EV_ACCESS:
    if (next_hex(&s, &e->value) || next_hex(&s, &v)) return -1;
    e->flag = (int)v;
    return 0;
  case EV_MOVSS: case EV_ATTACH:
    if (next_hex(&s, &v)) return -1;
    e->flag = (int)v;
    return 0;
  case EV_SYSCALL: case EV_INT80: case EV_SYSENTER:
    if (next_hex(&s, &e->nr) || next_hex(&s, &v) || v > MAX_ARGS) return -1;
    e->nargs = (int)v;
    for (int i = 0; i < e->nargs; i++)
      if (next_hex(&s, &e->args[i])) return -1;
    if (e->kind == EV_SYSENTER) return 0;
    if (fields(&s, e)) return -1;
    if (e->kind == EV_SYSCALL && next_hex(&s, &v) == 0) e->nr32 = v;
    return 0;
  case EV_SETREGS:
    return fields(&s, e);
  case EV_NOP: case EV_INT3: case EV_STEP: case EV_CONT:
    return 0;
  default:
    return -1;
  }
}

/* Parses one line in place; on failure writes a one-line reason to err and returns -1. */
int parse_trace(char *line, struct trace *t, char *err, size_t errlen) {
  char *end;
  t->id = strtol(line, &end, 10);
  if (end == line) {
    snprintf(err, errlen, "missing trace id");
    return -1;
  }
  t->n = 0;
  char *p = end;
  while (*p == ' ') p++;
  while (*p != '\0' && *p != '\n') {
    char *semi = strchr(p, ';');
    char *nl = strchr(p, '\n');
    if (nl) *nl = '\0';
    if (semi) *semi = '\0';
    if (t->n >= MAX_EVENTS) {
      snprintf(err, errlen, "more than %d events", MAX_EVENTS);
      return -1;
    }
    if (parse_event(p, &t->ev[t->n]) != 0) {
      snprintf(err, errlen, "bad event %d: '%.40s'", t->n, p);
      return -1;
    }
    t->n++;
    if (!semi) break;
    p = semi + 1;
  }
  return 0;
}
