/**
 * Can co-simulation run here, and on what: x86-64 Linux, a C compiler for the harness, and
 * permission to ptrace a child (checked by running one trace); the CPU vendor and paging mode
 * come from /proc/cpuinfo so the model runs as the machine does.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Paging, Vendor } from '../isa/index.ts';
import { buildHarness } from './build.ts';

/** Where the host kernel's 32-bit vDSO has its entry and landing pad (native/compat.c). */
export interface VdsoAddrs {
  readonly vsyscall: bigint;
  readonly fastcall: bigint;
  readonly int80: bigint;
  readonly landing: bigint;
}

/** What the machine offers, or why co-simulation cannot run. */
export type Platform =
  | {
    readonly ok: true; readonly harness: string; readonly vendor: Vendor; readonly paging: Paging; readonly int80: boolean;
    readonly cpu: string;
    /** CR4.UMIP: the kernel's #GP handler reads the faulting instruction (see model-run.ts). */
    readonly umip: boolean;
    /** The 32-bit vDSO mapped at the model's address, or null where it cannot be. */
    readonly vdso: VdsoAddrs | null;
    /** The XSAVE area's size in this host's 64-bit signal frames, as the probe measured it (0: not learned). */
    readonly xstate: bigint;
  }
  | {
    readonly ok: false; readonly reason: string;
    /** The harness and its int $0x80 answer, when it runs here but the host is not the architecture: its guard is still tested. */
    readonly harness?: string; readonly int80?: boolean;
  };

/** Vendor, paging mode and model name from /proc/cpuinfo text. */
export function parseCpuinfo(text: string): { vendor: Vendor | null; paging: Paging; cpu: string; umip: boolean } {
  const field = (name: string): string => new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(text)?.[1]?.trim() ?? '';
  const id = field('vendor_id');
  const vendor = id === 'GenuineIntel' ? 'intel' : id === 'AuthenticAMD' ? 'amd' : null;
  const flags = field('flags').split(/\s+/);
  return { vendor, paging: flags.includes('la57') ? 5 : 4, cpu: field('model name'), umip: flags.includes('umip') };
}

/** Why co-simulation does not run on a host whose user mode is not the architecture's. */
export const NOT_ARCHITECTURAL = 'user mode here does not run as the architecture says (RFLAGS.NT set by POPF was lost at the next single-step stop: a paravirtualized guest?), so a difference would be the host\'s, not the model\'s';

let cached: Platform | undefined;

/** Detects the platform once per process (building the harness if needed). */
export function detectPlatform(): Platform {
  cached ??= detect();
  return cached;
}

function detect(): Platform {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    return { ok: false, reason: `not x86-64 Linux (${process.platform}/${process.arch})` };
  }
  let info;
  try {
    info = parseCpuinfo(readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return { ok: false, reason: '/proc/cpuinfo is not readable' };
  }
  if (info.vendor === null) return { ok: false, reason: 'the CPU vendor is neither GenuineIntel nor AuthenticAMD' };
  const built = buildHarness();
  if (!built.ok) return { ok: false, reason: built.reason };
  let out: string;
  try {
    out = execFileSync(built.path, ['--probe'], { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'ignore'] });
  } catch (e) {
    const stdout = String((e as { stdout?: string }).stdout ?? '');
    out = stdout || JSON.stringify({ ok: false, detail: (e as Error).message.split('\n')[0] });
  }
  return platformOfProbe(out, built.path, { ...info, vendor: info.vendor });
}

/** The platform a harness probe's output (its first line, JSON) describes, on a CPU read from /proc/cpuinfo. */
export function platformOfProbe(out: string, harness: string, info: { vendor: Vendor; paging: Paging; cpu: string; umip: boolean }): Platform {
  let probe: { ok: boolean; int80?: boolean; nt?: boolean; xstate?: string; detail?: string; vdso?: Record<keyof VdsoAddrs, string> | null };
  try {
    probe = JSON.parse(out.trim().split('\n')[0] ?? '') as typeof probe;
  } catch {
    return { ok: false, reason: `the harness probe failed: ${out.slice(0, 100)}` };
  }
  if (!probe.ok) return { ok: false, reason: `no ptrace permission or no usable child process (${probe.detail ?? 'probe failed'})` };
  // User code must run on the CPU as the SDM says, or a difference is the host's, not the model's:
  // a paravirtualized guest's hypervisor runs its user mode and loses RFLAGS.NT (native/harness.c).
  if (probe.nt === false) return { ok: false, reason: NOT_ARCHITECTURAL, harness, int80: probe.int80 === true };
  const v = probe.vdso;
  const vdso = v ? { vsyscall: BigInt(v.vsyscall), fastcall: BigInt(v.fastcall), int80: BigInt(v.int80), landing: BigInt(v.landing) } : null;
  const xstate = /^0x[0-9a-f]{1,8}$/.test(probe.xstate ?? '') ? BigInt(probe.xstate as string) : 0n;
  return { ok: true, harness, vendor: info.vendor, paging: info.paging, int80: probe.int80 === true, cpu: info.cpu, umip: info.umip, vdso, xstate };
}
