/**
 * Bad command lines (scripts/fuzz/bad-args.ts: a valid line of each command with one defect)
 * given to the CLI in-process: exit 2, exactly one line on stderr, nothing on stdout, nothing
 * written to --out or the working folder.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { badArgs } from '../../scripts/fuzz/bad-args.ts';
import { badInputProblem, runCli } from '../../scripts/fuzz/cli.ts';

const out = mkdtempSync(join(tmpdir(), 'ec-args-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));
const trace = new URL('../scenarios/getpid-sysret.json', import.meta.url).pathname;

describe('bad command lines', () => {
  it('50 lists: exit 2, one line on stderr, nothing on stdout, nothing written', async () => {
    const cwd = readdirSync(process.cwd()).sort();
    await fc.assert(fc.asyncProperty(badArgs(out, trace), async ({ args }) => {
      const r = await runCli(args);
      expect(badInputProblem(r), `${JSON.stringify(args).slice(0, 200)}: ${r.stderr.slice(0, 300)}`).toBeNull();
      expect(readdirSync(out)).toEqual([]);
    }), { numRuns: 50, seed: 7 });
    expect(readdirSync(process.cwd()).sort()).toEqual(cwd);
  });

  it('--seed: the 32-bit range is accepted, one past it is not, for run and cosim', async () => {
    // A valid seed reaches the next check (an unknown invariant or design), which fails instead.
    const next = { run: ['--property', 'no-such-invariant'], cosim: ['--design', 'no-such-design'] } as const;
    const seed = async (cmd: 'run' | 'cosim', v: string) => (await runCli([cmd, '--seed', v, ...next[cmd]])).stderr;
    for (const cmd of ['run', 'cosim'] as const) {
      for (const v of ['-2147483648', '0', '2147483647']) expect(await seed(cmd, v)).toMatch(/unknown (invariant|design)/);
      for (const v of ['2147483648', '-2147483649', '18446744073709551616']) expect(await seed(cmd, v)).toMatch(/--seed: expected an integer from -2147483648 to 2147483647/);
    }
  });
});
