/**
 * What `entrycheck cosim` prints: a summary (agreement, time, the machine and its vendor), what
 * pending model gaps masked, what was generated and exercised (events, skipped events, exit
 * instructions), and one line per disagreement class with a saved example; as text (picocolors
 * when colour is on) or JSON.
 */
import { release } from 'node:os';
import pc from 'picocolors';
import type { Comparison } from './compare.ts';
import type { Platform } from './detect.ts';
import type { CosimSummary } from './run.ts';
import { EXITS, pct, type CosimStats } from './stats.ts';

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
  readonly includePending?: boolean;
}

/** Agreement in percent (100 for no traces). */
export function agreementPct(s: CosimSummary): number {
  return s.traces === 0 ? 100 : (100 * s.agreed) / s.traces;
}

function machine(p: Extract<Platform, { ok: true }>): string {
  const vdso = p.vdso ? `32-bit vDSO at 0x${(p.vdso.vsyscall & ~0xfffn).toString(16)}` : 'no 32-bit vDSO';
  const frame = p.xstate > 0n ? `, a ${p.xstate}-byte XSAVE area in signal frames` : '';
  return `${p.cpu || 'unknown CPU'} (${p.vendor}, ${p.paging}-level paging), Linux ${release()}${p.int80 ? '' : ', no int $0x80'}, ${vdso}${frame}`;
}

/** Why an exit instruction may never occur here. */
function exitNote(x: string, p: Extract<Platform, { ok: true }>): string {
  if (x !== 'sysexit') return '';
  return p.vendor === 'amd' ? ' (AMD: SYSENTER/SYSEXIT are #UD in long mode)' : ' (a 64-bit kernel returns from SYSENTER with SYSRETL)';
}

function statsLines(s: CosimStats, p: Extract<Platform, { ok: true }>): string[] {
  const byType = Object.entries(s.byType).sort((a, b) => b[1] - a[1]).map(([t, n]) => `${t} ${pct(n, s.events)}%`);
  return [
    `  events: ${s.events} (${(s.events / Math.max(1, s.traces)).toFixed(1)} per trace); skipped: model ${pct(s.skippedModel, s.events)}%, machine ${pct(s.skippedReal, s.events)}%`,
    `    ${byType.join(', ')}`,
    `  exits, share of traces: ${EXITS.map((x) => `${x} ${pct(s.tracesWithExit[x] ?? 0, s.traces)}%${exitNote(x, p)}`).join(', ')}; 32-bit code in ${pct(s.tracesCompat, s.traces)}%`,
  ];
}

/** The text report. */
export function reportText(r: ReportInput): string {
  const s = r.summary;
  const pctAgree = agreementPct(s);
  const good = pctAgree >= r.minAgreement;
  const head = `${s.agreed}/${s.traces} traces agree (${pctAgree.toFixed(2)}%)`;
  const lines = [
    `${good ? pc.green(head) : pc.red(head)} in ${(s.elapsedMs / 1000).toFixed(1)} s`,
    `  model: design ${r.design}; machine: ${machine(r.platform)}; seed ${r.seed}${r.includePending ? '; pending gaps included' : ''}`,
  ];
  const masked = Object.entries(s.masked).sort((a, b) => b[1] - a[1]);
  if (masked.length > 0) {
    lines.push(`  masked by pending model gaps (docs/cosim.md; --include-pending counts them) in ${s.tracesMasked} traces:`);
    for (const [id, n] of masked) lines.push(`  ${pc.yellow(String(n).padStart(6))}  ${id}`);
  }
  lines.push(...statsLines(s.stats, r.platform));
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
  const v = r.platform.vdso;
  return {
    format: REPORT_FORMAT,
    machine: {
      cpu: r.platform.cpu, vendor: r.platform.vendor, paging: r.platform.paging, int80: r.platform.int80, kernel: release(),
      vdso32: v ? { vsyscall: `0x${v.vsyscall.toString(16)}`, landing: `0x${v.landing.toString(16)}` } : null,
    },
    design: r.design, seed: r.seed, traces: s.traces, agreed: s.agreed, agreement: agreementPct(s),
    minAgreement: r.minAgreement, includePending: r.includePending === true, elapsedMs: s.elapsedMs, out: r.out,
    masked: s.masked, tracesMasked: s.tracesMasked, stats: s.stats,
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
