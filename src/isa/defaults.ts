/**
 * Linux's values for the CPU's configuration registers, used as the defaults of
 * {@link makeCpu} so that ISA-level tests run on a realistically programmed machine. The kernel
 * layer reprograms the entry points (LSTAR, IDT handlers, stacks) with its own text layout.
 * Source: reference/x86-semantics.md sections 3.2-3.5 (segment.h, common.c syscall_init,
 * tss_setup_ist, page_64_types.h).
 */
import type { Descriptor, DescriptorTables } from './segments.ts';
import type { Gate, Msrs } from './cpu.ts';

export const KERNEL32_CS = 0x08;
export const KERNEL_CS = 0x10;
export const KERNEL_DS = 0x18;
export const USER32_CS = 0x23;
export const USER_DS = 0x2b;
export const USER_CS = 0x33;

/** STAR = (__USER32_CS << 48) | (__KERNEL_CS << 32): syscall_init(). */
export const LINUX_STAR = (BigInt(USER32_CS) << 48n) | (BigInt(KERNEL_CS) << 32n);

/** FMASK since H. Peter Anvin's "clear as much as possible" (section 3.4): 0x257FD5. */
export const LINUX_FMASK = 0x0025_7fd5n;
/** FMASK from about v3.8 to about v5.14: TF|DF|IF|IOPL|AC|NT (section 3.4 history). */
export const LINUX_FMASK_V38 = 0x0004_7700n;

/** IST slots (IDT gate field = index + 1): IST_INDEX_DF 0, NMI 1, DB 2, MCE 3 (section 3.5). */
export const IST_DF = 1;
export const IST_NMI = 2;
export const IST_DB = 3;
export const IST_MCE = 4;

/** Exception vectors the model uses (section 5.1). */
export const VEC = {
  DE: 0, DB: 1, NMI: 2, BP: 3, OF: 4, UD: 6, DF: 8, TS: 10, NP: 11, SS: 12, GP: 13, PF: 14,
  AC: 17, MC: 18, TIMER: 0x20, INT80: 0x80,
} as const;

/** Vectors that push an error code (QEMU exception_has_error_code; section 4.6). */
export const ERROR_CODE_VECTORS: ReadonlySet<number> = new Set([8, 10, 11, 12, 13, 14, 17]);

/** Placeholder kernel entry addresses for ISA-only use; the kernel layer replaces them. */
export const DEFAULT_TEXT = 0xffff_ffff_8100_0000n;
export const DEFAULT_LSTAR = DEFAULT_TEXT + 0x1000n;
export const DEFAULT_CSTAR = DEFAULT_TEXT + 0x2000n;
export const DEFAULT_SYSENTER_EIP = DEFAULT_TEXT + 0x3000n;
/** Handler address of vector v in the default IDT. */
export const defaultHandler = (v: number): bigint => DEFAULT_TEXT + 0x10000n + BigInt(v) * 0x100n;

/** Default stacks: one thread stack top and the IST stack tops (4 KiB apart is plenty here). */
export const DEFAULT_RSP0 = 0xffff_c900_0000_4000n;
export const DEFAULT_IST: readonly bigint[] = [
  0n, 0xfffffe0000001000n, 0xfffffe0000002000n, 0xfffffe0000003000n, 0xfffffe0000004000n, 0n, 0n, 0n,
];

/** MSRs as syscall_init() programs them with IA32 emulation on. */
export const LINUX_MSRS: Msrs = {
  star: LINUX_STAR,
  lstar: DEFAULT_LSTAR,
  cstar: DEFAULT_CSTAR,
  fmask: LINUX_FMASK,
  sysenterCs: BigInt(KERNEL_CS),
  sysenterEsp: DEFAULT_RSP0,
  sysenterEip: DEFAULT_SYSENTER_EIP,
};

const code = (long: boolean, dpl: number): Descriptor => ({ type: 'code', l: long, db: !long, dpl, present: true });
const data = (dpl: number): Descriptor => ({ type: 'data', l: false, db: true, dpl, present: true });

/** The Linux x86-64 GDT (segment.h, common.c): indices 1-6; 7 is unused (SYSEXIT64 SS slot). */
export const LINUX_TABLES: DescriptorTables = {
  gdt: { 1: code(false, 0), 2: code(true, 0), 3: data(0), 4: code(false, 3), 5: data(3), 6: code(true, 3) },
  ldt: {},
};

const intGate = (v: number, ist = 0, dpl = 0): Gate =>
  ({ type: 'interrupt', ist, dpl, handler: defaultHandler(v), present: true });

/**
 * Linux's IDT shape: interrupt gates throughout (idt.c INTG/SYSG/ISTG), IST for #DB, NMI, #DF,
 * #MC; INT3 and INT 0x80 callable from user mode (DPL 3). #BP left IST in 2018 (d8ba61ba58c8).
 */
export function linuxIdt(): Record<number, Gate> {
  const idt: Record<number, Gate> = {};
  for (let v = 0; v < 32; v++) idt[v] = intGate(v);
  idt[VEC.DB] = intGate(VEC.DB, IST_DB);
  idt[VEC.NMI] = intGate(VEC.NMI, IST_NMI);
  idt[VEC.BP] = intGate(VEC.BP, 0, 3);
  idt[VEC.OF] = intGate(VEC.OF, 0, 3);
  idt[VEC.DF] = intGate(VEC.DF, IST_DF);
  idt[VEC.MC] = intGate(VEC.MC, IST_MCE);
  idt[VEC.TIMER] = intGate(VEC.TIMER);
  idt[VEC.INT80] = intGate(VEC.INT80, 0, 3);
  return idt;
}
