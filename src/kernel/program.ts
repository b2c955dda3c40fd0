/**
 * Kernel code as programs of micro-steps. A program is a list of steps and labels; assembling
 * places each program at its own text address, step i at base + 4i, so the CPU's RIP names the
 * next micro-step and an interrupt's saved RIP says exactly where the kernel was cut.
 */
import { STEP_BYTES, type Exec, type Machine, type MicroStep, type ReturnVia, type StepOut } from '../model/index.ts';
import { PROGRAM_SPAN, TEXT_BASE } from './layout.ts';

/** Kernel text spans at most this many bytes from TEXT_BASE. */
const TEXT_LIMIT = 0x100_0000n;

/** A micro-step before assembly. */
export interface StepSpec {
  readonly name: string;
  readonly run: (w: Machine, x: Exec) => StepOut;
  readonly insn?: boolean;
  readonly percpu?: boolean;
  readonly stack?: boolean;
  readonly fork?: ReturnVia;
  /** Exception-table entry: a fault at this step resumes at this label (_ASM_EXTABLE). */
  readonly fixup?: string;
}

/** A label: names the address of the next step. */
export interface Label {
  readonly label: string;
}

/** Program items. */
export type Item = StepSpec | Label;

/** A named program. Its name is also a label for its first step. */
export interface Program {
  readonly name: string;
  readonly items: readonly Item[];
}

const isLabel = (i: Item): i is Label => (i as Label).label !== undefined;

/** Shorthand for a plain step. */
export function step(name: string, run: StepSpec['run'], opts: Omit<StepSpec, 'name' | 'run'> = {}): StepSpec {
  return { name, run, ...opts };
}

/** Shorthand for a label. */
export function label(name: string): Label {
  return { label: name };
}

/** Assembled kernel text: steps by address, label addresses, and names for people. */
export class Text {
  private readonly steps = new Map<bigint, MicroStep>();
  private readonly labels = new Map<string, bigint>();
  private readonly names = new Map<bigint, string>();
  private readonly ranges: Array<{ name: string; start: bigint; end: bigint }> = [];
  private readonly extable = new Map<bigint, string>();
  private readonly byIndex: Array<MicroStep | undefined> = [];

  /** Places the programs, in order, one per 4 KiB region. */
  assemble(programs: readonly Program[]): this {
    programs.forEach((p, n) => {
      const base = TEXT_BASE + BigInt(n) * PROGRAM_SPAN;
      let i = 0n;
      this.defineLabel(p.name, base);
      for (const item of p.items) {
        const at = base + i * STEP_BYTES;
        if (isLabel(item)) {
          this.defineLabel(item.label, at);
          continue;
        }
        // One shape for every step (fork always present): the engine's calls stay monomorphic.
        this.steps.set(at, {
          name: item.name, path: p.name, id: Number(at - TEXT_BASE) >> 2, insn: item.insn ?? false, percpu: item.percpu ?? false,
          stack: item.stack ?? false, run: item.run, next: at + STEP_BYTES, fork: item.fork, following: undefined, jumpRip: undefined,
          jumpTo: undefined,
        });
        this.names.set(at, `${p.name}+${i}`);
        this.byIndex[Number(at - TEXT_BASE) >> 2] = this.steps.get(at);
        if (item.fixup !== undefined) this.extable.set(at, item.fixup);
        i++;
      }
      this.ranges.push({ name: p.name, start: base, end: base + i * STEP_BYTES });
    });
    // Link each step to the one at its fall-through address: most steps fall through, and the
    // engine then finds the next one without a lookup.
    for (const s of this.steps.values()) (s as { following?: MicroStep }).following = this.steps.get(s.next);
    return this;
  }

  private defineLabel(name: string, at: bigint): void {
    if (this.labels.has(name)) throw new Error(`kernel text: label ${name} defined twice`);
    this.labels.set(name, at);
  }

  /** Address of a label; throws for an unknown one (a bug in a kernel path). */
  addr(name: string): bigint {
    const a = this.labels.get(name);
    if (a === undefined) throw new Error(`kernel text: no label ${name}`);
    return a;
  }

  /** True if `rip` lies in [label a, label b). */
  within(rip: bigint, from: string, to: string): boolean {
    return rip >= this.addr(from) && rip < this.addr(to);
  }

  /** The exception-table fixup address for a faulting kernel RIP, if it has one. */
  fixupFor(rip: bigint): bigint | undefined {
    const l = this.extable.get(rip);
    return l === undefined ? undefined : this.addr(l);
  }

  /** The step at an address (an array index: this is the hot path of every micro-step). */
  at(rip: bigint): MicroStep | undefined {
    const off = rip - TEXT_BASE;
    if (off < 0n || off >= TEXT_LIMIT) return undefined;
    const n = Number(off);
    return (n & 3) === 0 ? this.byIndex[n >> 2] : undefined;
  }

  /** The program an address belongs to. */
  programOf(rip: bigint): string | undefined {
    return this.ranges.find((r) => rip >= r.start && rip < r.end)?.name;
  }

  /** "entry_SYSCALL_64+3 (swapgs)" for a kernel RIP. */
  describe(rip: bigint): string {
    const s = this.steps.get(rip);
    return s ? `${this.names.get(rip)} (${s.name})` : `0x${rip.toString(16)}`;
  }

  /** Every step, in address order (for tests and `list`). */
  all(): Array<[bigint, MicroStep]> {
    return [...this.steps.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1));
  }
}
