/**
 * Single-condition mutants of linux-6.7's exit checks, to mutation-test the co-simulation
 * oracle: each removes (or moves by one) exactly one condition of the SYSRET test in
 * do_syscall_64 or of the SYSRETL/SYSEXIT test in do_fast_syscall_32 (arch/x86/entry/common.c,
 * v6.7; linux-entry-history 1.2 and 2.4). `cosim --design mutant:NAME` runs one; the mutation
 * test (test/cosim/mutation.test.ts) expects every mutant that a host can tell apart to lose
 * agreement, and says for the others why no user-visible difference exists there.
 */
import { isCanonical, rf, taskSizeMax, USER_CS, USER_DS, type Vendor } from '../isa/index.ts';
import { findDesign, variant, type Design, type ExitFacts, type Knobs } from '../kernel/index.ts';

/** A mutant: the design, the condition it breaks, and where a difference can be seen. */
export interface Mutant {
  readonly name: string;
  /** The exit the condition guards. */
  readonly exit: 'sysret' | 'sysretl';
  readonly design: Design;
  /** Vendors on which SYSRET/SYSRETL there and IRET differ in something user mode or a tracer can see. */
  readonly visibleOn: readonly Vendor[];
  /** Why it cannot be seen elsewhere (or at all). */
  readonly why?: string;
}

const BASE = findDesign('linux-6.7') as Design;
const K = BASE.knobs;
const CANON_END = 1n << 47n;

const knob64 = (name: string, change: Partial<Knobs['sysretChecks']>): Design =>
  variant(BASE, `mutant:${name}`, { sysretChecks: { ...K.sysretChecks, ...change } }, `linux-6.7 without the SYSRET condition ${Object.keys(change)[0]}`);
const knob32 = (name: string, change: Partial<Knobs['compatChecks']>): Design =>
  variant(BASE, `mutant:${name}`, { compatChecks: { ...K.compatChecks, ...change } }, `linux-6.7 without the SYSRETL condition ${Object.keys(change)[0]}`);

/** linux-6.7's SYSRET test with its RIP condition replaced (the others as do_syscall_64 has them). */
function ripVariant(name: string, ripOk: (rip: bigint, f: ExitFacts) => boolean, source: string): Design {
  const eligible = (f: ExitFacts): boolean => {
    const r = f.regs;
    return r.rcx === r.rip && r.r11 === r.rflags && r.cs === BigInt(USER_CS) && r.ss === BigInt(USER_DS)
      && (r.rflags & (rf.RF | rf.TF)) === 0n && ripOk(r.rip, f);
  };
  return { ...BASE, name: `mutant:${name}`, source, overrides: { sysretEligible: eligible } };
}

const BOTH: readonly Vendor[] = ['intel', 'amd'];
const RIP_WHY = 'AMD: SYSRET to a non-canonical RCX faults in user mode at that RIP (x86-semantics 6), just as the IRET path (#GP on IRET, fixup_bad_iret) reports it: the same SIGSEGV with the same frame';

/** Every single-condition mutant of linux-6.7's exit checks. */
export const MUTANTS: readonly Mutant[] = [
  { name: 'sysret-rcx', exit: 'sysret', design: knob64('sysret-rcx', { rcxEqualsRip: false }), visibleOn: BOTH },
  { name: 'sysret-r11', exit: 'sysret', design: knob64('sysret-r11', { r11EqualsFlags: false }), visibleOn: BOTH },
  { name: 'sysret-rip', exit: 'sysret', design: knob64('sysret-rip', { rip: 'none' }), visibleOn: ['intel'], why: RIP_WHY },
  {
    name: 'sysret-rip-canonical-off-by-one', exit: 'sysret', visibleOn: ['intel'], why: RIP_WHY,
    design: ripVariant('sysret-rip-canonical-off-by-one', (rip, f) => isCanonical(rip, f.paging) || rip === CANON_END,
      'linux-6.7 with the RIP test one too wide at the canonical edge (accepts 2^47)'),
  },
  {
    name: 'sysret-rip-task-size-off-by-one', exit: 'sysret', visibleOn: [],
    why: 'the one RIP it adds, TASK_SIZE_MAX, is canonical: SYSRET there behaves as IRET on every CPU (the guard page only protects SYSCALL at the end of the user half, which cannot be mapped)',
    design: ripVariant('sysret-rip-task-size-off-by-one', (rip, f) => rip <= taskSizeMax(f.paging),
      'linux-6.7 with ip >= TASK_SIZE_MAX written ip > TASK_SIZE_MAX'),
  },
  { name: 'sysret-rf', exit: 'sysret', design: knob64('sysret-rf', { rfClear: false }), visibleOn: BOTH },
  { name: 'sysret-tf', exit: 'sysret', design: knob64('sysret-tf', { tfClear: false }), visibleOn: BOTH },
  { name: 'sysret-cs', exit: 'sysret', design: knob64('sysret-cs', { csIsUserCs: false }), visibleOn: BOTH },
  { name: 'sysret-ss', exit: 'sysret', design: knob64('sysret-ss', { ssIsUserDs: false }), visibleOn: BOTH },
  { name: 'sysretl-cs', exit: 'sysretl', design: knob32('sysretl-cs', { csIsUser32Cs: false }), visibleOn: BOTH },
  { name: 'sysretl-ss', exit: 'sysretl', design: knob32('sysretl-ss', { ssIsUserDs: false }), visibleOn: BOTH },
  { name: 'sysretl-ip', exit: 'sysretl', design: knob32('sysretl-ip', { ipIsLandingPad: false }), visibleOn: BOTH },
  {
    name: 'sysretl-rf-tf', exit: 'sysretl', design: knob32('sysretl-rf-tf', { rfTfClear: false }), visibleOn: [],
    why: 'RF or TF at a 32-bit fast system call\'s return is not generated: the harness stops at the landing pad with an execute breakpoint, which RF suppresses, and the model runs the vDSO epilogue as one instruction, so TF would trap elsewhere than on the machine',
  },
  {
    name: 'sysretl-vm', exit: 'sysretl', design: knob32('sysretl-vm', { vmClear: false }), visibleOn: [],
    why: 'no writer can set VM in a 64-bit kernel\'s pt_regs (ptrace FLAG_MASK and sigreturn FIX_EFLAGS exclude it): the condition can never fail',
  },
];

/** A mutant by name (with or without the "mutant:" prefix). */
export function findMutant(name: string): Mutant | undefined {
  const n = name.replace(/^mutant:/, '');
  return MUTANTS.find((m) => m.name === n);
}
