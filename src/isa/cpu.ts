/**
 * The CPU as immutable, JSON-serialisable data. One logical processor in IA-32e mode with
 * EFER.SCE = 1 (the only configuration a 64-bit kernel runs in). Layout of the state follows
 * DESIGN.md section 2.1; each field's meaning is cited where the instructions use it.
 */
import type { Paging } from './canonical.ts';
import { IsaInputError, isaErrors } from './errors.ts';
import type { DescriptorTables, Segment } from './segments.ts';

/** CPU vendor; the places where Intel and AMD differ are listed in reference section 6. */
export type Vendor = 'intel' | 'amd';

/** Throws unless `v` is a known vendor. */
export function assertVendor(v: unknown): Vendor {
  if (v !== 'intel' && v !== 'amd') throw new IsaInputError(isaErrors.notVendor(v));
  return v;
}

/** The registers the model tracks, all 64-bit. */
export const REG_NAMES = [
  'rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'rsp',
  'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15', 'rip',
] as const;

/** One of {@link REG_NAMES}. */
export type RegName = (typeof REG_NAMES)[number];

/** General-purpose registers plus RIP. */
export type Regs = Readonly<Record<RegName, bigint>>;

/** An IDT gate (64-bit mode: interrupt gate type 0xE or trap gate type 0xF). */
export interface Gate {
  readonly type: 'interrupt' | 'trap';
  /** 0 = no IST; 1..7 selects TSS.IST1..IST7. */
  readonly ist: number;
  /** Checked against CPL for INT n / INT3 only. */
  readonly dpl: number;
  readonly handler: bigint;
  readonly present: boolean;
}

/** The MSRs the entry paths use (addresses in reference section 3.1). */
export interface Msrs {
  readonly star: bigint;
  readonly lstar: bigint;
  readonly cstar: bigint;
  readonly fmask: bigint;
  readonly sysenterCs: bigint;
  readonly sysenterEsp: bigint;
  readonly sysenterEip: bigint;
}

/** 64-bit TSS: the stacks event delivery may switch to. `ist[0]` is unused. */
export interface Tss {
  readonly rsp0: bigint;
  readonly ist: readonly bigint[];
}

/**
 * A trap-class #DB waiting for the next instruction boundary. `held` means a MOV SS / POP SS
 * shadow is holding it past the next instruction (SDM Vol. 3 section 6.8.3).
 */
export interface PendingDb {
  readonly cause: 'single-step' | 'watchpoint';
  readonly held: boolean;
}

/** Interrupt shadow at the next boundary: after STI (interrupts) or MOV SS (interrupts, #DB, NMI). */
export type Shadow = 'none' | 'sti' | 'movss';

/** Full CPU state. CPL is not stored: in 64-bit mode it is CS.RPL ({@link cpl}). */
export interface CpuState {
  readonly vendor: Vendor;
  readonly paging: Paging;
  readonly regs: Regs;
  readonly rflags: bigint;
  readonly cs: Segment;
  readonly ss: Segment;
  readonly gsBase: bigint;
  readonly kernelGsBase: bigint;
  readonly cr2: bigint;
  readonly msr: Msrs;
  readonly idt: Readonly<Record<number, Gate>>;
  readonly tss: Tss;
  readonly tables: DescriptorTables;
  /** NMIs blocked from NMI delivery until the next IRET (SDM section 6.7.1). */
  readonly nmiBlocked: boolean;
  readonly shadow: Shadow;
  readonly pendingDb: PendingDb | null;
  /** Linear address of an enabled read/write data breakpoint (DR0 with DR7.G0, RW0 = 3), if any. */
  readonly watch: bigint | null;
  /** CR4.FSGSBASE: user code may execute RDGSBASE/WRGSBASE (SDM Vol. 2 WRGSBASE). */
  readonly fsgsbase: boolean;
  /**
   * Linear address of an enabled instruction breakpoint (a DRn with R/Wn = 00, LENn = 0), if any:
   * the #DB fires before the instruction there executes unless RF is set (breakpoint.ts).
   */
  readonly breakAt: bigint | null;
  /** CR4.SMAP: supervisor data accesses to user pages fault unless RFLAGS.AC is set (smap.ts). */
  readonly smap: boolean;
  /**
   * Linear ranges [from, to) the kernel maps read-only (CR0.WP = 1 makes supervisor writes to them
   * fault): Linux's espfix64 stack alias. Event delivery pushing a frame there takes a #PF.
   */
  readonly writeProtected: ReadonlyArray<readonly [bigint, bigint]>;
}

/** Current privilege level: CS.RPL (always equal to CS.DPL for the segments the model loads). */
export function cpl(cpu: CpuState): number {
  return cpu.cs.sel & 3;
}

/** True in 64-bit mode (CS.L = 1); false in compatibility mode. */
export function is64(cpu: CpuState): boolean {
  return cpu.cs.l;
}
