/**
 * What `entrycheck cosim` prints: a summary (agreement, time, machine) and one line per
 * disagreement class with a saved example, as text (picocolors when colour is on) or JSON.
 */
import { release } from 'node:os';
import pc from 'picocolors';
import type { Comparison } from './compare.ts';
import type { Platform } from './detect.ts';
import type { CosimSummary } from './run.ts';

/** The report format tag of `cosim --json`. */
export const REPORT_FORMAT = 'entrycheck/cosim-report@1';

/** Everything a report says about a run. */
export interface ReportInput {
  readonly platform: Extract<Platform, { ok: true }>;
  readonly design: string;
  readonly seed: number;
  readonly out: string;
  readonly minAgreement: number;
  readonly summary: CosimSummary;
}

/** Agreement in percent (100 for no traces). */
export function agreementPct(s: CosimSummary): number {
  return s.traces === 0 ? 100 : (100 * s.agreed) / s.traces;
}

function machine(p: Extract<Platform, { ok: true }>): string {
  return `${p.cpu || 'unknown CPU'} (${p.vendor}, ${p.paging}-level paging), Linux ${release()}${p.int80 ? '' : ', no int $0x80'}`;
}

/** The text report. */
export function reportText(r: ReportInput): string {
  const s = r.summary;
  const pct = agreementPct(s);
  const good = pct >= r.minAgreement;
  const head = `${s.agreed}/${s.traces} traces agree (${pct.toFixed(2)}%)`;
  const lines = [
    `${good ? pc.green(head) : pc.red(head)} in ${(s.elapsedMs / 1000).toFixed(1)} s`,
    `  model: design ${r.design}; machine: ${machine(r.platform)}; seed ${r.seed}`,
  ];
  const classes = [...s.classes.values()].sort((a, b) => b.count - a.count || a.cls.localeCompare(b.cls));
  if (classes.length > 0) {
    lines.push(`  disagreement classes (event type, first differing field), saved under ${r.out}/:`);
    for (const c of classes) lines.push(`  ${pc.yellow(String(c.count).padStart(6))}  ${c.cls}${c.example ? `  e.g. ${c.example}` : ''}`);
  }
  if (!good) lines.push(pc.red(`  below the required ${r.minAgreement}% agreement`));
  return `${lines.join('\n')}\n`;
}

/** The JSON report (plain data). */
export function reportJson(r: ReportInput): unknown {
  const s = r.summary;
  return {
    format: REPORT_FORMAT,
    machine: { cpu: r.platform.cpu, vendor: r.platform.vendor, paging: r.platform.paging, int80: r.platform.int80, kernel: release() },
    design: r.design, seed: r.seed, traces: s.traces, agreed: s.agreed, agreement: agreementPct(s),
    minAgreement: r.minAgreement, elapsedMs: s.elapsedMs, out: r.out,
    classes: [...s.classes.values()].sort((a, b) => b.count - a.count).map((c) => ({ class: c.cls, count: c.count, example: c.example })),
  };
}

/** One re-run saved file, as text. */
export function replayLine(file: string, c: Comparison): string {
  if (c.agree) return `${pc.green('agrees')}   ${file}\n`;
  const diffs = c.differences.slice(0, 8).map((d) => `    event ${d.event} ${d.type} ${d.field}: model ${d.model}, real ${d.real}`);
  return `${pc.red('differs')}  ${file} (${c.cls})\n${diffs.join('\n')}\n`;
}

/** The one line printed where co-simulation cannot run. */
export function skippedLine(reason: string): string {
  return `entrycheck cosim: skipped: ${reason}\n`;
}
