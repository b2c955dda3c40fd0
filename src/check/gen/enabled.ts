/**
 * Which kinds of event are enabled in a state, so the guided search spends its draws on events
 * that will run rather than be skipped. Each rule restates an enabling condition the model
 * applies (model/step.ts applyEvent for user events, kernel/ptrace.ts for tracer and scheduler
 * events); a rule that is too generous only costs a skipped event, never a missed behaviour.
 */
import fc from 'fast-check';
import { is64, rf } from '../../isa/index.ts';
import { atUserBoundary, traceeOf, type MachineState, type StopKind } from '../../model/index.ts';
import type { RawEvent } from '../trace-file.ts';
import { EVENT_GENERATORS, generatorsFor, type GenContext } from './events.ts';

type Type = RawEvent['type'];

const USER = 1;
const ATTACHABLE = 2;
const STOPPED = 4;
const TRACED = 8;
const SLEEPER = 16;
/** A data breakpoint is armed: an access that hits it has something to hit. */
const WATCH = 32;
/** A debug trap is pending at this boundary (held by a MOV SS shadow): the next instruction runs inside that window. */
const TRAP = 64;
/** An NMI is armed to fire within the next event: it lands inside that event's kernel entry, or another lands in its handler. */
const ARMED = 128;
/**
 * A task switched out inside the kernel waits to run: a call that gives up the CPU (sched_yield,
 * a blocking call) switches back into its path, after the current task changed per-CPU state.
 */
const RUNNABLE = 256;
/**
 * Why the tracee is stopped, one bit per stop kind (a syscall entry, its exit, a fork event, a
 * single step, a signal): a tracer's resume acts on the stop it ends, and a resume that ends in
 * a stop of another kind gives the tracer a new situation.
 */
const STOP_KIND: Readonly<Record<StopKind, number>> = { 'syscall-entry': 512, 'syscall-exit': 1024, fork: 2048, singlestep: 4096, signal: 8192 };
const ANY_STOP_KIND = 512 | 1024 | 2048 | 4096 | 8192;
/**
 * The tracer single-steps the task about to run user code (PTRACE_SINGLESTEP: TF set and
 * TIF_SINGLESTEP): its next instruction ends in a step report, and a system call owes one at its
 * exit, where syscall_exit_work reads TIF_SINGLESTEP (reference B23), so system calls act on it.
 */
const STEPPING = 16384;
/**
 * A task switched out by an interrupt that came in kernel mode (its innermost activation an
 * interrupt, not its first): preempted at an arbitrary point of a kernel path, where per-CPU
 * state it has not yet saved is still live, unlike a task that gave up the CPU at a schedule().
 */
const PREEMPTED = 32768;

/** The enabling conditions a state meets, as a bit mask (0: nothing but hardware events). */
export function enabledMask(m: MachineState): number {
  if (m.k.halted !== null) return -1;
  const tracee = traceeOf(m);
  let mask = 0;
  if (atUserBoundary(m)) mask |= USER;
  if (tracee === undefined && m.k.current !== 0) mask |= ATTACHABLE;
  if (tracee !== undefined) mask |= TRACED;
  if (tracee?.mode === 'stopped') mask |= STOPPED | (tracee.ptrace.stop === null ? 0 : STOP_KIND[tracee.ptrace.stop]);
  if (m.k.tasks.some((t) => t.mode === 'blocked' && t.wait === 'nanosleep')) mask |= SLEEPER;
  if (m.cpu.watch !== null) mask |= WATCH;
  if (m.cpu.pendingDb !== null) mask |= TRAP;
  if ((mask & USER) !== 0 && (m.cpu.rflags & rf.TF) !== 0n && m.k.tasks[m.k.current]?.ptrace.stepping === true) mask |= STEPPING;
  if (m.hw.armed.some((a) => a.kind === 'nmi')) mask |= ARMED;
  for (const t of m.k.tasks) {
    if (t.id === m.k.current || t.id === 0 || t.mode !== 'kernel') continue;
    mask |= RUNNABLE;
    const top = t.acts[t.acts.length - 1];
    if (t.acts.length >= 2 && top !== undefined && top.cause === 'idt' && !top.fromUser) mask |= PREEMPTED;
  }
  return mask;
}

/**
 * Whether event `e` is enabled under `mask` and the world gained, since `before`, a condition it
 * needs or acts on: a stopped tracee can be resumed, detached, rewritten; an armed watchpoint can
 * be hit; a trap held by a shadow lands on whatever instruction comes next (a window one
 * instruction wide, like an interrupt at one micro-step, that only an exhaustive step reaches).
 */
export function newlyEnabled(e: RawEvent, mask: number, before: number): boolean {
  const n = needs(e.type);
  const u = n | uses(e);
  return mask >= 0 && u !== 0 && (n & mask) === n && (before < 0 || (u & mask & ~before) !== 0);
}

/**
 * Whether `e` is a tracer's action on a tracee stopped for a reason it was not stopped for under
 * `before` (a step that ended at a syscall's exit stop, a resume that ended at a single-step
 * stop): followed past the second extension level, so a tracer's chain of resumes and steps goes
 * on while each ends somewhere new.
 */
export function newStop(e: RawEvent, mask: number, before: number): boolean {
  return mask >= 0 && (uses(e) & ANY_STOP_KIND & mask & ~before) !== 0;
}

/**
 * Whether `e` is a system call of a task the tracer just began to single-step, not there under
 * `before`: followed at the third extension level, by the calls without a forged frame (the
 * frames' values are explored up to the depth bound), since stepping over a system call is what
 * the exit's step report (and a fast return with TF) is about.
 */
export function newStep(e: RawEvent, mask: number, before: number): boolean {
  return mask >= 0 && !('frame' in e) && (uses(e) & STEPPING & mask & ~before) !== 0;
}

/**
 * Whether `e` is a system call without a forged frame just after a tracer attached (no tracee
 * under `before`, one now): a traced task's calls take the entry and exit work's stop paths, so
 * the first call after an attach shows what those paths do with it (followed at the first
 * extension level only).
 */
export function newTrace(e: RawEvent, mask: number, before: number): boolean {
  return mask >= 0 && before >= 0 && (mask & TRACED & ~before) !== 0 && !('frame' in e) && entersKernel(e);
}

/**
 * Whether `e` is a system call without a forged frame just after the tracer let go (a tracee was
 * attached under `before`, none is now): the end of a window is a change too, and the first call
 * after a detach shows whether the kernel still acts on what the stop left (a forced IRET, a flag).
 */
export function newRelease(e: RawEvent, mask: number, before: number): boolean {
  return mask >= 0 && before >= 0 && (before & TRACED & ~mask) !== 0 && !('frame' in e) && entersKernel(e);
}

/**
 * Whether `e` acts on a task switched out inside the kernel that was not waiting under `before`
 * (a call that gives up the CPU switches back into its path): followed past the second extension
 * level (with newStop), since it closes what a tracer's resume opened (the tracee goes on to
 * its exit only once the task that ran meanwhile yields).
 */
export function newlyRunnable(e: RawEvent, mask: number, before: number): boolean {
  return mask >= 0 && (mask & USER) !== 0 && (uses(e) & RUNNABLE & mask & ~before) !== 0;
}

/**
 * Whether `e` may enter the kernel (a system call without a forged frame, a breakpoint, a user
 * access that may fault) or send a signal just after a task was preempted inside a kernel path
 * (PREEMPTED, not so under `before`): the entry rewrites per-CPU state (CR2, the scratch slot,
 * the per-CPU stack) that the preempted path may still read once a yield switches back to it,
 * and the signal sets work (SIGPENDING) that a path stopped between its test of the work flags
 * and the return acting on them would take back to user mode (the exit-to-user loop must test
 * them with IRQs off: linux-entry-history 6.2, E1).
 */
export function newlyPreempted(e: RawEvent, mask: number, before: number): boolean {
  return preemptedSince(mask, before) && !('frame' in e)
    && (entersKernel(e) || e.type === 'user.int3' || e.type === 'user.access' || e.type === 'sched.signal');
}

/**
 * Whether `e` is an IRQ just after `last`, an entry taken in the window `newlyPreempted` opened:
 * the IRQ lands in the first boundaries of that entry and nests on what the preempted path still
 * holds (an IST stack both use, the per-CPU scratch slot), where one entry alone leaves it intact.
 */
export function preemptedNested(e: RawEvent, last: RawEvent | undefined, mask: number, before: number): boolean {
  return e.type === 'hw.irq' && last !== undefined && newlyPreempted(last, mask, before);
}

/** User code runs while a task waits preempted inside a kernel path, which it did not under `before`. */
export function preemptedSince(mask: number, before: number): boolean {
  return mask >= 0 && (mask & USER) !== 0 && (PREEMPTED & mask & ~before) !== 0;
}

/**
 * Whether the task preempted inside a kernel path under `before` runs again under `mask` (no task
 * waits preempted now): the path was resumed, with whatever per-CPU state the task that ran
 * meanwhile left behind (explore/probes.ts returnNmi).
 */
export function resumedPreempted(mask: number, before: number): boolean {
  return mask >= 0 && before >= 0 && (PREEMPTED & before & ~mask) !== 0;
}

/**
 * Whether `e` is a user register write just after a task was preempted inside a kernel path
 * (PREEMPTED, not so under `before`): the task now running sets up what its next entry reads
 * before saving anything (the stack it pushes to, the RSP its arguments are read through), so
 * the window's entries are followed once more after it (explore/beyond.ts).
 */
export function preemptedSetup(e: RawEvent, mask: number, before: number): boolean {
  return preemptedSince(mask, before) && setsUp(e);
}

/** A user register write: it changes what the next entry meets without entering the kernel. */
export function setsUp(e: RawEvent | undefined): boolean {
  return e?.type === 'user.setReg';
}

/**
 * Conditions an event acts on beyond what it needs: any instruction runs in a pending trap's
 * window; a watched access hits the watchpoint; an armed NMI lands in the next kernel entry's
 * first micro-steps or has another NMI land in its handler.
 */
function uses(e: RawEvent): number {
  if (e.type === 'hw.nmi') return ARMED;
  if (e.type.startsWith('tracer.') && needs(e.type) === STOPPED) return ANY_STOP_KIND;
  if (!e.type.startsWith('user.')) return 0;
  if (!entersKernel(e)) return TRAP | (e.type === 'user.movSs' && e.watched ? WATCH : 0);
  const yields = e.nr === 'sched_yield' || e.nr === 'pause' || e.nr === 'nanosleep';
  return TRAP | ARMED | STEPPING | (yields ? RUNNABLE : 0);
}

/** A system call instruction: SYSCALL, INT $0x80 or SYSENTER. */
function entersKernel(e: RawEvent): e is Extract<RawEvent, { type: 'user.syscall' | 'user.int80' | 'user.sysenter' }> {
  return e.type === 'user.syscall' || e.type === 'user.int80' || e.type === 'user.sysenter';
}

/** The condition each event type needs (0: always enabled while the kernel is alive). */
function needs(type: Type): number {
  if (type.startsWith('user.')) return USER;
  if (type === 'tracer.attach') return ATTACHABLE;
  if (type === 'tracer.watch') return TRACED;
  if (type.startsWith('tracer.')) return STOPPED;
  if (type === 'sched.wake') return SLEEPER;
  return 0;
}

const cache = new Map<string, fc.Arbitrary<RawEvent> | null>();

/** What the generators should know of a state (events.ts GenContext). */
export function contextOf(m: MachineState): GenContext {
  return { ldt: Object.keys(m.cpu.tables.ldt).map(Number), compat: !is64(m.cpu) };
}

/** An arbitrary of the events enabled under `mask`, their values drawn for context `ctx`; null when none is. */
export function enabledArbitrary(mask: number, ctx: GenContext = { ldt: [] }): fc.Arbitrary<RawEvent> | null {
  const key = `${mask}/${ctx.ldt.join(',')}/${ctx.compat === true ? 'c' : ''}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const table = generatorsFor(ctx);
  const ok = enabledTypes(mask).map((type) => {
    const [weight, arbitrary] = table[type] as readonly [number, fc.Arbitrary<RawEvent>];
    return { weight, arbitrary };
  });
  const arb = ok.length === 0 ? null : fc.oneof(...ok);
  cache.set(key, arb);
  return arb;
}

/** The event types enabled under `mask`. */
export function enabledTypes(mask: number): Type[] {
  if (mask < 0) return [];
  return (Object.keys(EVENT_GENERATORS) as Type[]).filter((type) => EVENT_GENERATORS[type][0] > 0 && (needs(type) & mask) === needs(type));
}
