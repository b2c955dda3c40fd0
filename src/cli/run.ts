/**
 * `entrycheck run`: the property suite over cells, a progress bar on a terminal (plain lines
 * otherwise, on stderr), the matrix at the end (stdout). Exit 0 exactly when every cell matches
 * its expected verdict, 1 otherwise, 2 on bad input.
 */
import { existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import cliProgress from 'cli-progress';
import { discoverInvariants } from '../check/discover.ts';
import { InputError, inputErrors } from '../check/errors.ts';
import { Expected } from '../check/expected.ts';
import { stringify } from '../check/json.ts';
import { designByName } from '../check/session.ts';
import { runSuite } from '../check/suite.ts';
import { coverageText } from '../check/coverage.ts';
import { allDesigns } from '../check/designs.ts';
import { counterexampleText } from '../report/counterexample-text.ts';
import { matrixText } from '../report/matrix.ts';
import { parseSeed } from './seed.ts';

/** Options of the run command (as commander parses them). */
export interface RunOptions {
  readonly design?: string[];
  readonly all?: boolean;
  readonly property?: string[];
  readonly vendor: string;
  readonly paging: string;
  readonly runs?: string;
  readonly seed?: string;
  readonly shard?: string;
  readonly out: string;
  readonly json?: boolean;
  readonly stallTimeout?: string;
}

/** Default random traces per cell and the fixed default seed. */
export const DEFAULT_RUNS = 60;
export const DEFAULT_SEED = 20261121;

function int(flag: string, v: string | undefined, def: number, min: number, max: number): number {
  if (v === undefined) return def;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new InputError(inputErrors.badFlag(flag, v, `an integer from ${min} to ${max}`));
  return Number(v);
}

/** --out must be a folder, or not exist yet (it is created): checked before anything runs. */
function outDir(dir: string): string {
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new InputError(inputErrors.badFlag('out', dir, 'a folder (or a path that does not exist yet)'));
  return dir;
}

function shardOf(v: string | undefined): { index: number; count: number } {
  if (v === undefined) return { index: 0, count: 1 };
  const m = /^(\d+)\/(\d+)$/.exec(v);
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index < 1 || index > count) throw new InputError(inputErrors.badFlag('shard', v, 'I/N with 1 <= I <= N'));
  return { index: index - 1, count };
}

/** Runs the suite. */
export async function runCommand(o: RunOptions): Promise<number> {
  const designs = o.design ? o.design.map(designByName) : [...allDesigns()];
  const runs = int('runs', o.runs, DEFAULT_RUNS, 1, 10_000_000);
  const stallS = int('stall-timeout', o.stallTimeout, 60, 1, 86_400);
  const out = outDir(o.out);
  const seed = parseSeed(o.seed, DEFAULT_SEED);
  const shard = shardOf(o.shard);
  const expected = Expected.load();
  const all = await discoverInvariants();
  const invariants = o.property
    ? o.property.map((id) => {
      const d = all.find((x) => x.invariant.id === id);
      if (d === undefined) throw new InputError(inputErrors.unknownInvariant(id, all.map((x) => x.invariant.id)));
      return d;
    })
    : all;
  const vendors = o.vendor === 'both' ? (['intel', 'amd'] as const) : [o.vendor as 'intel' | 'amd'];
  const pagings = o.paging === 'both' ? ([4, 5] as const) : [Number(o.paging) as 4 | 5];
  const tty = process.stderr.isTTY === true && !o.json;
  const bar = tty ? new cliProgress.SingleBar({ format: 'checking [{bar}] {value}/{total} units | {cell}', hideCursor: true }, cliProgress.Presets.shades_classic) : null;
  let lastLine = -1;
  const { cells, ok, coverage, stats } = await runSuite({
    invariants, designs, vendors, pagings, runs, seed, shard, outDir: out, stallMs: stallS * 1000,
    onWarning: (line) => { process.stderr.write(`entrycheck: warning: ${line}\n`); },
    workers: Math.max(1, Math.min(availableParallelism(), 8)), expected, renderTxt: counterexampleText,
    onProgress: (done, total, r) => {
      if (bar) {
        if (done === 1) bar.start(total, 0, { cell: '' });
        bar.update(done, { cell: `unit ${r.index}` });
      } else if (!o.json) {
        const tenth = Math.floor((done * 10) / total);
        if (tenth !== lastLine) { lastLine = tenth; process.stderr.write(`[run] ${done}/${total} units\n`); }
      }
    },
  });
  bar?.stop();
  if (o.json) {
    process.stdout.write(stringify({
      ok,
      cells: cells.map((c) => ({
        invariant: c.cell.invariant, design: c.cell.design, vendor: c.cell.vendor, paging: c.cell.paging,
        verdict: c.verdict, expected: c.expected.verdict, runs: c.runs,
        counterexample: c.counterexample ? { file: c.counterexample.file, length: c.counterexample.length } : null,
        ...(c.error ? { error: c.error } : {}),
      })),
      coverage,
      stats,
    }));
  } else {
    process.stdout.write(`${matrixText(cells, process.stdout.isTTY === true)}\n${coverageText(coverage)}\n`);
  }
  return ok ? 0 : 1;
}
