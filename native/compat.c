/*
 * 32-bit code in the 64-bit child: the kernel's own 32-bit vDSO, mapped where the model has it.
 *
 * A 64-bit process has the 64-bit vDSO, yet do_fast_syscall_32 returns every SYSENTER or
 * compat SYSCALL to mm->context.vdso + vdso_image_32.sym_int80_landing_pad
 * (arch/x86/entry/common.c, v6.7): with the 64-bit image there, that is the middle of some
 * 64-bit function. So the child swaps its vDSO for the 32-bit image at the model's VDSO32
 * (arch_prctl(ARCH_MAP_VDSO_32), arch/x86/entry/vdso/vma.c, CONFIG_CHECKPOINT_RESTORE), and
 * the harness finds __kernel_vsyscall, its SYSENTER/SYSCALL and int80_landing_pad in that image
 * (their offsets are the kernel build's; the model's are its own: docs/cosim.md, rule "vDSO").
 */
#define _GNU_SOURCE
#include <elf.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "driver.h"

#define ARCH_MAP_VDSO_32 0x2002
/* Where the child maps the image first to learn how far below the text the vvar pages go. */
#define PROBE_AT 0xf0000000ULL

struct vdso_info vdso;
/* Text minus the address given to ARCH_MAP_VDSO_32 (the vvar area); found by the first child,
 * inherited by the later ones through fork. */
long vdso_delta = -1;

/* The [vdso]/[vvar*] mappings of a process (the harness's are its children's: fork keeps them). */
struct ranges { int n; uint64_t r[8][2]; uint64_t text; };
static struct ranges own;

static void vdso_ranges(struct ranges *out) {
  char line[256];
  out->n = 0;
  out->text = 0;
  FILE *f = fopen("/proc/self/maps", "re");
  if (f == NULL) return;
  while (fgets(line, sizeof line, f) != NULL && out->n < 8) {
    unsigned long long a, b;
    if (sscanf(line, "%llx-%llx", &a, &b) != 2) continue;
    if (strstr(line, "[vdso]") != NULL) out->text = a;
    if (strstr(line, "[vdso]") != NULL || strstr(line, "[vvar") != NULL) { out->r[out->n][0] = a; out->r[out->n][1] = b; out->n++; }
  }
  fclose(f);
}

static void unmap_ranges(const struct ranges *x) {
  for (int i = 0; i < x->n; i++) munmap((void *)x->r[i][0], x->r[i][1] - x->r[i][0]);
}

/* In the harness, before its first child: where its (so every child's) vDSO is. */
void note_vdso(void) {
  vdso_ranges(&own);
}

/* In the child, before its guard: the 32-bit vDSO text at VDSO32_BASE. 0 on success. */
int remap_vdso32(void) {
  unmap_ranges(&own);
  if (vdso_delta < 0) {
    if (syscall(SYS_arch_prctl, ARCH_MAP_VDSO_32, PROBE_AT) < 0) return -1;
    struct ranges probe;
    vdso_ranges(&probe);
    unmap_ranges(&probe);
    uint64_t text = probe.text;
    if (text < PROBE_AT) return -1;
    vdso_delta = (long)(text - PROBE_AT);
    /* Tell the harness (fork copies the other way only): the scratch page is shared. */
    memcpy((void *)(SCRATCH_BASE + 0xf00), &vdso_delta, sizeof vdso_delta);
  }
  if (syscall(SYS_arch_prctl, ARCH_MAP_VDSO_32, VDSO32_BASE - (uint64_t)vdso_delta) < 0) return -1;
  return 0;
}

/* In the harness, once: the 32-bit vDSO's symbols, read from the child's memory. */
void find_vdso(pid_t pid) {
  static int done;
  if (done) return;
  done = 1;
  memcpy(&vdso_delta, scratch_view + 0xf00, sizeof vdso_delta);
  static unsigned char img[VDSO32_MAX];
  if (vdso_delta < 0 || mem_read(pid, VDSO32_BASE, img, 0x1000) != 0) return;
  size_t size = 0x1000;
  while (size < VDSO32_MAX && mem_read(pid, VDSO32_BASE + size, img + size, 0x1000) == 0) size += 0x1000;
  const Elf32_Ehdr *eh = (const Elf32_Ehdr *)img;
  if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS32) return;
  if (eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(Elf32_Shdr) > size) return;
  const Elf32_Shdr *sh = (const Elf32_Shdr *)(img + eh->e_shoff);
  uint64_t vsyscall = 0;
  for (int i = 0; i < eh->e_shnum && vsyscall == 0; i++) {
    if (sh[i].sh_type != SHT_DYNSYM || sh[i].sh_link >= eh->e_shnum) continue;
    const Elf32_Sym *sym = (const Elf32_Sym *)(img + sh[i].sh_offset);
    const char *str = (const char *)(img + sh[sh[i].sh_link].sh_offset);
    for (size_t k = 0; k < sh[i].sh_size / sizeof(Elf32_Sym); k++)
      if (strcmp(str + sym[k].st_name, "__kernel_vsyscall") == 0) vsyscall = sym[k].st_value;
  }
  /* __kernel_vsyscall: push ecx, edx, ebp; mov; SYSENTER or SYSCALL (ALTERNATIVE_2); int $0x80;
   * int80_landing_pad (arch/x86/entry/vdso/vdso32/system_call.S). */
  for (uint64_t o = vsyscall; vsyscall != 0 && o + 2 < vsyscall + 32 && o + 2 < size; o++) {
    if (img[o] != 0xcd || img[o + 1] != 0x80) continue;
    int fast = o >= 2 && img[o - 2] == 0x0f && (img[o - 1] == 0x05 || img[o - 1] == 0x34);
    vdso = (struct vdso_info){ 1, VDSO32_BASE + vsyscall, fast ? VDSO32_BASE + o - 2 : 0, VDSO32_BASE + o,
      VDSO32_BASE + o + 2, VDSO32_BASE + size };
    return;
  }
}

int in_vdso(uint64_t addr) {
  return vdso.ok && addr >= VDSO32_BASE && addr < vdso.end;
}

/*
 * A fast system call from 32-bit code, as the model has it (user.syscall / user.sysenter with
 * CS = __USER32_CS: a call through __kernel_vsyscall, the only supported way): the tracer makes
 * the `call` (pushes the return address, RIP = __kernel_vsyscall) so that the vDSO's own code
 * runs: its pushes, SYSENTER (Intel) or SYSCALL (AMD), and after the kernel's return to
 * int80_landing_pad (where DR2 stops the child) its pops and `ret`. The caller loads RAX and the
 * argument registers; a driver int3 waits at the return address.
 */
void vdso_call(struct drv *d, const struct event *e, uint64_t rip) {
  (void)e;
  uint32_t ret = (uint32_t)(rip + 2);
  uint64_t esp = (uint32_t)d->regs.rsp - 4;
  mem_write(d->pid, esp, &ret, 4);
  d->regs.rsp = esp;
  d->regs.rip = vdso.vsyscall;
  static const unsigned char int3 = 0xcc;
  put_code(rip + 2, &int3, 1);
}
