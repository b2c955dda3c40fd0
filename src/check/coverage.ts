/**
 * Coverage of the random search, so a user can see it is not shallow: how often each event kind
 * was generated, how deep kernel contexts nested, which kernel entries and which exit
 * instructions were reached.
 */
import type { MachineState, Observation } from '../model/index.ts';

/** Counts over the traces of a run. */
export interface Coverage {
  traces: number;
  /** Event type -> events generated. */
  readonly events: Record<string, number>;
  /** Deepest nesting of kernel contexts on one task -> traces that reached it. */
  readonly depth: Record<string, number>;
  /** Kernel entry (syscall64, #PF, NMI, IRQ 0x20, ...) -> times entered. */
  readonly entries: Record<string, number>;
  /** Exit instruction (sysret, sysretl, sysexit, iret) -> returns to user mode. */
  readonly exits: Record<string, number>;
}

/** An empty coverage record. */
export function emptyCoverage(): Coverage {
  return { traces: 0, events: {}, depth: {}, entries: {}, exits: {} };
}

const NAMES: Readonly<Record<number, string>> = { 1: '#DB', 2: 'NMI', 3: '#BP', 6: '#UD', 8: '#DF', 11: '#NP', 12: '#SS', 13: '#GP', 14: '#PF', 0x80: 'int80' };
const bump = (r: Record<string, number>, k: string, n = 1): void => { r[k] = (r[k] ?? 0) + n; };

/** Per-trace tracker: feed it the micro-steps and the observations, then close it. */
export class TraceCoverage {
  private depth = 0;
  private readonly seen = new Set<number>();
  constructor(private readonly into: Coverage, events: ReadonlyArray<{ type: string }>) {
    into.traces++;
    for (const e of events) bump(into.events, e.type);
  }

  /** After each kernel micro-step: every activation seen for the first time is an entry. */
  step(before: MachineState, after: MachineState): void {
    for (const m of [before, after]) {
      const t = m.k.tasks[m.k.current];
      if (!t) continue;
      if (t.acts.length > this.depth) this.depth = t.acts.length;
      for (const a of t.acts) {
        if (this.seen.has(a.id) || a.id === 0) continue; // id 0: task 2's initial context, not an entry
        this.seen.add(a.id);
        bump(this.into.entries, a.cause === 'idt' ? NAMES[a.vector] ?? `IRQ 0x${a.vector.toString(16)}` : a.cause);
      }
    }
  }

  /** At the end of the trace. */
  close(observations: ReadonlyArray<{ o: Observation }>): void {
    for (const { o } of observations) if (o.kind === 'return-to-user') bump(this.into.exits, o.via);
    bump(this.into.depth, String(this.depth));
  }
}

/** Adds `b` into `a`. */
export function mergeCoverage(a: Coverage, b: Coverage): void {
  a.traces += b.traces;
  for (const key of ['events', 'depth', 'entries', 'exits'] as const) for (const [k, n] of Object.entries(b[key])) bump(a[key], k, n);
}

/** Text for people, after the matrix. */
export function coverageText(c: Coverage): string {
  const line = (title: string, r: Record<string, number>): string =>
    `  ${title}: ${Object.entries(r).sort((x, y) => y[1] - x[1]).map(([k, n]) => `${k} ${n}`).join(', ') || '-'}`;
  return [
    `Coverage of the random search (${c.traces} traces):`,
    line('events generated', c.events),
    line('deepest kernel nesting per trace (contexts: traces)', c.depth),
    line('kernel entries reached', c.entries),
    line('returns to user mode by', c.exits),
  ].join('\n');
}
