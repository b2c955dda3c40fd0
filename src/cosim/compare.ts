/**
 * Comparing the model's records of a trace with the real machine's, event by event. What is
 * compared, and every normalisation applied, is listed in docs/cosim.md ("Comparison rules");
 * each rule here carries the same name.
 */
import type { Event } from '../model/index.ts';
import { MODEL_PID } from './model-run.ts';
import { REG_NAMES, type EventRecord, type SideRun, type SigRecord } from './types.ts';

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
}

/** Rule "RF": RFLAGS.RF is not compared (user code cannot read it; see docs/cosim.md). */
const RF = 1n << 16n;
const MAX_DIFFERENCES = 24;

const hex = (v: bigint | number | undefined): string => (v === undefined ? '-' : `0x${BigInt(v).toString(16)}`);

/**
 * Rule "frame addresses": real frame values paired with the model's, per delivered signal. Two
 * real frames may share an address where the model's differ (the real frame is larger and
 * 64-byte aligned), so a real value stands for every model value it was paired with.
 */
class FrameMap {
  private readonly map = new Map<bigint, Set<bigint>>();
  private readonly rspMap = new Map<bigint, Set<bigint>>();
  private static add(map: Map<bigint, Set<bigint>>, k: bigint, v: bigint): void {
    const s = map.get(k) ?? new Set<bigint>();
    s.add(v);
    map.set(k, s);
  }
  pair(real: readonly SigRecord[], model: readonly SigRecord[]): void {
    const r = real.filter((s) => s.frame);
    const m = model.filter((s) => s.frame);
    for (let k = 0; k < Math.min(r.length, m.length); k++) {
      const a = r[k]?.frame;
      const b = m[k]?.frame;
      if (!a || !b) continue;
      FrameMap.add(this.map, a.rsp, b.rsp);
      FrameMap.add(this.map, a.rsi, b.rsi);
      FrameMap.add(this.map, a.rdx, b.rdx);
      // The harness runs rt_sigreturn after the handler's `ret` (RSP 8 above the frame, where
      // the ucontext, RDX's target, also starts); the model's rt_sigreturn runs at the frame.
      FrameMap.add(this.rspMap, a.rsp + 8n, b.rsp);
    }
  }
  /** Whether real value `v` of register `reg` stands for model value `m`. */
  matches(v: bigint, m: bigint, reg: string): boolean {
    return (reg === 'rsp' && this.rspMap.get(v)?.has(m) === true) || this.map.get(v)?.has(m) === true;
  }
}

/**
 * Rule "pid": the real pid where the model has its pid 1, also under a byte loaded into AL
 * (user.access reads keep RAX's upper bits, which getpid filled).
 */
function samePid(model: bigint, real: bigint, pid: number): boolean {
  const p = BigInt(pid);
  const m = BigInt(MODEL_PID);
  if (model === m && real === p) return true;
  return (model & 0xffn) === (real & 0xffn) && (model & ~0xffn) === (m & ~0xffn) && (real & ~0xffn) === (p & ~0xffn);
}

function sameValue(reg: string, model: bigint, real: bigint, pid: number | undefined, frames: FrameMap): boolean {
  if (model === real) return true;
  if (pid !== undefined && samePid(model, real, pid)) return true;
  return frames.matches(real, model, reg);
}

function compareSignals(i: number, type: string, m: readonly SigRecord[], r: readonly SigRecord[], out: Difference[]): void {
  const fmt = (s: SigRecord | undefined): string =>
    (s === undefined ? 'none' : `sig ${s.signo} code ${s.code} addr ${hex(s.addr)} rip ${hex(s.rip)}${s.fatal ? ' fatal' : ''}`);
  for (let k = 0; k < Math.max(m.length, r.length); k++) {
    const a = m[k];
    const b = r[k];
    const same = a !== undefined && b !== undefined && a.signo === b.signo && a.code === b.code && a.fatal === b.fatal
      && a.rip === b.rip && a.addr === b.addr;
    if (!same) {
      const field = a && b && a.signo === b.signo ? (a.code !== b.code ? 'signal.code' : a.addr !== b.addr ? 'signal.addr'
        : a.rip !== b.rip ? 'signal.rip' : 'signal.fatal') : 'signal';
      out.push({ event: i, type, field, model: fmt(a), real: fmt(b) });
    }
  }
}

function compareRecord(i: number, e: Event, m: EventRecord, r: EventRecord, pid: number | undefined, frames: FrameMap, out: Difference[]): void {
  const type = e.type;
  const diff = (field: string, a: string, b: string): void => { out.push({ event: i, type, field, model: a, real: b }); };
  if (m.skipped !== r.skipped) diff('skipped', String(m.skipped), String(r.skipped));
  if (m.state !== r.state) diff('state', m.state + (m.note ? ` (${m.note})` : ''), r.state);
  else if (m.stop !== r.stop) diff('stop', m.stop ?? '-', r.stop ?? '-');
  compareSignals(i, type, m.signals, r.signals, out);
  frames.pair(r.signals, m.signals);
  if (m.traps.map(hex).join() !== r.traps.map(hex).join()) diff('trap', m.traps.map(hex).join() || '-', r.traps.map(hex).join() || '-');
  if (m.state !== r.state || !m.regs || !r.regs) return;
  REG_NAMES.forEach((name, k) => {
    let a = m.regs?.[k] ?? 0n;
    let b = r.regs?.[k] ?? 0n;
    if (name === 'rflags') {
      a &= ~RF;
      b &= ~RF;
    }
    if (!sameValue(name, a, b, pid, frames)) diff(name, hex(a), hex(b));
  });
}

/** Compares the model's and the real machine's runs of `events`. */
export function compareRuns(events: readonly Event[], model: SideRun, real: SideRun): Comparison {
  if (real.status !== 'ok') {
    return { agree: false, cls: `harness ${real.status}`, differences: [{ event: -1, type: 'harness', field: real.status, model: 'ok', real: real.detail }] };
  }
  const out: Difference[] = [];
  const frames = new FrameMap();
  events.forEach((e, i) => {
    const m = model.records[i];
    const r = real.records[i];
    if (m === undefined || r === undefined) {
      out.push({ event: i, type: e.type, field: 'record', model: m ? 'present' : 'missing', real: r ? 'present' : 'missing' });
      return;
    }
    compareRecord(i, e, m, r, real.pid, frames, out);
  });
  const first = out[0];
  if (first === undefined) return { agree: true, differences: [] };
  return { agree: false, cls: `${first.type} ${first.field}`, differences: out.slice(0, MAX_DIFFERENCES) };
}
