/**
 * Coverage of the random search, so a user can see it is not shallow: how often each event kind
 * was generated, how deep kernel contexts nested, which kernel entries and which exit
 * instructions were reached.
 */
import { mcdc, type DecisionLog, type Run } from '../model/index.ts';
import type { Explored } from './search.ts';

/** A decision as coverage keeps it: its conditions and the distinct vectors seen (decisions.ts). */
export interface DecisionCount {
  readonly conditions: readonly string[];
  readonly vectors: readonly number[];
}

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
  /** Design -> decision -> the condition vectors its runs took (decision coverage, MC/DC). */
  readonly decisions: Record<string, Record<string, DecisionCount>>;
}

/** An empty coverage record. */
export function emptyCoverage(): Coverage {
  return { traces: 0, events: {}, depth: {}, entries: {}, exits: {}, decisions: {} };
}

const NAMES: Readonly<Record<number, string>> = { 1: '#DB', 2: 'NMI', 3: '#BP', 6: '#UD', 8: '#DF', 11: '#NP', 12: '#SS', 13: '#GP', 14: '#PF', 0x80: 'int80' };
const bump = (r: Record<string, number>, k: string, n = 1): void => { r[k] = (r[k] ?? 0) + n; };

/** Counts one judged trace: the events it was made of and what its replay reached. */
export function coverTrace(into: Coverage, events: ReadonlyArray<{ type: string }>, run: Run): void {
  into.traces++;
  for (const e of events) bump(into.events, e.type);
  for (const [key, n] of Object.entries(run.entries)) {
    const vector = key.startsWith('idt:') ? Number(key.slice(4)) : null;
    bump(into.entries, vector === null ? key : NAMES[vector] ?? `IRQ 0x${vector.toString(16)}`, n);
  }
  for (const { o } of run.observations) if (o.kind === 'return-to-user') bump(into.exits, o.via);
  bump(into.depth, String(run.maxDepth));
}

/** Adds one design's decision log into `into`. */
export function coverDecisions(into: Coverage, design: string, log: DecisionLog): void {
  const d = (into.decisions[design] ??= {});
  for (const [id, seen] of log) addDecision(d, id, seen.conditions, seen.vectors);
}

function addDecision(d: Record<string, DecisionCount>, id: string, conditions: readonly string[], vectors: Iterable<number>): void {
  const old = d[id];
  const merged = new Set(old && old.conditions.length === conditions.length ? old.vectors : []);
  for (const v of vectors) merged.add(v);
  d[id] = { conditions, vectors: [...merged].sort((x, y) => x - y) };
}

/** Adds `b` into `a`. */
export function mergeCoverage(a: Coverage, b: Coverage): void {
  a.traces += b.traces;
  for (const key of ['events', 'depth', 'entries', 'exits'] as const) for (const [k, n] of Object.entries(b[key])) bump(a[key], k, n);
  for (const [design, ds] of Object.entries(b.decisions)) {
    const d = (a.decisions[design] ??= {});
    for (const [id, c] of Object.entries(ds)) addDecision(d, id, c.conditions, c.vectors);
  }
}

/** Decision coverage for people: per design and decision, each condition T/F seen and MC/DC. */
export function decisionText(c: Coverage): string {
  const lines: string[] = [];
  for (const [design, ds] of Object.entries(c.decisions).sort(([x], [y]) => x.localeCompare(y))) {
    lines.push(`  ${design}:`);
    for (const [id, d] of Object.entries(ds).sort(([x], [y]) => x.localeCompare(y))) {
      const n = d.conditions.length;
      const outcomes = new Set(d.vectors.map((v) => v >> n & 1));
      const conds = mcdc(d.conditions, d.vectors).map((x) =>
        `${x.condition} [${x.seenTrue ? 'T' : '-'}${x.seenFalse ? 'F' : '-'}${x.independent ? ' MC/DC' : ''}]`);
      const decided = `${outcomes.has(1) ? 'true' : ''}${outcomes.size === 2 ? ' and ' : ''}${outcomes.has(0) ? 'false' : ''}`;
      lines.push(`    ${id} (seen ${decided}): ${conds.join(', ') || 'no conditions'}`);
    }
  }
  const head = 'Decision coverage (conditions seen [T]rue/[F]alse; MC/DC: shown to decide the outcome on its own):';
  return lines.length === 0 ? '' : ['', head, ...lines].join('\n');
}

/**
 * Text for people, after the matrix. `explored`: the exhaustive phase's totals, said first, since
 * it judges most of a run's traces and the coverage below counts the random search's alone.
 */
export function coverageText(c: Coverage, explored?: Explored): string {
  const line = (title: string, r: Record<string, number>): string =>
    `  ${title}: ${Object.entries(r).sort((x, y) => y[1] - x[1]).map(([k, n]) => `${k} ${n}`).join(', ') || '-'}`;
  return [
    ...(explored === undefined ? [] : [`Exploration (every trace up to --explore-depth events from each start, and the levels past it): ${explored.traces} traces judged, ${explored.states} distinct states`]),
    `Coverage of the random search (${c.traces} traces):`,
    line('events generated', c.events),
    line('deepest kernel nesting per trace (contexts: traces)', c.depth),
    line('kernel entries reached', c.entries),
    line('returns to user mode by', c.exits),
  ].join('\n') + decisionText(c);
}
