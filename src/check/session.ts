/**
 * Running a trace: build the design's kernel, make the initial state, resolve the trace's
 * symbolic values at the boundary where each event runs, and replay.
 */
import type { Paging, Vendor } from '../isa/index.ts';
import { buildKernel, findDesign, initialState, type BuiltKernel, type Design, type InitialOverrides } from '../kernel/index.ts';
import { replay, type Event, type MachineState, type MicroStep, type ReplayResult } from '../model/index.ts';
import { allDesigns } from './designs.ts';
import { InputError, inputErrors } from './errors.ts';
import { resolveEvent, resolveInitial, type TraceFile } from './trace-file.ts';

/** One kernel micro-step as recorded for --verbose. */
export interface MicroRecord {
  readonly event: number;
  readonly rip: bigint;
  readonly step: MicroStep;
  readonly before: MachineState;
  readonly after: MachineState;
}

/** A replayed trace with everything a report needs. */
export interface TraceRun {
  readonly design: Design;
  readonly kernel: BuiltKernel;
  readonly vendor: Vendor;
  readonly paging: Paging;
  readonly initial: InitialOverrides;
  readonly events: readonly Event[];
  readonly result: ReplayResult;
  readonly micro: readonly MicroRecord[];
}

/** A design by name, or an InputError listing the known ones. */
export function designByName(name: string): Design {
  const d = findDesign(name) ?? allDesigns().find((x) => x.name === name);
  if (d === undefined) throw new InputError(inputErrors.unknownDesign(name, allDesigns().map((x) => x.name)));
  return d;
}

const kernels = new Map<Design, BuiltKernel>();
/** The kernel of a design (built once per design object). */
export function kernelOf(d: Design): BuiltKernel {
  let k = kernels.get(d);
  if (k === undefined) {
    k = buildKernel(d);
    kernels.set(d, k);
  }
  return k;
}

/** Options that override what the file says. */
export interface RunOverrides {
  readonly design?: Design;
  readonly vendor?: Vendor;
  readonly paging?: Paging;
  readonly verbose?: boolean;
}

/** Replays a parsed trace file. */
export function runTraceFile(t: TraceFile, file: string, o: RunOverrides = {}): TraceRun {
  const design = o.design ?? designByName(t.design);
  const vendor = o.vendor ?? t.vendor;
  const paging = o.paging ?? t.paging;
  const initial = resolveInitial({ ...t, paging }, file);
  const kernel = kernelOf(design);
  const events: Event[] = [];
  const micro: MicroRecord[] = [];
  let current = 0;
  const result = replay(initialState(kernel, vendor, paging, initial), t.events as unknown as Event[], kernel, {
    resolve: (i, m) => resolveEvent(t.events[i] as TraceFile['events'][number], paging, i, file, m.cpu.regs.rip),
    onEvent: (i, e) => { events[i] = e; current = i + 1; },
    ...(o.verbose ? { onMicro: (before: MachineState, s: MicroStep, after: MachineState) => micro.push({ event: current, rip: before.cpu.regs.rip, step: s, before, after }) } : {}),
  });
  return { design, kernel, vendor, paging, initial, events, result, micro };
}

/** Replays concrete events (no symbols) on a design. */
export function runEvents(design: Design, vendor: Vendor, paging: Paging, events: readonly Event[], initial: InitialOverrides = {}): TraceRun {
  const kernel = kernelOf(design);
  const result = replay(initialState(kernel, vendor, paging, initial), events, kernel);
  return { design, kernel, vendor, paging, initial, events, result, micro: [] };
}
