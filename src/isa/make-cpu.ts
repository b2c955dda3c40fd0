/**
 * Building a CPU state from partial, possibly user-supplied values, validating each one.
 */
import { assertPaging, type Paging } from './canonical.ts';
import { assertVendor, REG_NAMES, type CpuState, type Regs, type Vendor } from './cpu.ts';
import { DEFAULT_IST, DEFAULT_RSP0, LINUX_MSRS, LINUX_TABLES, linuxIdt, USER_CS, USER_DS } from './defaults.ts';
import { IsaInputError, isaErrors } from './errors.ts';
import { assertRflags, FIXED, IF } from './rflags.ts';
import { flatCode, flatData } from './segments.ts';
import { assertU64 } from './u64.ts';

/** Inputs to {@link makeCpu}; everything but vendor and paging has a Linux-like default. */
export interface CpuInit {
  readonly vendor: Vendor;
  readonly paging: Paging;
  readonly regs?: Partial<Regs>;
  readonly rflags?: bigint;
  readonly gsBase?: bigint;
  readonly kernelGsBase?: bigint;
  readonly overrides?: Partial<Omit<CpuState, 'vendor' | 'paging' | 'regs' | 'rflags'>>;
}

/** User-mode GS base and the per-CPU base a kernel keeps in KERNEL_GS_BASE while in user mode. */
export const DEFAULT_USER_GS = 0n;
export const DEFAULT_PERCPU_BASE = 0xffff_8880_7fc0_0000n;

/**
 * A CPU in 64-bit user mode (CS = __USER_CS, SS = __USER_DS, IF = 1) on a machine programmed as
 * Linux programs it. Throws an {@link IsaInputError} naming the bad field on invalid input.
 */
export function makeCpu(init: CpuInit): CpuState {
  const vendor = assertVendor(init.vendor);
  const paging = assertPaging(init.paging);
  const regs = Object.fromEntries(REG_NAMES.map((r) => [r, 0n])) as Record<string, bigint>;
  for (const [name, value] of Object.entries(init.regs ?? {})) {
    if (!(REG_NAMES as readonly string[]).includes(name)) {
      throw new IsaInputError(isaErrors.notU64(`register ${name} (unknown register)`, value));
    }
    regs[name] = assertU64(value, `register ${name}`);
  }
  const cpu: CpuState = {
    vendor,
    paging,
    regs: regs as Regs,
    rflags: assertRflags(init.rflags ?? (FIXED | IF)),
    cs: flatCode(USER_CS, 3, true),
    ss: flatData(USER_DS, 3),
    gsBase: assertU64(init.gsBase ?? DEFAULT_USER_GS, 'gsBase'),
    kernelGsBase: assertU64(init.kernelGsBase ?? DEFAULT_PERCPU_BASE, 'kernelGsBase'),
    cr2: 0n,
    msr: LINUX_MSRS,
    idt: linuxIdt(),
    tss: { rsp0: DEFAULT_RSP0, ist: DEFAULT_IST },
    tables: LINUX_TABLES,
    nmiBlocked: false,
    shadow: 'none',
    pendingDb: null,
    watch: null,
    fsgsbase: false,
    breakAt: null,
    smap: false,
    writeProtected: [],
    ...init.overrides,
  };
  return cpu;
}

/** Returns `cpu` with one register replaced (validated). */
export function setReg(cpu: CpuState, name: keyof Regs, value: bigint): CpuState {
  return { ...cpu, regs: { ...cpu.regs, [name]: assertU64(value, `register ${name}`) } };
}
