/**
 * The checker: invariants, traces, evaluation, the runner and the counterexample store.
 */
export * from './invariant.ts';
export * from './evaluate.ts';
export * from './visible.ts';
export * from './errors.ts';
export * from './trace-file.ts';
export * from './session.ts';
export * from './json.ts';
