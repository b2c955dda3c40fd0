/*
 * What a delivered signal's frame holds, read at the handler's first instruction through RDX
 * (&ucontext): uc_flags, the sigcontext (struct sigcontext_64 at uc_mcontext, offset 40 in
 * struct ucontext; arch/x86/include/uapi/asm/sigcontext.h) and uc_sigmask (offset 40 + 256).
 */
#include <string.h>
#include "driver.h"

#define UC_MCONTEXT 40
#define UC_SIGMASK (40 + 256)

/* Offset of each SC_* field in the sigcontext and its size (cs, gs, fs, ss are 16-bit). */
static const struct { int off, size; } FIELD[SC_COUNT] = {
  [SC_R8] = { 0, 8 }, [SC_R9] = { 8, 8 }, [SC_R10] = { 16, 8 }, [SC_R11] = { 24, 8 }, [SC_R12] = { 32, 8 },
  [SC_R13] = { 40, 8 }, [SC_R14] = { 48, 8 }, [SC_R15] = { 56, 8 }, [SC_RDI] = { 64, 8 }, [SC_RSI] = { 72, 8 },
  [SC_RBP] = { 80, 8 }, [SC_RBX] = { 88, 8 }, [SC_RDX] = { 96, 8 }, [SC_RAX] = { 104, 8 }, [SC_RCX] = { 112, 8 },
  [SC_RSP] = { 120, 8 }, [SC_RIP] = { 128, 8 }, [SC_EFLAGS] = { 136, 8 }, [SC_CS] = { 144, 2 }, [SC_GS] = { 146, 2 },
  [SC_FS] = { 148, 2 }, [SC_SS] = { 150, 2 }, [SC_ERR] = { 152, 8 }, [SC_TRAPNO] = { 160, 8 },
  [SC_OLDMASK] = { 168, 8 }, [SC_CR2] = { 176, 8 },
};

/* Fills s->ctx from the ucontext at `uc` in the child; leaves nctx = 0 if it cannot be read. */
void read_frame(pid_t pid, uint64_t uc, struct sig_obs *s) {
  unsigned char buf[UC_SIGMASK + 8];
  s->nctx = 0;
  if (mem_read(pid, uc, buf, sizeof buf) != 0) return;
  memcpy(&s->ctx[SC_UC_FLAGS], buf, 8);
  for (int f = SC_R8; f < SC_SIGMASK; f++) {
    uint64_t v = 0;
    memcpy(&v, buf + UC_MCONTEXT + FIELD[f].off, (size_t)FIELD[f].size);
    s->ctx[f] = v;
  }
  memcpy(&s->ctx[SC_SIGMASK], buf + UC_SIGMASK, 8);
  s->nctx = SC_COUNT;
}

/* struct rt_sigframe: pretcode, then the ucontext; uc_mcontext at +40 in the ucontext. */
#define SC64 (8 + UC_MCONTEXT)
/* Offsets of the F_* fields in struct sigcontext_64. */
static const int SC64_FIELD[F_COUNT] = {
  [F_R8] = 0, [F_R9] = 8, [F_R10] = 16, [F_R11] = 24, [F_R12] = 32, [F_R13] = 40, [F_R14] = 48,
  [F_R15] = 56, [F_RDI] = 64, [F_RSI] = 72, [F_RBP] = 80, [F_RBX] = 88, [F_RDX] = 96, [F_RAX] = 104,
  [F_RCX] = 112, [F_RSP] = 120, [F_RIP] = 128, [F_RFLAGS] = 136, [F_CS] = 144, [F_SS] = 150,
};

/* rt_sigreturn's forged frame at `frame` (what user code would write into the kernel's frame);
 * returns where user code will resume if the frame is good, and the flags it will have. */
uint64_t forge_frame(pid_t pid, const struct event *e, uint64_t frame, uint64_t *flags) {
  uint64_t sc = frame + SC64;
  for (int f = 0; f < F_COUNT; f++) {
    if (!((e->mask >> f) & 1)) continue;
    uint64_t v = e->fields[f];
    mem_write(pid, sc + SC64_FIELD[f], &v, f == F_CS || f == F_SS ? 2 : 8);
  }
  uint64_t rip = 0;
  mem_read(pid, sc + SC64_FIELD[F_RIP], &rip, 8);
  *flags = 0;
  mem_read(pid, sc + SC64_FIELD[F_RFLAGS], flags, 8);
  return rip;
}

/*
 * The 32-bit rt_sigreturn (sys32_rt_sigreturn, arch/x86/ia32/ia32_signal.c) reads struct
 * rt_sigframe_ia32 at ESP - 4: pretcode, sig, pinfo, puc, a 128-byte compat_siginfo, then the
 * ucontext_ia32 (uc_flags, uc_link, a 12-byte uc_stack, the 88-byte sigcontext_32, uc_sigmask).
 * No kernel ever wrote such a frame for this 64-bit process, so the harness writes all of it:
 * the event's fields, the live register (low 32 bits) for the others, as the model's forged
 * frame defaults to the live registers; the live data selectors (the model has none), and 0 for
 * the FP state pointer and the mask (no FP state to restore; nothing blocked).
 */
#define IA32_UC 144
#define IA32_SC (IA32_UC + 20)
#define IA32_SIGMASK (IA32_SC + 88)
static const int SC32_FIELD[F_COUNT] = {
  [F_RDI] = 16, [F_RSI] = 20, [F_RBP] = 24, [F_RSP] = 28, [F_RBX] = 32, [F_RDX] = 36, [F_RCX] = 40,
  [F_RAX] = 44, [F_RIP] = 56, [F_CS] = 60, [F_RFLAGS] = 64, [F_SS] = 72,
};

void forge_frame32(pid_t pid, const struct event *e, const struct user_regs_struct *live, uint64_t esp) {
  unsigned char f[IA32_SIGMASK + 8];
  memset(f, 0, sizeof f);
  struct user_regs_struct r = *live;
  for (int k = 0; k < F_COUNT; k++) {
    if (SC32_FIELD[k] == 0) continue;
    uint32_t v = (uint32_t)((e->mask >> k) & 1 ? e->fields[k] : *reg_field(&r, k));
    memcpy(f + IA32_SC + SC32_FIELD[k], &v, k == F_CS || k == F_SS ? 2 : 4);
  }
  const uint16_t sel[4] = { (uint16_t)live->gs, (uint16_t)live->fs, (uint16_t)live->es, (uint16_t)live->ds };
  for (int k = 0; k < 4; k++) memcpy(f + IA32_SC + 4 * k, &sel[k], 2);
  mem_write(pid, esp - 4, f, sizeof f);
}
