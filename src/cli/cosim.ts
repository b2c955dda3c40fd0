/**
 * `entrycheck cosim`: co-simulation against the CPU and kernel this runs on (docs/cosim.md).
 * Exit status: 0 when agreement reaches --min-agreement (or co-simulation is skipped: no C
 * compiler, not x86-64 Linux, no ptrace permission); 1 below it, or when a re-run saved file
 * still disagrees; 2 on bad flags (one line).
 */
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { InputError, inputErrors } from '../check/errors.ts';
import { stringify } from '../check/json.ts';
import { designByName } from '../check/session.ts';
import { designNamedIn } from '../check/designs.ts';
import { detectPlatform } from '../cosim/detect.ts';
import { findMutant, MUTANTS } from '../cosim/mutants.ts';
import { agreementPct, replayLine, reportJson, reportText, skippedLine } from '../cosim/report.ts';
import { cosimTraces, runCosim } from '../cosim/run.ts';
import { loadTrace } from '../cosim/store.ts';
import { traceLine, UnsupportedEvent } from '../cosim/line.ts';
import type { Design } from '../kernel/index.ts';
import type { Event } from '../model/index.ts';
import type { CliCommand } from './command.ts';
import { exitHelp } from './common.ts';
import { parseSeed } from './seed.ts';

/** Options of the cosim command (as commander parses them). */
export interface CosimOptions {
  readonly traces?: string;
  readonly seed?: string;
  readonly design?: string;
  readonly out: string;
  readonly timeout?: string;
  readonly minAgreement?: string;
  readonly replay?: string[];
  readonly json?: boolean;
  readonly includePending?: boolean;
}

/** Defaults: traces per run, the seed (runs are deterministic for a seed), the design, full agreement. */
export const COSIM_DEFAULTS = { traces: 1000, seed: 1, design: 'linux-6.7', timeoutS: 2, minAgreement: 100 } as const;

/** A design by name: a built-in or designs/ one, or mutant:NAME (src/cosim/mutants.ts). */
function cosimDesign(name: string): Design {
  if (name.startsWith('mutant:')) {
    const m = findMutant(name);
    if (m === undefined) throw new InputError(inputErrors.badFlag('design', name, `one of ${MUTANTS.map((x) => `mutant:${x.name}`).join(', ')}`));
    return m.design;
  }
  return designByName(name);
}

function int(flag: string, v: string | undefined, def: number, min: number, max: number): number {
  if (v === undefined) return def;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new InputError(inputErrors.badFlag(flag, v, `an integer from ${min} to ${max}`));
  return Number(v);
}

function num(flag: string, v: string | undefined, def: number, min: number, max: number): number {
  if (v === undefined) return def;
  if (!/^\d+(\.\d+)?$/.test(v) || Number(v) < min || Number(v) > max) throw new InputError(inputErrors.badFlag(flag, v, `a number from ${min} to ${max}`));
  return Number(v);
}

/** The trace must be one the harness may run: otherwise a one-line input error naming the file and event. */
function checkSubset(file: string, events: readonly Event[]): void {
  try {
    traceLine(0, events);
  } catch (e) {
    if (e instanceof UnsupportedEvent) throw new InputError(inputErrors.field(file, '', e.message));
    throw e;
  }
}

/** Re-runs saved disagreement files; 1 if any still disagrees. */
async function replay(files: readonly string[], o: CosimOptions): Promise<number> {
  // Every file checked before the harness is built: the design it names, the subset.
  const loaded = files.map((f) => {
    const t = loadTrace(f);
    const d = o.design ? cosimDesign(o.design) : t.design.startsWith('mutant:') ? cosimDesign(t.design) : designNamedIn(t.design, f, 'trace.design');
    checkSubset(f, t.events);
    return { f, d, events: t.events };
  });
  const platform = detectPlatform();
  if (!platform.ok) {
    process.stdout.write(o.json ? stringify({ skipped: true, reason: platform.reason }) : skippedLine(platform.reason));
    return 0;
  }
  let still = 0;
  const results: unknown[] = [];
  const lines: string[] = [];
  for (const { f, d, events } of loaded) {
    let refused: string | null = null;
    await cosimTraces(platform, d, [events], (v) => {
      if (v.real.status === 'refused') { refused = v.real.detail; return; }
      if (!v.comparison.agree) still++;
      if (o.json) results.push({ file: f, agree: v.comparison.agree, class: v.comparison.cls ?? null, differences: v.comparison.differences });
      else lines.push(replayLine(f, v.comparison));
    }, 2, o.includePending === true);
    // The machine's seccomp guard stopped a system call the static check could not see (a
    // register loaded by an earlier event): the file asks for something outside the subset.
    if (refused !== null) throw new InputError(inputErrors.field(f, '', refused));
  }
  process.stdout.write(o.json ? stringify(results) : lines.join(''));
  return still > 0 ? 1 : 0;
}

/** Runs co-simulation. */
export async function cosimCommand(o: CosimOptions): Promise<number> {
  const traces = int('traces', o.traces, COSIM_DEFAULTS.traces, 1, 10_000_000);
  const seed = parseSeed(o.seed, COSIM_DEFAULTS.seed);
  const timeoutS = num('timeout', o.timeout, COSIM_DEFAULTS.timeoutS, 0.1, 600);
  const minAgreement = num('min-agreement', o.minAgreement, COSIM_DEFAULTS.minAgreement, 0, 100);
  const design = cosimDesign(o.design ?? COSIM_DEFAULTS.design);
  if (o.replay !== undefined && o.replay.length > 0) return replay(o.replay, o);
  const platform = detectPlatform();
  if (!platform.ok) {
    process.stdout.write(o.json ? stringify({ skipped: true, reason: platform.reason }) : skippedLine(platform.reason));
    return 0;
  }
  const tty = process.stderr.isTTY === true && !o.json;
  const bar = tty
    ? new cliProgress.SingleBar({ format: 'cosim [{bar}] {value}/{total} traces | {agreed} agree', hideCursor: true }, cliProgress.Presets.shades_classic)
    : null;
  bar?.start(traces, 0, { agreed: 0 });
  let lastTenth = -1;
  const summary = await runCosim(platform, {
    traces, seed, design, out: o.out, timeoutS, includePending: o.includePending === true,
    onProgress: (done, agreed) => {
      if (bar) bar.update(done, { agreed });
      else if (!o.json) {
        const tenth = Math.floor((done * 10) / traces);
        if (tenth !== lastTenth) {
          lastTenth = tenth;
          process.stderr.write(`[cosim] ${done}/${traces} traces, ${agreed} agree\n`);
        }
      }
    },
  });
  bar?.stop();
  const input = { platform, design: design.name, seed, out: o.out, minAgreement, summary, includePending: o.includePending === true };
  process.stdout.write(o.json ? stringify(reportJson(input)) : reportText(input));
  return agreementPct(summary) >= minAgreement ? 0 : 1;
}

/** The cosim command. */
export const cosim: CliCommand = {
  register(program: Command, done) {
    program
      .command('cosim')
      .description('co-simulate: run random user-level traces on this CPU and kernel and on the model, and compare')
      .option('--traces <n>', `random traces to run (default: ${COSIM_DEFAULTS.traces})`)
      .option('--seed <n>', `generator seed (default: ${COSIM_DEFAULTS.seed})`)
      .option('--design <name>', `design the model runs (default: ${COSIM_DEFAULTS.design}; mutant:NAME for a mutant of its exit checks)`)
      .option('--out <dir>', 'directory for disagreement files', 'cosim')
      .option('--timeout <seconds>', `time limit per trace on the machine (default: ${COSIM_DEFAULTS.timeoutS})`)
      .option('--min-agreement <percent>', `exit 1 below this agreement (default: ${COSIM_DEFAULTS.minAgreement})`)
      .option('--include-pending', 'also generate and compare what the model is known not to handle yet')
      .option('--replay <file...>', 're-run saved disagreement (or trace) files instead')
      .option('--json', 'machine-readable output (schemas/cosim-output.schema.json)')
      .addHelpText('after', exitHelp('agreement below --min-agreement, or a re-run file still disagrees (0 when co-simulation cannot run here: it says why)'))
      .action(async (opts: CosimOptions) => { done(await cosimCommand(opts)); });
  },
};
