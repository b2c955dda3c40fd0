/**
 * The domain-aware shrinker. Deleting an event always leaves a valid trace (a disabled event is
 * skipped), so it deletes first (halves, quarters, ... then single events), then moves each
 * `after` toward 0, then simplifies values toward benign ones, and repeats until nothing changes.
 * The result is 1-minimal: deleting any single event makes the trace pass; for traces of up to
 * 24 events it is also minimal under deleting any two events or any contiguous window.
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

const isHw = (e: RawEvent): e is Extract<RawEvent, { after: number }> => e.type.startsWith('hw.');

/**
 * `t` without event `i`, each other hardware event that `moves` picks (by its index and the clock
 * it was armed at) moved `delta` boundaries earlier; null when none moves.
 */
function withoutMoving(t: readonly RawEvent[], i: number, clock: readonly number[], delta: number,
  moves: (e: Extract<RawEvent, { after: number }>, k: number, armed: number) => boolean): RawEvent[] | null {
  let moved = false;
  const out: RawEvent[] = [];
  t.forEach((e, k) => {
    if (k === i) return;
    const armed = clock[k];
    if (isHw(e) && armed !== undefined && moves(e, k, armed)) {
      moved = true;
      out.push({ ...e, after: e.after - delta });
    } else out.push(e);
  });
  return moved ? out : null;
}

/**
 * `t` without event `i`, each earlier hardware event that fires after event i moved earlier by
 * the boundaries event i took (`clock[k]`: the clock before event k), so it still lands on the
 * same later instruction; null when there is nothing to move.
 */
export function withoutShifted(t: readonly RawEvent[], i: number, clock: readonly number[]): RawEvent[] | null {
  const start = clock[i];
  const end = clock[i + 1];
  if (start === undefined || end === undefined || end === start) return null;
  return withoutMoving(t, i, clock, end - start, (e, k, armed) => k < i && armed + e.after >= end);
}

/**
 * `t` with hardware event `h` moved to just before the event during which it fires (its `after`
 * counted from there), so the events in between can go; null when it is there already.
 */
export function localized(t: readonly RawEvent[], h: number, clock: readonly number[]): RawEvent[] | null {
  const e = t[h];
  const armed = clock[h];
  if (e === undefined || !isHw(e) || armed === undefined) return null;
  const due = armed + e.after;
  let j = h + 1;
  while (j < t.length && (clock[j + 1] ?? Infinity) <= due) j++;
  if (j >= t.length || j === h + 1 || (clock[j] ?? Infinity) > due) return null;
  const out = t.filter((_, k) => k !== h);
  out.splice(j - 1, 0, { ...e, after: due - (clock[j] as number) });
  return out;
}

/** Whether `a` is a smaller trace than `b`: fewer events, or as many and less time before its interrupts. */
function smaller(a: readonly RawEvent[], b: readonly RawEvent[]): boolean {
  const wait = (t: readonly RawEvent[]): number => t.reduce((s, e) => s + (isHw(e) ? e.after : 0), 0);
  return a.length < b.length || (a.length === b.length && wait(a) < wait(b));
}

/**
 * `t` without hardware event `i`, whose handler took `span` boundaries: each other hardware event
 * armed before it fired and firing later is moved earlier by `span`, so it still lands on the
 * same instruction (an interrupt that only delayed another can go); null when nothing moves.
 */
export function withoutHwShifted(t: readonly RawEvent[], i: number, clock: readonly number[], span: number): RawEvent[] | null {
  const e = t[i];
  const armed = clock[i];
  if (e === undefined || !isHw(e) || armed === undefined || span <= 0) return null;
  const due = armed + e.after;
  return withoutMoving(t, i, clock, span, (x, _k, at) => at <= due && at + x.after > due && x.after >= span);
}

/**
 * Shrinks a failing trace; `fails` must be true for the input. `clocks`, when given, tells the
 * clock before each event of a trace (and after the last), so that deleting an instruction can
 * keep a later interrupt on its instruction; `handlerSpan` how many boundaries the handler of
 * hardware event i took (null: not delivered), so that deleting it can keep the others on theirs.
 */
export function shrink(input: readonly RawEvent[], fails: (t: RawEvent[]) => boolean, maxTries = 4000,
  clocks?: (t: readonly RawEvent[]) => readonly number[], handlerSpan?: (t: readonly RawEvent[], i: number) => number | null): ShrinkResult {
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
  // Two events that only matter together (an interrupt and the instruction it lands on, two
  // padding events around the one that counts): every pair and every window once more.
  const pairs = (): boolean => {
    const clock = clocks?.(cur);
    for (let i = 0; clock && i < cur.length && tries < maxTries; i++) {
      // Only a smaller trace counts (fewer events, or less time before an interrupt): moving an
      // interrupt across another that takes no time would go back and forth.
      const cand = isHw(cur[i] as RawEvent) ? localized(cur, i, clock) : withoutShifted(cur, i, clock);
      if (cand !== null && cand.length > 0 && smaller(cand, cur) && test(cand)) { cur = cand; return true; }
      // An interrupt that only delays another: drop it, and the other lands where it did.
      // The span is counted in micro-steps; where the other lands relative to a boundary of its
      // own delivery may differ by one, so its neighbours are tried too.
      const span = handlerSpan && isHw(cur[i] as RawEvent) ? handlerSpan(cur, i) : null;
      for (const d of span === null ? [] : [span, span - 1, span + 1]) {
        const drop = withoutHwShifted(cur, i, clock, d);
        if (drop !== null && drop.length > 0 && test(drop)) { cur = drop; return true; }
      }
    }
    for (let i = 0; i < cur.length && tries < maxTries; i++) {
      for (let j = i + 1; j < cur.length && tries < maxTries; j++) {
        const cand = cur.filter((_, k) => k !== i && k !== j);
        if (cand.length > 0 && test(cand)) { cur = cand; return true; }
      }
    }
    for (let size = 3; size < cur.length && tries < maxTries; size++) {
      for (let i = 0; i + size <= cur.length && tries < maxTries; i++) {
        const cand = [...cur.slice(0, i), ...cur.slice(i + size)];
        if (test(cand)) { cur = cand; return true; }
      }
    }
    return false;
  };
  for (let round = 0; round < 20 && tries < maxTries; round++) {
    const a = deletions();
    const b = simplify(true);
    const c = simplify(false);
    if (!a && !b && !c && (cur.length > 24 || !pairs())) break;
  }
  return { trace: cur, tries };
}
