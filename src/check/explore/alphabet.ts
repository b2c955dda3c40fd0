/**
 * The alphabet of bounded-exhaustive exploration: a finite list of events, each event type of the
 * vocabulary with a small domain of boundary values (gen/values.ts says where the predicates
 * change their answer). Interrupts and NMIs come at the first few boundaries of the next event
 * (`after` 0..window-1): with an interrupt counted as one event, a trace of length k reaches an
 * interrupt at any of those boundaries of any of its instructions; deeper in a kernel path only
 * `explore --every-boundary` places one (boundaries.ts). A user may pass their own alphabet as a
 * JSON file (a list of events in the trace-file form).
 */
import { USER32_CS, USER_CS, USER_DS } from '../../isa/index.ts';
import { EPILOGUE_INSNS } from '../../model/index.ts';
import { COMPAT_FAST_ABLE, SYSRET_ABLE } from '../gen/values.ts';
import type { RawEvent } from '../trace-file.ts';
import type { ExploreOptions } from './explore.ts';

/** A frame that fast-returns as it stands, with one field group moved (gen/values.ts SYSRET_ABLE; gen/events.ts explains why). */
const frame = (moved: Record<string, string | number>): Record<string, string | number> => ({ ...SYSRET_ABLE, ...moved });

/** The same for a 32-bit fast system call's return (gen/values.ts COMPAT_FAST_ABLE). */
const compatFrame = (moved: Record<string, string | number>): Record<string, string | number> => ({ ...COMPAT_FAST_ABLE, ...moved });

/** Events whose values are not counts of boundaries. */
const BASE: readonly RawEvent[] = [
  { type: 'user.nop' },
  { type: 'user.syscall', nr: 'getpid' },
  { type: 'user.syscall', nr: 'sched_yield' },
  { type: 'user.syscall', nr: 'fork' },
  { type: 'user.int80', nr: 'getpid' },
  // fork through the compat entry too: a child inherits the state of the ABI its parent entered by.
  { type: 'user.int80', nr: 'fork' },
  { type: 'user.sysenter', nr: 'getpid' },
  { type: 'user.int3' },
  // RFLAGS: TF (a trap after the next instruction), AC|NT and DF (flags the entry must clear).
  { type: 'user.popf', flags: '0x302' },
  { type: 'user.popf', flags: '0x44202' },
  { type: 'user.popf', flags: '0x602' },
  { type: 'user.movSs', watched: true },
  // The last instruction of the canonical user half: the next RIP is the first non-canonical one.
  { type: 'user.jump', target: '$user_half_end-2' },
  // A user RSP inside a kernel stack (the NMI stack, one hardware frame below its top).
  { type: 'user.setReg', reg: 'rsp', value: '$nmi_stack-0x28' },
  // A user RSP on an unmapped page (the null page): every read of the user stack faults.
  { type: 'user.setReg', reg: 'rsp', value: '0x0' },
  { type: 'user.wrgsbase', value: '0xffff800000000000' },
  // Forged frames, each valid but for one field group at its edge, one per condition a fast
  // return checks: RIP/RCX just past the user half and at TASK_SIZE_MAX, RFLAGS/R11 with TF and
  // with RF, RCX one bit away from RIP, CS the other user code segment, SS naming LDT slot 0.
  { type: 'user.syscall', nr: 'rt_sigreturn', frame: frame({ rip: '$user_half_end', rcx: '$user_half_end' }) },
  { type: 'user.syscall', nr: 'rt_sigreturn', frame: frame({ rip: '$task_size_max', rcx: '$task_size_max' }) },
  // RCX one bit away from RIP, above bit 31: only a comparison of all 64 bits tells them apart.
  { type: 'user.syscall', nr: 'rt_sigreturn', frame: frame({ rcx: '$next+0x100000000' }) },
  { type: 'user.syscall', nr: 'rt_sigreturn', frame: frame({ rflags: '0x302', r11: '0x302' }) },
  { type: 'user.syscall', nr: 'rt_sigreturn', frame: frame({ rflags: '0x10202', r11: '0x10202' }) },
  { type: 'user.syscall', nr: 'rt_sigreturn', frame: frame({ cs: USER32_CS }) },
  { type: 'user.syscall', nr: 'rt_sigreturn', frame: frame({ ss: 0x7 }) },
  // modify_ldt(1, 0, flags): a not-present data descriptor, a present code one.
  { type: 'user.syscall', nr: 'modify_ldt', args: ['0x1', '0x0', '0x0'] },
  { type: 'user.syscall', nr: 'modify_ldt', args: ['0x1', '0x0', '0x3'] },
  { type: 'tracer.attach', options: { syscalls: true } },
  { type: 'tracer.attach', options: { fork: true } },
  { type: 'tracer.setRegs', regs: { rip: '$user_half_end', rcx: '$user_half_end' } },
  { type: 'tracer.singleStep' },
  { type: 'tracer.cont' },
  { type: 'tracer.detach' },
  { type: 'tracer.watch', addr: '$user_data' },
  { type: 'sched.signal', task: 1, signal: 10 },
];

/** The default alphabet: BASE plus an IRQ and an NMI at each of the first `window` boundaries. */
export function defaultAlphabet(window = 2): RawEvent[] {
  const hw: RawEvent[] = [];
  for (let after = 0; after < window; after++) hw.push({ type: 'hw.irq', after }, { type: 'hw.nmi', after });
  return [...BASE, ...hw];
}

/**
 * Events `run`'s exploration adds to the default alphabet. A user access to a demand-paged page:
 * the only entry from user mode by a fault in one event (every other #PF from user mode needs a
 * RIP or RSP set up first), so an interrupt lands in a #PF entry's first micro-steps at depth 2.
 * A jump into the rseq critical section: the one user region the exit and scheduler rewrite RIP
 * for. Kept out of the `explore` command's alphabet, timed at depth 4 (each event is 11% there).
 */
const RUN_EXTRA: readonly RawEvent[] = [
  { type: 'user.access', addr: '$user_demand', write: false }, { type: 'user.jump', target: '$rseq_cs' },
  // modify_ldt's third attribute at its edge beside BASE's two: a present 16-bit data descriptor.
  // An IRET to a 16-bit SS loads only SP[15:0] (SDM Vol. 2A IRET), which is what a return to an
  // LDT stack segment must not let the kernel's RSP bits 31:16 through (espfix64, reference B9).
  { type: 'user.syscall', nr: 'modify_ldt', args: ['0x1', '0x0', '0x5'] },
  // In 32-bit code (after the CS = __USER32_CS frame above, or once the 32-bit task runs), the
  // vDSO's rt_sigreturn with a frame the compat exit would return by SYSRETL/SYSEXIT but for one
  // condition at its edge: CS (the 64-bit user CS), SS (LDT slot 0), TF, RF, the IP at the
  // int $0x80 before the landing pad, and the IP one bit away above its low half (bit 16: only a
  // comparison of all 32 bits tells it from the landing pad, as RCX above bit 31 does for 64);
  // and the IP at the epilogue's last instruction, its `ret` (the edge of the code the landing
  // pad names: a range test over it returns there by SYSRETL with ECX not popped back).
  // VM cannot be set from user mode.
  // CS and SS also one bit away at TI, as for the 64-bit frames below.
  ...([{ cs: USER_CS }, { ss: 0x7 }, { rflags: '0x302' }, { rflags: '0x10202' }, { rip: '$landing_pad-0x2' }, { rip: '$landing_pad+0x10000' }, { rip: `$landing_pad+0x${(EPILOGUE_INSNS - 1).toString(16)}` },
    { cs: USER32_CS | 4 }, { ss: USER_DS | 4 }] as Array<Record<string, string | number>>)
    .map((moved): RawEvent => ({ type: 'user.syscall', nr: 'rt_sigreturn', frame: compatFrame(moved) })),
  // RCX one bit away from RIP at bit 63 as well as at bit 32 (BASE): a comparison of 48 or 57
  // bits, or of the canonical part, calls them equal while the RIP bound still passes, and
  // SYSRET then jumps to a non-canonical RCX; the bit-32 frame keeps RCX canonical, for a 32-bit
  // comparison whose bound is tested on RCX.
  { type: 'user.syscall', nr: 'rt_sigreturn', frame: frame({ rcx: '$next+0x8000000000000000' }) },
  // RIP and RCX at 2^63 beside BASE's user-half end: the other side of the non-canonical hole
  // from the user's, and where a bound compared as a signed number (or a mask that leaves bit 63
  // out) passes what the unsigned test refuses; SYSRET to it #GPs at CPL 0 on Intel (SDM SYSRET).
  { type: 'user.syscall', nr: 'rt_sigreturn', frame: frame({ rip: '0x8000000000000000', rcx: '0x8000000000000000' }) },
  // R11 one bit away from RFLAGS the same way, at the two bits where a narrower R11 == RFLAGS
  // test goes wrong: RF (set in RFLAGS only: SYSRET cannot restore it, so a test that masks RF
  // out, or reads it from R11, returns with RF lost) and ID, the highest flag SYSRET loads from
  // R11 (a comparison of fewer than 22 bits calls them equal). SDM Vol. 2B SYSRET.
  { type: 'user.syscall', nr: 'rt_sigreturn', frame: frame({ rflags: '0x10202', r11: '0x202' }) },
  { type: 'user.syscall', nr: 'rt_sigreturn', frame: frame({ r11: '0x200202' }) },
  // CS and SS one bit away from the user's at TI: the same descriptor index in the LDT (empty
  // here, so IRET faults), which a selector test that leaves TI out takes for the user's.
  { type: 'user.syscall', nr: 'rt_sigreturn', frame: frame({ cs: USER_CS | 4 }) },
  { type: 'user.syscall', nr: 'rt_sigreturn', frame: frame({ ss: USER_DS | 4 }) },
  // SS the NULL selector (RPL 3, as sigreturn leaves it): the selector the architecture treats
  // apart, which IRET to CPL 3 refuses (#GP, SDM Vol. 2A IRET) and SYSRET never loads, so an SS
  // test that lets it through (taking it for AMD's NULL SS after an interrupt) is told apart.
  { type: 'user.syscall', nr: 'rt_sigreturn', frame: frame({ ss: 0x3 }) },
  // A machine check at the first boundaries of the next event too, like the IRQ and the NMI: an
  // exception no instruction raises, which lands wherever the hardware is (a SYSCALL entry before
  // its stack switch included), and which only an IST stack makes survivable there.
  { type: 'hw.mce', after: 0 }, { type: 'hw.mce', after: 1 },
  // An IRQ at the third boundary as well: a fault entry's first two boundaries (before the
  // faulting instruction, at the entry's first instruction) come before it has switched to the
  // kernel's GS, so only the third lands inside the entry proper (a trap gate's, say).
  { type: 'hw.irq', after: 2 },
];

/** The alphabet of `run`'s exploration (and of mutate's and the acceptance tests' searches). */
export function runAlphabet(): RawEvent[] {
  return [...BASE, ...RUN_EXTRA, ...defaultAlphabet().slice(BASE.length)];
}

/**
 * What `run`'s exploration is, besides its depth: run's alphabet, two levels past the depth where
 * the world gained actions, and four more that follow only the windows the last event opened (a
 * task switched out in the kernel, a tracee stopped for a new reason), so a tracer's chain of
 * resumes and steps goes on while each ends somewhere new, with the windows probed by an IRQ
 * and an NMI (explore/probes.ts) (explore.ts; the acceptance tests use the same, so they measure
 * what `run` does).
 */
export function runExploration(): Pick<ExploreOptions, 'alphabet' | 'extendNewlyEnabled' | 'extraLevels' | 'loops' | 'shadowPairs' | 'programIrqs' | 'windowProbes' | 'irqPairs'> {
  return { alphabet: runAlphabet(), extendNewlyEnabled: true, extraLevels: 6, loops: true, shadowPairs: 2, programIrqs: 1, windowProbes: true, irqPairs: true };
}
