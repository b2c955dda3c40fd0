/**
 * What a run generated and exercised: events by type, how many were skipped on either side, and
 * how user mode was returned to (the model's return-to-user observations: SYSRET, SYSRETL,
 * SYSEXIT, IRET), as counts and as the share of traces that saw each.
 */
import type { Event } from '../model/index.ts';
import type { SideRun } from './types.ts';

/** Exit instructions, in report order. */
export const EXITS = ['sysret', 'sysretl', 'sysexit', 'iret'] as const;

/** Counts over a run. */
export interface CosimStats {
  traces: number;
  events: number;
  /** Events the model skipped (not enabled where they arrived). */
  skippedModel: number;
  /** Events the machine skipped. */
  skippedReal: number;
  readonly byType: Record<string, number>;
  /** Returns to user mode by instruction. */
  readonly exits: Record<string, number>;
  /** Traces with at least one return by each instruction. */
  readonly tracesWithExit: Record<string, number>;
  /** Traces that ran 32-bit code (CS = __USER32_CS at some record). */
  tracesCompat: number;
}

/** Empty counts. */
export function emptyStats(): CosimStats {
  return {
    traces: 0, events: 0, skippedModel: 0, skippedReal: 0, byType: {}, tracesCompat: 0,
    exits: Object.fromEntries(EXITS.map((x) => [x, 0])), tracesWithExit: Object.fromEntries(EXITS.map((x) => [x, 0])),
  };
}

const CS = 18;

/** Adds one trace. */
export function addTrace(s: CosimStats, events: readonly Event[], model: SideRun, real: SideRun | null): void {
  s.traces++;
  s.events += events.length;
  for (const e of events) s.byType[e.type] = (s.byType[e.type] ?? 0) + 1;
  const seen = new Set<string>();
  for (const r of model.records) {
    if (r.skipped) s.skippedModel++;
    for (const x of r.exits ?? []) {
      s.exits[x] = (s.exits[x] ?? 0) + 1;
      seen.add(x);
    }
  }
  for (const x of seen) s.tracesWithExit[x] = (s.tracesWithExit[x] ?? 0) + 1;
  if (model.records.some((r) => r.regs?.[CS] === 0x23n)) s.tracesCompat++;
  for (const r of real?.records ?? []) if (r.skipped) s.skippedReal++;
}

/** Percent with one decimal. */
export const pct = (n: number, of: number): string => (of === 0 ? '0.0' : ((100 * n) / of).toFixed(1));
