/**
 * Bytes allocated per kernel micro-step, measured in a child process whose young generation is
 * large enough that no garbage collection runs while it replays: the heap grows by exactly what
 * was allocated (and kept). Run as `node --expose-gc --max-semi-space-size=1024
 * --min-semi-space-size=1024 bin/run-ts.js bench/alloc.ts`; prints one number.
 */
import fc from 'fast-check';
import { traceArbitrary } from '../src/check/arbitrary.ts';
import { toTraceEvents } from '../src/check/operands.ts';
import { designByName, kernelOf } from '../src/check/session.ts';
import { initialState } from '../src/kernel/index.ts';
import { replay } from '../src/model/index.ts';

const K = kernelOf(designByName('linux-6.7'));
const m0 = initialState(K, 'intel', 4);
const traces = (fc.sample(traceArbitrary(16), { seed: 1, numRuns: 300 }) as Parameters<typeof toTraceEvents>[0][]).map((t) => toTraceEvents(t, 'bench'));
const all = (): number => traces.reduce((n, t) => n + replay(m0, t, K, { forks: false }).microSteps, 0);
all();
all();
const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
const h0 = process.memoryUsage().heapUsed;
const steps = all();
const h1 = process.memoryUsage().heapUsed;
process.stdout.write(`${gc ? Math.round((h1 - h0) / steps) : -1}\n`);
