/**
 * Comparing the model's records of a trace with the real machine's, event by event. What is
 * compared, and every rule applied, is listed in docs/cosim.md ("What is compared",
 * "Comparison rules"); the rules are in rules.ts under the same names.
 */
import type { Event } from '../model/index.ts';
import { FrameMap, sameHeldReturn, sameInVdsoCall, sameValue, type RuleContext, type VdsoPair } from './rules.ts';
import { CTX_NAMES, EXTRA_NAMES, REG_NAMES, type EventRecord, type SideRun, type SigRecord } from './types.ts';

/** One field that differs. */
export interface Difference {
  readonly event: number;
  readonly type: string;
  readonly field: string;
  readonly model: string;
  readonly real: string;
}

/** The verdict on one trace. */
export interface Comparison {
  readonly agree: boolean;
  /** Disagreement class: the event type and field of the first difference. */
  readonly cls?: string;
  readonly differences: readonly Difference[];
  /** Differences a pending gap's mask hid, by gap id (pending.ts). */
  readonly masked: Readonly<Record<string, number>>;
}

/** Options of a comparison. */
export interface CompareOptions {
  /** Both sides' vDSO addresses (rule "vDSO"); without them vDSO addresses compare as they are. */
  readonly vdso?: VdsoPair;
  /** Apply no mask of a pending model gap (pending.ts): every difference counts. */
  readonly strict?: boolean;
}

/** Rule "RF": RFLAGS.RF is compared only where the harness probed it (types.ts rfProbe). */
const RF = 1n << 16n;
const MAX_DIFFERENCES = 24;

const hex = (v: bigint | number | undefined): string => (v === undefined ? '-' : `0x${BigInt(v).toString(16)}`);

type Diff = (field: string, model: string, real: string, pending?: string) => void;

/** One register value under the rules; `kept` is the model's vDSO-call state. */
function sameReg(c: RuleContext, name: string, model: bigint, real: bigint, kept: EventRecord['vdsoCall']): boolean {
  return sameValue(c, name, model, real) || (kept !== undefined && sameInVdsoCall(name, model, real, kept.rbp));
}

function compareCtx(c: RuleContext, k: number, a: SigRecord, b: SigRecord, kept: EventRecord['vdsoCall'], diff: Diff): void {
  if (!a.ctx || !b.ctx) return;
  for (const name of CTX_NAMES) {
    const m = a.ctx[name];
    const r = b.ctx[name];
    if (m === undefined || r === undefined) continue;
    if (!sameReg(c, name, m, r, kept)) diff(`signal${k > 0 ? k : ''}.frame.${name}`, hex(m), hex(r));
  }
}

function compareSignals(c: RuleContext, m: EventRecord, r: EventRecord, diff: Diff): void {
  const fmt = (s: SigRecord | undefined): string =>
    (s === undefined ? 'none' : `sig ${s.signo} code ${s.code} addr ${hex(s.addr)} rip ${hex(s.rip)}${s.fatal ? ' fatal' : ''}`);
  for (let k = 0; k < Math.max(m.signals.length, r.signals.length); k++) {
    const a = m.signals[k];
    const b = r.signals[k];
    if (a === undefined || b === undefined || a.signo !== b.signo) {
      diff('signal', fmt(a), fmt(b));
      continue;
    }
    const field = a.code !== b.code ? 'signal.code' : a.addr !== b.addr ? 'signal.addr'
      : !sameValue(c, 'rip', a.rip, b.rip) ? 'signal.rip' : a.fatal !== b.fatal ? 'signal.fatal' : null;
    if (field) diff(field, fmt(a), fmt(b));
    else compareCtx(c, k, a, b, m.vdsoCall, diff);
  }
}

function compareRecord(c: RuleContext, m: EventRecord, r: EventRecord, diff: Diff): void {
  if (m.skipped !== r.skipped) diff('skipped', String(m.skipped), String(r.skipped));
  if (m.state !== r.state) diff('state', m.state + (m.note ? ` (${m.note})` : ''), r.state);
  else if (m.stop !== r.stop) diff('stop', m.stop ?? '-', r.stop ?? '-');
  compareSignals(c, m, r, diff);
  c.frames.pair(r.signals.map((s) => s.frame), m.signals.map((s) => s.frame));
  if (m.traps.length !== r.traps.length || m.traps.some((t, i) => !sameValue(c, 'rip', t, r.traps[i] ?? -1n))) {
    diff('trap', m.traps.map(hex).join() || '-', r.traps.map(hex).join() || '-');
  }
  if (m.state !== r.state || !m.regs || !r.regs) return;
  const realCs = r.regs[REG_NAMES.indexOf('cs')] ?? 0n;
  REG_NAMES.forEach((name, k) => {
    let a = m.regs?.[k] ?? 0n;
    let b = r.regs?.[k] ?? 0n;
    if (name === 'rflags' && !r.rfProbe) {
      a &= ~RF;
      b &= ~RF;
    }
    if (sameReg(c, name, a, b, m.vdsoCall) || (r.held === true && sameHeldReturn(name, a, b, realCs))) return;
    diff(name, hex(a), hex(b));
  });
  for (const name of EXTRA_NAMES) {
    const a = m.extra?.[name];
    const b = r.extra?.[name];
    if (a !== undefined && b !== undefined && a !== b) diff(name, hex(a), hex(b));
  }
}

/** Compares the model's and the real machine's runs of `events`. */
export function compareRuns(events: readonly Event[], model: SideRun, real: SideRun, o: CompareOptions = {}): Comparison {
  if (real.status !== 'ok') {
    return { agree: false, cls: `harness ${real.status}`, differences: [{ event: -1, type: 'harness', field: real.status, model: 'ok', real: real.detail }], masked: {} };
  }
  const out: Difference[] = [];
  const masked: Record<string, number> = {};
  const c: RuleContext = { pid: real.pid, frames: new FrameMap(), vdso: o.vdso };
  events.forEach((e, i) => {
    const m = model.records[i];
    const r = real.records[i];
    if (m === undefined || r === undefined) {
      out.push({ event: i, type: e.type, field: 'record', model: m ? 'present' : 'missing', real: r ? 'present' : 'missing' });
      return;
    }
    // A difference a pending gap's mask covers (pending.ts) is counted, not reported, unless
    // strict; no mask is active now that every gap found so far is fixed in the model.
    compareRecord(c, m, r, (field, a, b, gap) => {
      if (gap !== undefined && !o.strict) masked[gap] = (masked[gap] ?? 0) + 1;
      else out.push({ event: i, type: e.type, field, model: a, real: b });
    });
  });
  const first = out[0];
  if (first === undefined) return { agree: true, differences: [], masked };
  return { agree: false, cls: `${first.type} ${first.field}`, differences: out.slice(0, MAX_DIFFERENCES), masked };
}
