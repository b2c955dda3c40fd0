/*
 * One JSON line per trace (read by src/cosim/harness.ts). Per event: whether it was skipped
 * ("x"), the state after it ("st": b = at a user boundary, s = in a ptrace stop, d = dead), the
 * stop kind, signals [signo, si_code, si_addr, rip, fatal, RSP, RSI, RDX at handler entry, and
 * the frame's fields in SC_* order (harness.h)], single-step traps, the 20 registers of the
 * model's frame order (16 GPRs, rip, rflags, cs, ss) as hex strings, "x2" with orig_rax,
 * fs_base, gs_base, ds, es, fs, gs, "rf": 1 where RF was probed (debugreg.c), and "held": 1
 * where the child is held in its stop before a return to a RIP it cannot fetch (settle.c).
 */
#include <stdio.h>
#include "harness.h"

static void json_string(FILE *out, const char *s) {
  fputc('"', out);
  for (; *s; s++) {
    if (*s == '"' || *s == '\\') fputc('\\', out);
    if ((unsigned char)*s >= 0x20) fputc(*s, out);
  }
  fputc('"', out);
}

static void print_record(FILE *out, const struct record *r) {
  static const char ST[] = { 'b', 's', 'd' };
  fprintf(out, "{\"x\":%d,\"st\":\"%c\"", r->skipped, ST[r->state]);
  if (r->stop) fprintf(out, ",\"stop\":\"%s\"", r->stop);
  if (r->nsig) {
    fputs(",\"sig\":[", out);
    for (int i = 0; i < r->nsig; i++) {
      const struct sig_obs *s = &r->sig[i];
      fprintf(out, "%s[%d,%d,\"0x%llx\",\"0x%llx\",%d,\"0x%llx\",\"0x%llx\",\"0x%llx\",[", i ? "," : "",
              s->signo, s->code, (unsigned long long)s->addr, (unsigned long long)s->rip, s->fatal,
              (unsigned long long)s->rsp, (unsigned long long)s->rsi, (unsigned long long)s->rdx);
      for (int k = 0; k < s->nctx; k++) fprintf(out, "%s\"0x%llx\"", k ? "," : "", (unsigned long long)s->ctx[k]);
      fputs("]]", out);
    }
    fputc(']', out);
  }
  if (r->ntrap) {
    fputs(",\"trap\":[", out);
    for (int i = 0; i < r->ntrap; i++) fprintf(out, "%s\"0x%llx\"", i ? "," : "", (unsigned long long)r->trap[i]);
    fputc(']', out);
  }
  if (r->state != ST_DEAD) {
    struct user_regs_struct regs = r->regs;
    fputs(",\"regs\":[", out);
    for (int f = 0; f < F_COUNT; f++) fprintf(out, "%s\"0x%llx\"", f ? "," : "", *reg_field(&regs, f));
    const unsigned long long x2[] = { regs.orig_rax, regs.fs_base, regs.gs_base, regs.ds, regs.es, regs.fs, regs.gs };
    fputs("],\"x2\":[", out);
    for (unsigned k = 0; k < sizeof x2 / sizeof x2[0]; k++) fprintf(out, "%s\"0x%llx\"", k ? "," : "", x2[k]);
    fputc(']', out);
    if (r->rf_probe) fputs(",\"rf\":1", out);
    if (r->held) fputs(",\"held\":1", out);
  }
  if (r->note) {
    fputs(",\"note\":", out);
    json_string(out, r->note);
  }
  fputc('}', out);
}

void print_result(FILE *out, long id, const struct result *r) {
  fprintf(out, "{\"id\":%ld,\"status\":\"%s\",\"detail\":", id, r->status);
  json_string(out, r->detail);
  fprintf(out, ",\"pid\":%d,\"exit\":%d,\"events\":[", (int)r->pid, r->exit_signal);
  for (int i = 0; i < r->nrec; i++) {
    if (i) fputc(',', out);
    print_record(out, &r->rec[i]);
  }
  fputs("]}\n", out);
  fflush(out);
}
