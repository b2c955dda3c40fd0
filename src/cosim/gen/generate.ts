/**
 * State-aware trace generation: each trace is built event by event while the model runs it, and
 * each next event is chosen from what is enabled in the state the model reached (chunks.ts), so
 * that almost no event is skipped. The model run that steers generation is kept: for the design
 * it ran (linux-6.7 by default) it is the model side of the co-simulation.
 */
import type { Paging, Vendor } from '../../isa/index.ts';
import type { Design } from '../../kernel/index.ts';
import type { Event } from '../../model/index.ts';
import { ModelCursor, type HostFeatures } from '../model-run.ts';
import type { SideRun } from '../types.ts';
import { menu32, menu64, menuStopped, type MenuOptions, type Step } from './chunks.ts';
import { guideOf, type Guide } from './guide.ts';
import { Rng } from './rng.ts';

/** What generation needs to know about the run. */
export interface GenOptions extends MenuOptions {
  readonly paging: Paging;
  readonly host?: HostFeatures;
  /** Most events per trace (default 28). */
  readonly maxEvents?: number;
}

/** A generated trace and the model's run of it on the design that steered it. */
export interface GeneratedTrace {
  readonly events: Event[];
  readonly model: SideRun;
}

/** The seed of trace `index` of a run with `seed`: traces are independent of each other. */
export function traceSeed(seed: number, index: number): number {
  let h = Math.imul(seed ^ 0x5bd1e995, 0x27d4eb2d) ^ index;
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  return (h ^ (h >>> 12)) >>> 0;
}

/** Where generation must stop: the process is gone, or user code is where the model cannot follow. */
function finished(g: Guide, landingPad: bigint): boolean {
  if (g.state !== 'boundary' && g.state !== 'stopped') return true;
  // At the landing pad the next event runs the vDSO's epilogue: the model has it only for its own
  // calls, in 32-bit code (a return there from 64-bit SYSENTER, or with CS changed, ends here).
  return g.state === 'boundary' && g.rip === landingPad && (!g.vdsoCall || !g.compat);
}

function choose(r: Rng, o: GenOptions, g: Guide, landingPad: bigint): Step[] {
  if (g.state === 'stopped') return [...menuStopped(r, o, g)];
  if (g.rip === landingPad) return [(h) => (h.state === 'boundary' ? { type: 'user.nop' } : null)];
  return [...(g.compat ? menu32(r, o, g) : menu64(r, o, g))];
}

/** Generates one trace (deterministic for `seed`), running it on `design` as it goes. */
export function generateTrace(seed: number, design: Design, vendor: Vendor, o: GenOptions): GeneratedTrace {
  const r = new Rng(seed);
  const cur = new ModelCursor(design, vendor, o.paging, o.host ?? {});
  const landingPad = cur.vdso.landingPad;
  const events: Event[] = [];
  const apply = (e: Event): void => {
    events.push(e);
    cur.apply(e);
  };
  const budget = 6 + r.int((o.maxEvents ?? 28) - 5);
  const start = r.weighted<Event | null>([[4, { type: 'tracer.attach', options: { syscalls: true } }],
    [2, { type: 'tracer.attach', options: { syscalls: false } }], [4, null]]);
  if (start) apply(start);
  let plan: Step[] = [];
  let misses = 0;
  while (events.length < budget && misses < 50) {
    const g = guideOf(cur.state);
    if (finished(g, landingPad)) break;
    let e = plan.length > 0 ? (plan.shift() as Step)(g) : null;
    if (e === null) {
      plan = choose(r, o, g, landingPad);
      e = (plan.shift() as Step)(g);
    }
    if (e === null) { plan = []; misses++; continue; }
    apply(e);
  }
  // End where user code runs: resume a stop, then one more instruction (what an event left
  // behind on its way back to user mode shows in the last record).
  let g = guideOf(cur.state);
  if (g.state === 'stopped') { apply({ type: 'tracer.cont' }); g = guideOf(cur.state); }
  if (g.state === 'boundary' && !finished(g, landingPad)) apply({ type: 'user.nop' });
  return { events, model: cur.run() };
}
