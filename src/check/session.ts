/**
 * Running a trace: build the design's kernel, make the initial state, resolve the trace's
 * symbolic values at the boundary where each event runs, and replay.
 */
import type { Paging, Vendor } from '../isa/index.ts';
import { buildKernel, findDesign, initialState, type BuiltKernel, type Design, type InitialOverrides } from '../kernel/index.ts';
import { replay, type Event, type MicroRecord, type Run, type TraceEvent } from '../model/index.ts';
import { allDesigns, designNamedIn } from './designs.ts';
import { InputError, inputErrors } from './errors.ts';
import { toTraceEvents } from './operands.ts';
import { resolveInitial, type TraceFile } from './trace-file.ts';

/** A replayed trace with everything a report needs. */
export interface TraceRun {
  readonly design: Design;
  readonly kernel: BuiltKernel;
  readonly vendor: Vendor;
  readonly paging: Paging;
  readonly initial: InitialOverrides;
  /** The events as they ran (operands resolved). */
  readonly events: readonly Event[];
  /** The events as the trace gave them. */
  readonly trace: readonly TraceEvent[];
  readonly result: Run;
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
  const design = o.design ?? designNamedIn(t.design, file, 'design');
  const vendor = o.vendor ?? t.vendor;
  const paging = o.paging ?? t.paging;
  const initial = resolveInitial({ ...t, paging }, file);
  return runEvents(design, vendor, paging, toTraceEvents(t.events, file), initial, o.verbose ?? false);
}

/** Replays events (possibly with symbolic operands) on a design. */
export function runEvents(design: Design, vendor: Vendor, paging: Paging, trace: readonly TraceEvent[], initial: InitialOverrides = {}, verbose = false): TraceRun {
  const kernel = kernelOf(design);
  const result = replay(initialState(kernel, vendor, paging, initial), trace, kernel, { micro: verbose });
  return { design, kernel, vendor, paging, initial, events: result.events, trace, result, micro: result.micro ?? [] };
}
