/**
 * What a replay covered, as features the guided search rewards: kernel edges (which micro-step
 * followed which, at what nesting depth, counted in AFL's logarithmic buckets, so a loop that runs
 * longer is new too), what user mode and the kernel's boundary saw (each observation's kind with
 * its defining detail, and each pair of consecutive ones, so an order of events is new too), and
 * an abstraction of the state at each event boundary (task modes, ptrace and signal state, user
 * flags, shadows, pending debug traps, GS and LDT classes), so a step that only sets something up
 * for later (a tracer attaching, a watchpoint, a POPF) is new too. Nothing here knows a design or
 * a bug: any decision the kernel takes shows as an edge, any set-up as a state.
 */
import { rf } from '../../isa/index.ts';
import { EDGE_MAP_SIZE, touchedOf, type MachineState, type Observation, type Run, type Task } from '../../model/index.ts';

const SEMANTIC_SIZE = 1 << 14;

/** AFL's hit-count buckets: 1, 2, 3, 4-7, 8-15, 16-31, 32-127, 128+ as one bit each. */
const BUCKET = new Uint8Array(256).map((_, n) =>
  n === 0 ? 0 : n === 1 ? 1 : n === 2 ? 2 : n === 3 ? 4 : n < 8 ? 8 : n < 16 ? 16 : n < 32 ? 32 : n < 128 ? 64 : 128);

/** FNV-1a of a short string. */
function hash(s: string): number {
  let x = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) x = Math.imul(x ^ s.charCodeAt(i), 0x01000193);
  return x >>> 0;
}

/** An observation's kind and the detail that makes it a different outcome. */
function keyOf(o: Observation): string {
  switch (o.kind) {
    case 'user-insn': return `u${o.task}${o.insn}${o.faulted === true ? '!' : ''}`;
    case 'return-to-user': return `r${o.task}${o.via}${o.act?.cause ?? ''}${o.act?.vector ?? ''}`;
    case 'signal': return `s${o.signal}:${o.code}${o.fatal ? '!' : ''}`;
    case 'trap': return 't';
    case 'user-resume': return `v${o.task}`;
    case 'ptrace-stop': return `p${o.why}`;
    case 'kernel-failure': return `f${o.what}`;
    case 'syscall-return': return `c${o.nr}${o.value >> 63n}`;
    case 'kernel-resume': return `k${o.vector}`;
    case 'pt-read': return `q${o.reader}`;
  }
}

const USER_FLAGS = rf.TF | rf.IF | rf.DF | rf.AC | rf.NT | rf.RF | rf.IOPL;

/** The class of an address: zero, user half, kernel half, non-canonical for 4-level paging. */
function addrClass(a: bigint): number {
  if (a === 0n) return 0;
  if (a < 1n << 47n) return 1;
  return a >= 0xffff_8000_0000_0000n ? 2 : 3;
}

function taskKey(t: Task): string {
  const p = t.ptrace;
  return `${t.mode}${t.compat ? 'c' : ''}${t.tsCompat ? 'C' : ''}${t.tif}${p.attached ? `a${+p.syscalls}${+p.fork}${p.stop ?? ''}${+p.stepping}` : ''}` +
    `${t.watch !== null ? 'w' : ''}${t.sig.pending !== 0n ? 'p' : ''}${Object.keys(t.sig.actions).length}${t.sig.altstack !== null ? 's' : ''}${t.wait ?? ''}${t.rseq ? 'r' : ''}` +
    `${t.vsyscall !== null ? 'v' : ''}${Math.min(t.acts.length, 3)}`;
}

/** The abstraction of a state the search rewards reaching. */
export function stateKey(m: MachineState): string {
  const c = m.cpu;
  let ldt = 0;
  for (const [i, d] of Object.entries(c.tables.ldt)) ldt |= (d.present ? 1 : 2) << (Number(i) * 2);
  return `${m.k.tasks.map(taskKey).join('|')}/${m.k.current}${m.k.idle ? 'i' : ''}${m.k.halted?.kind ?? ''}/` +
    `${c.cs.sel & 3}${c.rflags & USER_FLAGS}${c.shadow}${c.pendingDb?.cause ?? ''}${c.pendingDb?.held ? 'H' : ''}${c.watch !== null ? 'w' : ''}` +
    `${addrClass(c.gsBase)}${ldt}${c.ss.sel & 7}${addrClass(c.regs.rip)}/${m.hw.armed.length > 0 ? 'a' : ''}${m.hw.irq.length > 0 ? 'q' : ''}${m.hw.nmi ? 'n' : ''}${m.k.percpu.nmiState}`;
}

/** Every feature any replay of a search covered so far. */
export class FeatureMap {
  private readonly edgesSeen = new Uint8Array(EDGE_MAP_SIZE);
  private readonly semanticSeen = new Uint8Array(SEMANTIC_SIZE);
  /** Distinct features seen (edge buckets and semantic features). */
  size = 0;

  /** A fresh, zeroed edge map for a replay to fill (RunOptions.edges). */
  static edgeMap(): Uint8Array {
    return new Uint8Array(EDGE_MAP_SIZE);
  }

  /**
   * Adds what one replay covered; returns how many features were new, edges (a new count bucket of
   * a kernel edge) and semantic ones (an outcome or an order of outcomes user mode had not seen),
   * with the event of the first new outcome (-1: none).
   * Clears `edges` for the next replay.
   */
  absorb(edges: Uint8Array, run: Run): { edges: number; semantic: number; firstAt: number } {
    let fresh = 0;
    // Only the counters this replay made non-zero (the engine lists them): the map is 64 KiB.
    const touched = touchedOf(edges);
    for (let t = 0; t < touched.length; t++) {
      const i = touched[t] as number;
      const b = BUCKET[edges[i] as number] as number;
      const seen = this.edgesSeen[i] as number;
      if ((seen & b) === 0) { this.edgesSeen[i] = seen | b; fresh++; }
      edges[i] = 0;
    }
    touched.length = 0;
    const edgeNew = fresh;
    let prev = 0;
    let firstAt = -1;
    const mark = (x: number): boolean => {
      const i = x & (SEMANTIC_SIZE - 1);
      if (this.semanticSeen[i] !== 0) return false;
      this.semanticSeen[i] = 1;
      fresh++;
      return true;
    };
    for (const { at, o } of run.observations) {
      const k = hash(keyOf(o));
      const a = mark(k);
      const b = mark(Math.imul(prev, 31) ^ k ^ 0x5bd1e995);
      if ((a || b) && firstAt < 0) firstAt = at;
      prev = k;
    }
    for (let i = 1; i < run.states.length; i++) {
      if (mark(hash(stateKey(run.states[i] as MachineState))) && firstAt < 0) firstAt = i - 1;
    }
    for (const [entry, n] of Object.entries(run.entries)) mark(hash(`e${entry}${Math.min(n, 4)}`));
    mark(hash(`d${run.maxDepth}`));
    this.size += fresh;
    return { edges: edgeNew, semantic: fresh - edgeNew, firstAt };
  }
}
