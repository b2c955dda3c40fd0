/**
 * What the soak's workers do and report: job `i` is the i-th malformed file (or bad argument
 * list) of the seed, made from (seed, i) alone, so any failure can be re-made by its index.
 */
import fc from 'fast-check';
import { badArgs, type BadArgs } from '../fuzz/bad-args.ts';
import { malformedFile, type Malformed } from '../fuzz/malformed.ts';

/** A batch of jobs for a worker. */
export interface Batch {
  readonly kind: 'file' | 'args';
  readonly start: number;
  readonly end: number;
}

/** One job's outcome. */
export interface Outcome {
  readonly kind: 'file' | 'args';
  readonly i: number;
  readonly cls: string;
  readonly status: number;
  readonly lines: number;
  readonly lineLength: number;
  /** Why it is not exit 2 with one line (scripts/fuzz/cli.ts), or null. */
  readonly problem: string | null;
  readonly ms: number;
}

/** Messages from a worker: a job started (for the watchdog), a job's outcome, a batch done. */
export type WorkerMessage = { readonly type: 'start'; readonly kind: 'file' | 'args'; readonly i: number; readonly cls: string }
  | { readonly type: 'done'; readonly outcome: Outcome }
  | { readonly type: 'batch' };

/** The i-th malformed file of a seed. */
export function fileJob(seed: number, i: number): Malformed {
  return fc.sample(malformedFile, { numRuns: 1, seed: seed * 1_000_003 + i })[0] as Malformed;
}

/** The i-th bad argument list of a seed. */
export function argsJob(seed: number, i: number, out: string, trace: string): BadArgs {
  return fc.sample(badArgs(out, trace), { numRuns: 1, seed: seed * 1_000_003 + i })[0] as BadArgs;
}
