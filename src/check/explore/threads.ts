/**
 * Exploration lanes on worker threads (parallel.ts): each worker loads the designs and invariants
 * itself (the user's files included, as `run`'s workers do) and runs an Expander; messages are
 * plain data (outcomes carry fingerprints, violations and resolved events).
 */
import { Worker } from 'node:worker_threads';
import type { Paging, Vendor } from '../../isa/index.ts';
import type { InitialOverrides } from '../../kernel/index.ts';
import type { RawEvent } from '../trace-file.ts';
import { workerScript } from '../worker-url.ts';
import type { Lane } from './parallel.ts';

/** What each lane explores. */
export interface LaneInit {
  readonly design: string;
  readonly vendor: Vendor;
  readonly paging: Paging;
  /** Overrides of the initial state (check/worlds.ts); none: the model's own. */
  readonly initial?: InitialOverrides;
  readonly invariants: readonly string[];
  readonly alphabet: readonly RawEvent[];
  /** Extend each trace also by interrupts at every boundary of its kernel run (boundaries.ts). */
  readonly everyBoundary?: boolean;
  /** Where the invariants are (default: the repository's properties/). */
  readonly propertiesDir?: string;
}

/** A request to a lane, and its answers (worker.ts). */
export type LaneRequest = { kind: 'root'; ids: readonly string[] } | { kind: 'expand'; r: Parameters<Lane['expand']>[0] } | { kind: 'adopt'; pairs: Parameters<Lane['adopt']>[0] };
export type LaneAnswer = { kind: 'ready' } | { kind: 'done'; value: unknown } | { kind: 'judged'; n: number } | { kind: 'error'; message: string };

function lane(init: LaneInit): Promise<Lane> {
  const script = workerScript('explore');
  const w = new Worker(script.url, { workerData: { ...init, ...script.data } });
  let judged = 0;
  let waiting: { resolve: (v: unknown) => void; reject: (e: Error) => void } | null = null;
  let ready: (() => void) | null = null;
  const failed = (e: Error): void => { const q = waiting; waiting = null; q?.reject(e); };
  w.on('message', (m: LaneAnswer) => {
    if (m.kind === 'ready') ready?.();
    else if (m.kind === 'judged') judged += m.n;
    else if (m.kind === 'error') failed(new Error(m.message));
    else { const q = waiting; waiting = null; q?.resolve(m.value); }
  });
  w.on('error', failed);
  w.on('exit', (code) => failed(new Error(`explore worker exited (${code})`)));
  const ask = <T>(req: LaneRequest): Promise<T> => new Promise<T>((resolve, reject) => {
    waiting = { resolve: resolve as (v: unknown) => void, reject };
    w.postMessage(req);
  });
  const me: Lane = {
    root: (ids) => ask<string>({ kind: 'root', ids }),
    expand: (r) => { judged = 0; return ask({ kind: 'expand', r }); },
    adopt: (pairs) => ask<void>({ kind: 'adopt', pairs }),
    judged: () => judged,
    close: async () => { w.removeAllListeners('exit'); await w.terminate(); },
  };
  return new Promise<Lane>((resolve, reject) => {
    ready = () => resolve(me);
    w.once('error', reject);
  });
}

/** Starts `n` lanes on worker threads, each ready to explore `init`. */
export function threadLanes(n: number, init: LaneInit): Promise<Lane[]> {
  return Promise.all(Array.from({ length: n }, () => lane(init)));
}
