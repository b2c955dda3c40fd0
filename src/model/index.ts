/**
 * The model: machine state, the trace vocabulary, the pure step function, replay, observations.
 */
export * from './events.ts';
export * from './observations.ts';
export * from './state.ts';
export * from './kernel-api.ts';
export * from './user-memory.ts';
export * from './engine.ts';
export * from './user.ts';
export * from './step.ts';
export * from './replay.ts';
