/**
 * `entrycheck explore`: bounded-exhaustive exploration of one cell (check/explore). Every trace
 * of length <= --depth over the alphabet (the default one, or --alphabet FILE) is judged, repeats
 * pruned by state fingerprint, breadth first. The result is a counterexample (saved like run's,
 * the first found and so a shortest one; exit 1) or the claim "no violation in any trace of
 * length <= k over alphabet A: N distinct states" (exit 0). Progress goes to stderr. The levels
 * are judged on --workers threads and merged in order (check/explore/parallel.ts), so the result
 * does not depend on the number of workers.
 */
import { availableParallelism } from 'node:os';
import { Option, type Command } from 'commander';
import { saveCounterexample } from '../check/counterexample.ts';
import { defaultAlphabet } from '../check/explore/alphabet.ts';
import type { ExploreProgress, ExploreResult } from '../check/explore/explore.ts';
import { exploreParallel, localLane, type Lane } from '../check/explore/parallel.ts';
import { threadLanes } from '../check/explore/threads.ts';
import { stringify } from '../check/json.ts';
import { readText } from '../check/read-file.ts';
import { kernelOf } from '../check/session.ts';
import { eventsSchema, type RawEvent } from '../check/trace-file.ts';
import { parseJsonFile, validate } from '../check/validate.ts';
import { WORLDS, type World } from '../check/worlds.ts';
import { counterexampleText } from '../report/counterexample-text.ts';
import type { CliCommand } from './command.ts';
import { designNamed, exitHelp, intFlag, loadInvariants, selectInvariants } from './common.ts';
import { duration } from './progress.ts';
import { shardOf } from './run.ts';

/** Options of the explore command (as commander parses them). */
export interface ExploreCliOptions {
  readonly design: string;
  readonly property?: string[];
  readonly vendor: 'intel' | 'amd';
  readonly paging: string;
  readonly depth?: string;
  readonly window?: string;
  readonly everyBoundary?: boolean;
  readonly alphabet?: string;
  readonly start: string;
  readonly shard?: string;
  readonly maxStates?: string;
  readonly workers?: string;
  readonly out: string;
  readonly json?: boolean;
}

/** Default depth and interrupt window. */
export const DEFAULT_DEPTH = 3;
export const DEFAULT_WINDOW = 2;

/** Progress lines on stderr: one per depth finished, and every two seconds on a terminal. */
function reporter(quiet: boolean): (p: ExploreProgress) => void {
  let last = 0;
  let depth = 0;
  return (p) => {
    if (quiet) return;
    // On threads the states of a level are counted when it is merged: traces/s is the rate within one.
    const rate = (n: number): number => Math.round((n / Math.max(p.ms, 1)) * 1000);
    const line = `[explore] depth ${p.depth}: ${p.states} distinct states, ${p.traces} traces, ${rate(p.states)} states/s, ${rate(p.traces)} traces/s, queue ${p.queue}`;
    if (p.depth !== depth || p.ms - last > 2000) {
      process.stderr.write(`${line}\n`);
      last = p.ms;
      depth = p.depth;
    }
  };
}

/** The result as text for people. */
function resultText(r: ExploreResult, depth: number, alphabet: string, file: string | null): string {
  const stats = `${r.states} distinct states, ${r.traces} traces judged in ${duration(r.ms / 1000)}`;
  if (r.found) {
    return `violation of ${r.found.invariant} by a trace of ${r.found.raw.length} event${r.found.raw.length === 1 ? '' : 's'} (no shorter trace violates any invariant): ` +
      `${r.found.failure.message}\n  ${stats}\n  saved ${file}\n`;
  }
  const errors = [...r.errors].map(([id, m]) => `\n  ${id} could not be judged: ${m}`).join('');
  if (r.depthDone < depth) return `no violation in any trace of length <= ${r.depthDone} over the alphabet (${alphabet}), stopped by --max-states: ${stats}${errors}\n`;
  return `no violation in any trace of length <= ${depth} over the alphabet (${alphabet}): ${stats}${errors}\n`;
}

/** Runs one exploration. */
export async function exploreCommand(o: ExploreCliOptions): Promise<number> {
  const design = designNamed(o.design);
  const depth = intFlag('depth', o.depth, DEFAULT_DEPTH, 1, 12);
  const window = intFlag('window', o.window, DEFAULT_WINDOW, 0, 200);
  const maxStates = intFlag('max-states', o.maxStates, 5_000_000, 1, 1_000_000_000);
  const shard = shardOf(o.shard);
  const all = await loadInvariants();
  const invariants = (o.property ? selectInvariants(all, o.property) : all.filter((d) => d.invariant.sanity !== true)).map((d) => d.invariant);
  const paging = Number(o.paging) as 4 | 5;
  const every = o.everyBoundary === true;
  const workers = intFlag('workers', o.workers, Math.max(1, Math.min(availableParallelism(), 8)), 1, 64);
  // Commander checks the choice: the start is one of worlds.ts's.
  const world = WORLDS.find((w) => w.id === o.start) as World;
  // A start's own letters join the default alphabet (a user's alphabet is taken as it stands).
  const alphabet: RawEvent[] = o.alphabet ? validate(eventsSchema, parseJsonFile(readText(o.alphabet), o.alphabet), o.alphabet) : [...defaultAlphabet(window), ...(world.letters ?? [])];
  const start = Object.keys(world.initial).length > 0 ? { initial: world.initial } : {};
  const cell = { kernel: kernelOf(design), vendor: o.vendor, paging, ...start };
  // Up to depth 2 a level is too short to share out: one lane, in this thread.
  const lanes: Lane[] = workers === 1 || depth <= 2
    ? [localLane(invariants, cell, alphabet, every)]
    : await threadLanes(workers, { design: design.name, vendor: o.vendor, paging, ...start, invariants: invariants.map((i) => i.id), alphabet, everyBoundary: every });
  let r: ExploreResult;
  try {
    r = await exploreParallel({ invariants, alphabet, depth, lanes, maxStates, ...(shard.count > 1 ? { shard } : {}), onProgress: reporter(o.json === true) });
  } finally {
    await Promise.all(lanes.map((l) => l.close()));
  }
  let file: string | null = null;
  if (r.found) {
    file = saveCounterexample(o.out, {
      invariant: r.found.invariant, design, vendor: o.vendor, paging, seed: 0, path: `explore depth ${r.found.raw.length}${world.label}`, ...start,
      events: r.found.events, failure: r.found.failure,
    }, counterexampleText);
  }
  if (o.json) {
    process.stdout.write(stringify({
      format: 'entrycheck/explore@1', design: design.name, vendor: o.vendor, paging, start: world.id, depth, alphabet: alphabet.length, everyBoundary: every, shard,
      complete: r.depthDone === depth, depthDone: r.depthDone, states: r.states, traces: r.traces, ms: Math.round(r.ms),
      found: r.found ? { invariant: r.found.invariant, length: r.found.raw.length, message: r.found.failure.message, file } : null,
      errors: Object.fromEntries(r.errors),
    }));
  } else process.stdout.write(resultText(r, depth, `${alphabet.length} events${every ? ', and an IRQ and an NMI at every kernel boundary that takes one' : ''}`, file));
  return r.found || r.errors.size > 0 ? 1 : 0;
}

/** The explore command. */
export const exploreCli: CliCommand = {
  register(program: Command, done) {
    program
      .command('explore')
      .description('judge every trace up to a length over a finite alphabet, breadth first (a violation found is a shortest one)')
      .requiredOption('--design <name>', 'the design to explore')
      .option('--property <id...>', 'invariants to judge (default: all but the sanity claims)')
      .addOption(new Option('--vendor <vendor>', 'CPU vendor').choices(['intel', 'amd']).default('intel'))
      .addOption(new Option('--paging <levels>', 'paging mode').choices(['4', '5']).default('4'))
      .option('--depth <k>', `longest trace (default: ${DEFAULT_DEPTH})`)
      .option('--every-boundary', 'also extend each trace by an IRQ and an NMI at every boundary of its kernel run where one is taken at once (not only the first --window boundaries of the next event)')
      .option('--window <n>', `the default alphabet's IRQ and NMI at each of the first n boundaries of the next event (default: ${DEFAULT_WINDOW})`)
      .addOption(new Option('--start <start>', 'the machine the traces start from: the model\'s own (task 1 a 64-bit process, task 2 a 32-bit one), task 2 a 64-bit process, or task 1 a 32-bit process and task 2 a 64-bit one (with the bare 32-bit SYSCALL and SYSENTER in the alphabet)').choices(WORLDS.map((w) => w.id)).default('model'))
      .option('--alphabet <file>', 'a JSON list of events (trace-file form) to use instead of the default alphabet')
      .option('--shard <i/n>', 'explore shard i of n: the traces whose first event is alphabet entry i, i+n, ... (default: 1/1)')
      .option('--max-states <n>', 'stop after this many distinct states (default: 5000000)')
      .option('--workers <n>', 'worker threads judging each level (default: one per core, at most 8; the result does not depend on it)')
      .option('--out <dir>', 'counterexample directory', 'counterexamples')
      .option('--json', 'one JSON object on stdout (schemas/explore-output.schema.json)')
      .addHelpText('after', exitHelp('a violation was found (and saved), or an invariant\'s check threw'))
      .action(async (opts: ExploreCliOptions) => { done(await exploreCommand(opts)); });
  },
};
