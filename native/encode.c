/*
 * Machine code for each user event, with the lengths of src/model/events.ts USER_INSN_LEN
 * (movabs $imm64,%reg 10; popfq, nop, int3 1; movabs moffs64,%al 9; mov disp32(%rip),%ss 6;
 * syscall, sysenter, int $0x80 2; an indirect jmp and filler 14; wrgsbase %rax 5; int $n 2,
 * int3, icebp, into, cli, pushf 1; pop %reg 2, with a REX prefix, empty but for r8-r15), so
 * RIP arithmetic is the model's. Register setup that the model does as part of an event (system
 * call number and arguments) is done by the tracer, not by extra instructions, so that nothing
 * else runs at a boundary.
 *
 * In 32-bit code (CS = __USER32_CS) there is no REX prefix and no RIP-relative operand: the same
 * lengths are kept with redundant DS prefixes (ignored; SDM Vol. 2 2.1.1), absolute operands and
 * 32-bit immediates (the model loads low32 of a value in compatibility mode).
 */
#include <string.h>
#include "harness.h"

/* Hardware register numbers of the model's USER_REGS order (rax rbx rcx rdx rsi rdi rbp rsp r8..). */
static const int HWREG[16] = { 0, 3, 1, 2, 6, 7, 5, 4, 8, 9, 10, 11, 12, 13, 14, 15 };

/* A pointer to field `f` (F_*) of a user_regs_struct. */
unsigned long long *reg_field(struct user_regs_struct *r, int f) {
  switch (f) {
  case F_RAX: return &r->rax;
  case F_RBX: return &r->rbx;
  case F_RCX: return &r->rcx;
  case F_RDX: return &r->rdx;
  case F_RSI: return &r->rsi;
  case F_RDI: return &r->rdi;
  case F_RBP: return &r->rbp;
  case F_RSP: return &r->rsp;
  case F_R8: return &r->r8;
  case F_R9: return &r->r9;
  case F_R10: return &r->r10;
  case F_R11: return &r->r11;
  case F_R12: return &r->r12;
  case F_R13: return &r->r13;
  case F_R14: return &r->r14;
  case F_R15: return &r->r15;
  case F_RIP: return &r->rip;
  case F_RFLAGS: return &r->eflags;
  case F_CS: return &r->cs;
  default: return &r->ss;
  }
}

static size_t imm64(unsigned char *out, uint64_t v) {
  memcpy(out, &v, 8);
  return 8;
}

static size_t imm32(unsigned char *out, uint64_t v) {
  uint32_t w = (uint32_t)v;
  memcpy(out, &w, 4);
  return 4;
}

static size_t ds_prefixes(unsigned char *out, int n) {
  memset(out, 0x3e, (size_t)n);
  return (size_t)n;
}

/* A 32-bit encoding of `len` bytes, or UD2 and NOPs where 32-bit code has none (r8-r15). */
static size_t encode32(const struct event *e, uint64_t rip, uint64_t ss_src, unsigned char *out) {
  switch (e->kind) {
  case EV_SETREG: {
    int hw = HWREG[e->reg];
    if (hw >= 8) break;
    size_t n = ds_prefixes(out, 5);
    out[n] = (unsigned char)(0xb8 | hw);
    return n + 1 + imm32(out + n + 1, e->value);
  }
  case EV_ACCESS: {
    size_t n = ds_prefixes(out, 4);
    out[n] = e->flag ? 0xa2 : 0xa0;
    return n + 1 + imm32(out + n + 1, e->value);
  }
  case EV_MOVSS:
    out[0] = 0x8e;
    out[1] = 0x15;
    return 2 + imm32(out + 2, ss_src);
  case EV_JUMP: {
    size_t n = ds_prefixes(out, 4);
    out[n] = 0xff;
    out[n + 1] = 0x25;
    imm32(out + n + 2, SCRATCH_JMP);
    memset(out + n + 6, 0xcc, 4);
    return n + 10;
  }
  case EV_POP: {
    /* popl %reg with a DS prefix for the model's length; r8-r15 do not exist here (UD2). */
    int hw = HWREG[e->reg];
    if (hw >= 8) break;
    out[0] = 0x3e;
    out[1] = (unsigned char)(0x58 | hw);
    return 2;
  }
  case EV_WRGSBASE:
    /* WRGSBASE is #UD outside 64-bit mode; without REX.W the 0x48 would be DEC EAX. */
    memcpy(out, "\xf3\x0f\xae\xd8\x90", 5);
    return 5;
  default:
    return 0;
  }
  memcpy(out, "\x0f\x0b\x90\x90\x90\x90\x90\x90\x90\x90", 10);
  return 10;
}

/* Encodes the instruction of a user event placed at `rip`; `ss_src` is the MOV SS operand.
 * Returns its length (0 for events that are not instructions). */
size_t encode(const struct event *e, uint64_t rip, uint64_t ss_src, int compat, unsigned char *out) {
  if (compat) {
    size_t n = encode32(e, rip, ss_src, out);
    if (n != 0) return n;
  }
  switch (e->kind) {
  case EV_SETREG: {
    int hw = HWREG[e->reg];
    out[0] = (unsigned char)(0x48 | (hw >> 3));
    out[1] = (unsigned char)(0xb8 | (hw & 7));
    return 2 + imm64(out + 2, e->value);
  }
  case EV_POPF: out[0] = 0x9d; return 1;
  case EV_NOP: out[0] = 0x90; return 1;
  case EV_INT3: out[0] = 0xcc; return 1;
  case EV_ACCESS:
    out[0] = e->flag ? 0xa2 : 0xa0;
    return 1 + imm64(out + 1, e->value);
  case EV_MOVSS: {
    int32_t disp = (int32_t)(int64_t)(ss_src - (rip + 6));
    out[0] = 0x8e;
    out[1] = 0x15;
    memcpy(out + 2, &disp, 4);
    return 6;
  }
  case EV_INT:
    switch (e->flag) {
    case INT_CC: out[0] = 0xcc; return 1;
    case INT_ICEBP: out[0] = 0xf1; return 1;
    case INT_INTO: out[0] = 0xce; return 1;
    default: out[0] = 0xcd; out[1] = (unsigned char)e->value; return 2;
    }
  case EV_CLI: out[0] = 0xfa; return 1;
  case EV_PUSHF: out[0] = 0x9c; return 1;
  case EV_POP: {
    int hw = HWREG[e->reg];
    out[0] = (unsigned char)(0x40 | (hw >> 3));
    out[1] = (unsigned char)(0x58 | (hw & 7));
    return 2;
  }
  case EV_SYSCALL: out[0] = 0x0f; out[1] = 0x05; return 2;
  case EV_SYSENTER: out[0] = 0x0f; out[1] = 0x34; return 2;
  case EV_INT80: out[0] = 0xcd; out[1] = 0x80; return 2;
  case EV_JUMP: {
    /* jmp *disp32(%rip) through the aligned scratch slot (the model has no memory operand for a
     * jump; an unaligned one would raise #AC under RFLAGS.AC), then 8 filler bytes. */
    int32_t disp = (int32_t)(int64_t)(SCRATCH_JMP - (rip + 6));
    out[0] = 0xff;
    out[1] = 0x25;
    memcpy(out + 2, &disp, 4);
    memset(out + 6, 0xcc, 8);
    return 14;
  }
  case EV_WRGSBASE:
    memcpy(out, "\xf3\x48\x0f\xae\xd8", 5);
    return 5;
  default: return 0;
  }
}

int is_user_event(char kind) {
  return kind == EV_SETREG || kind == EV_POPF || kind == EV_NOP || kind == EV_ACCESS || kind == EV_MOVSS
    || kind == EV_SYSCALL || kind == EV_INT80 || kind == EV_INT3 || kind == EV_JUMP || kind == EV_WRGSBASE
    || kind == EV_SYSENTER || kind == EV_INT || kind == EV_CLI || kind == EV_PUSHF || kind == EV_POP;
}
