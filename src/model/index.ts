/**
 * The model: machine state, the trace vocabulary, the working machine, the step semantics, a
 * run as a value, observations.
 */
export * from './events.ts';
export * from './observations.ts';
export * from './state.ts';
export * from './signal-state.ts';
export * from './kernel-api.ts';
export * from './user-memory.ts';
export * from './machine.ts';
export * from './recording.ts';
export * from './copy.ts';
export * from './delivery.ts';
export * from './engine.ts';
export * from './reception.ts';
export * from './operand.ts';
export * from './user.ts';
export { EPILOGUE_INSNS } from './user-stack.ts';
export * from './step.ts';
export * from './replay.ts';
export * from './decisions.ts';
