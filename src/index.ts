/**
 * entrycheck's public API: what an invariant file or a tool built on entrycheck imports.
 */
export { defineInvariant } from './check/invariant.ts';
export type {
  Invariant, InvariantSpec, Verdict, CheckContext, CheckKernel, Transition, MicroTransition, Fork,
  StateInvariantSpec, StepInvariantSpec, DifferentialInvariantSpec,
} from './check/invariant.ts';
export { ripWrittenByTracer } from './check/tracer-rip.ts';
export { evaluate, judge, type Evaluation, type Judgement, type Violation } from './check/evaluate.ts';
export { visible, visibleSequence, viewDiff, viewText, sameAsPt } from './check/visible.ts';
export { runEvents, runTraceFile, designByName } from './check/session.ts';
export { parseTrace, TRACE_FORMAT } from './check/trace-file.ts';
export { toTraceEvents } from './check/operands.ts';
export * as isa from './isa/index.ts';
export * as model from './model/index.ts';
export {
  PT_COMPLETE, PT_FIELDS, TIF, type MachineState, type Observation, type Event, type TraceEvent, type Task, type Activation, type TaggedObservation,
  type Run,
} from './model/index.ts';
export {
  DESIGNS, PRESETS, PROPOSALS, findDesign, variant, buildKernel, type Design, type Knobs, type DesignOverrides, type ExitFacts,
} from './kernel/index.ts';
