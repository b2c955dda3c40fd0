/**
 * The domain-aware shrinker. Deleting an event always leaves a valid trace (a disabled event is
 * skipped), so it deletes first (halves, quarters, ... then single events), then moves each
 * `after` toward 0, then simplifies values toward benign ones, and repeats until nothing changes.
 * The result is 1-minimal: deleting any single event makes the trace pass.
 */
import type { RawEvent } from './trace-file.ts';

/** Budget and result of a shrink. */
export interface ShrinkResult {
  readonly trace: RawEvent[];
  /** Predicate evaluations used. */
  readonly tries: number;
}

/** Simpler variants of one event, most aggressive first. */
export function simplerEvents(e: RawEvent): RawEvent[] {
  const out: RawEvent[] = [];
  const drop = <T extends object>(o: T, k: string): T => { const c = { ...o } as Record<string, unknown>; delete c[k]; return c as T; };
  switch (e.type) {
    case 'hw.irq':
    case 'hw.nmi': {
      if (e.type === 'hw.irq' && e.vector !== undefined) out.push(drop(e, 'vector'));
      if (e.after > 0) out.push({ ...e, after: 0 }, { ...e, after: Math.floor(e.after / 2) }, { ...e, after: e.after - 1 });
      break;
    }
    case 'user.setReg': if (e.value !== '0x0') out.push({ ...e, value: '0x0' }); break;
    case 'user.popf': if (e.flags !== '0x202') out.push({ ...e, flags: '0x202' }); break;
    case 'user.access': if (e.write) out.push({ ...e, write: false }); if (e.addr !== '$user_data') out.push({ ...e, addr: '$user_data' }); break;
    case 'user.jump': if (e.target !== '$next') out.push({ ...e, target: '$next' }); break;
    case 'user.syscall':
    case 'user.int80':
    case 'user.sysenter': {
      if (e.args) out.push(drop(e, 'args'));
      if ('frame' in e && e.frame) {
        for (const k of Object.keys(e.frame)) out.push({ ...e, frame: drop(e.frame, k) } as RawEvent);
        if (Object.keys(e.frame).length === 0) out.push(drop(e, 'frame'));
      }
      if (e.nr !== 'getpid' && e.type !== 'user.sysenter') out.push({ ...e, nr: 'getpid', args: undefined, frame: undefined } as unknown as RawEvent);
      break;
    }
    case 'tracer.setRegs': for (const k of Object.keys(e.regs)) out.push({ ...e, regs: drop(e.regs, k) }); break;
    case 'tracer.attach': if (e.options) { out.push(drop(e, 'options')); for (const k of Object.keys(e.options)) out.push({ ...e, options: drop(e.options, k) }); } break;
    default: break;
  }
  return out.map((x) => JSON.parse(JSON.stringify(x)) as RawEvent);
}

/** Shrinks a failing trace; `fails` must be true for the input. */
export function shrink(input: readonly RawEvent[], fails: (t: RawEvent[]) => boolean, maxTries = 4000): ShrinkResult {
  let cur = [...input];
  let tries = 0;
  const test = (t: RawEvent[]): boolean => { tries++; return fails(t); };
  const deletions = (): boolean => {
    let changed = false;
    for (let size = Math.floor(cur.length / 2); size >= 1; size = Math.floor(size / 2)) {
      for (let i = 0; i + size <= cur.length && tries < maxTries;) {
        const cand = [...cur.slice(0, i), ...cur.slice(i + size)];
        if (cand.length > 0 && test(cand)) { cur = cand; changed = true; } else i += size;
      }
    }
    return changed;
  };
  const simplify = (onlyAfter: boolean): boolean => {
    let changed = false;
    for (let i = 0; i < cur.length && tries < maxTries; i++) {
      let improved = true;
      while (improved && tries < maxTries) {
        improved = false;
        const e = cur[i] as RawEvent;
        if (onlyAfter !== (e.type === 'hw.irq' || e.type === 'hw.nmi')) break;
        for (const s of simplerEvents(e)) {
          const cand = [...cur.slice(0, i), s, ...cur.slice(i + 1)];
          if (test(cand)) { cur = cand; changed = improved = true; break; }
        }
      }
    }
    return changed;
  };
  for (let round = 0; round < 20 && tries < maxTries; round++) {
    const a = deletions();
    const b = simplify(true);
    const c = simplify(false);
    if (!a && !b && !c) break;
  }
  return { trace: cur, tries };
}
