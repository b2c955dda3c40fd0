/**
 * The commands as a user meets them: replay on a plain trace and on a counterexample (text and
 * JSON: values, violations always there, micro-steps with --verbose, reachability claims apart),
 * --property, --seed/--path giving back the trace a search generated; run's legend when narrowed,
 * its sanity section, --reporter junit, --update-expected; merge of shards; view writing its page;
 * --version and help texts with defaults and exit statuses.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../scripts/fuzz/cli.ts';
import { parseCounterexample } from '../../src/check/counterexample.ts';
import { discoverInvariants } from '../../src/check/discover.ts';

// The suite's invariants as shipped: the summaries below count them (real ones and sanity claims).
const shipped = (await discoverInvariants()).map((d) => d.invariant);
const REAL = shipped.filter((i) => !i.sanity).length;

const root = new URL('../../', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'ec-cmd-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const cli = (...args: string[]) => spawnSync(process.execPath, [join(root, 'bin/entrycheck.js'), ...args], { cwd: root, encoding: 'utf8' });
const CE = 'counterexamples/sysret-iret-equivalence/linux-3.19-intel-4-d02b71388c.json';
const TRACE = 'test/scenarios/getpid-sysret.json';

describe('replay', () => {
  it('judges every invariant on a plain trace: a summary, violations: [] in JSON, exit 0', async () => {
    const t = await runCli(['replay', TRACE]);
    expect(t.status).toBe(0);
    expect(t.stdout).toMatch(new RegExp(`\\nSummary: 0 invariants violated, ${REAL} hold\\.\\n$`));
    const j = JSON.parse((await runCli(['replay', TRACE, '--json'])).stdout) as Record<string, unknown>;
    expect(j.violations).toEqual([]);
    expect(j.status).toBe(0);
    expect((j.holds as string[]).length).toBe(shipped.length);
  });

  it('exits 1 for a plain trace that violates a real invariant, 0 when only --property-narrowed claims are left', async () => {
    const plain = join(tmp, 'plain.json');
    const c = JSON.parse(readFileSync(join(root, CE), 'utf8')) as { events: unknown[] };
    writeFileSync(plain, JSON.stringify({ format: 'entrycheck/trace@1', design: 'linux-3.19', vendor: 'intel', paging: 4, events: c.events }));
    const r = await runCli(['replay', plain]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`Summary: 3 invariants violated, 1 reachability claim reached, ${REAL - 3} hold\\.\\n$`));
    const narrowed = await runCli(['replay', plain, '--property', 'cr2-coherence', 'sanity-switch-mid-syscall']);
    expect(narrowed.status).toBe(0);
    expect(narrowed.stdout).toMatch(/Summary: 0 invariants violated, 1 reachability claim reached, 1 hold\.\n$/);
  });

  it('a counterexample: the recorded violation marked, the differential briefed, sanity apart, exit 1', async () => {
    const r = await runCli(['replay', CE]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('!! sysret-iret-equivalence (recorded) at sysret_exit+0 (POP_REGS (not rcx, r11)): expected task 3 resumes with rcx=0x0 r11=0x0 (as after IRET), got task 3 resumes with rcx=0x400102 r11=0x202 after SYSRET (19 other fields equal)');
    expect(r.stdout).not.toMatch(/!! sanity-/);
    expect(r.stdout).toMatch(/Reachability claims reached.*\n  sanity-switch-mid-syscall at step 4\n/);
    expect(r.stdout).toMatch(/the recorded violation of sysret-iret-equivalence reproduces\.\n$/);
  });

  it('--verbose marks the micro-step; --json --verbose carries values and the micro-steps', async () => {
    const v = await runCli(['replay', CE, '--verbose']);
    expect(v.stdout).toMatch(/\n {7}\. sysret_exit\+0 \(POP_REGS \(not rcx, r11\)\).*<- !! sysret-iret-equivalence\n/);
    const j = JSON.parse((await runCli(['replay', CE, '--json', '--verbose'])).stdout) as {
      steps: Array<{ event: unknown; changes: Record<string, { before: unknown; after: unknown }>; micro: Array<{ index: number; at: string }> }>;
      violations: Array<{ invariant: string; micro: number | null; recorded: boolean; sanity: boolean; brief: string }>;
    };
    expect(j.steps[0]?.event).toEqual({ type: 'user.int80', nr: 'fork' });
    expect(j.steps[0]?.changes.rflags).toEqual({ before: '0x202', after: '0x2' });
    expect(j.steps[0]?.changes.cpl).toEqual({ before: 3, after: 0 });
    expect(j.steps[0]?.changes.cs?.after).toEqual({ sel: 16, usable: true, type: 'code', l: true, db: false, dpl: 0 });
    const v2 = j.violations.find((x) => x.recorded);
    const micro = j.steps.flatMap((s) => s.micro).find((m) => m.index === v2?.micro);
    expect(micro?.at).toBe('sysret_exit+0 (POP_REGS (not rcx, r11))');
    expect(j.violations.filter((x) => x.sanity).map((x) => x.invariant)).toEqual(['sanity-switch-mid-syscall']);
    const plain = JSON.parse((await runCli(['replay', CE, '--json'])).stdout) as { steps: Array<{ micro?: unknown }> };
    expect(plain.steps[0]?.micro).toBeUndefined();
  });

  it('--seed S --path P replays the trace the search generated for a saved counterexample', () => {
    const out = join(tmp, 'ce');
    // --explore-depth 0 and --no-corpus: a counterexample of the random search (one found by
    // exploration or taken from the corpus of another design names no fast-check path).
    const run = cli('run', '--design', 'linux-6.7', '--property', 'sanity-switch-mid-syscall', '--vendor', 'amd', '--paging', '5', '--runs', '300', '--explore-depth', '0', '--no-corpus', '--out', out, '--json');
    const file = (JSON.parse(run.stdout) as { cells: Array<{ counterexample: { file: string } | null }> }).cells[0]?.counterexample?.file ?? '';
    const ce = parseCounterexample(readFileSync(file, 'utf8'), file);
    const r = cli('replay', '--seed', String(ce.seed), '--path', String(ce.path), '--design', 'linux-6.7', '--vendor', 'amd', '--paging', '5', '--property', 'sanity-switch-mid-syscall', '--json');
    const j = JSON.parse(r.stdout) as { file: string; steps: unknown[]; violations: Array<{ invariant: string }> };
    expect(j.file).toBe(`seed ${ce.seed} path ${ce.path}`);
    expect(j.violations.map((v) => v.invariant)).toEqual(['sanity-switch-mid-syscall']);
    // The unshrunk trace: at least as long as the saved minimal one.
    expect(j.steps.length - 1).toBeGreaterThanOrEqual(ce.events.length);
  });
});

describe('run', () => {
  it('narrowed: the legend names only the columns shown; sanity claims in their own section; junit', () => {
    const out = join(tmp, 'narrow');
    const r = cli('run', '--design', 'linux-6.7', '--property', 'compat-status', 'sanity-switch-mid-syscall', '--vendor', 'amd', '--paging', '5', '--runs', '20', '--explore-depth', '1', '--out', out);
    expect(r.stdout).toMatch(/^Columns: designs; each cell is amd-5\./);
    expect(r.stdout).toMatch(/\ncompat-status +\.\n\nReachability claims \(must be violated: V means the search got there\):\n +A\nsanity-switch-mid-syscall +V\n/);
    const j = cli('run', '--design', 'linux-6.7', '--property', 'compat-status', '--vendor', 'amd', '--paging', '5', '--runs', '5', '--explore-depth', '0', '--out', out, '--reporter', 'junit');
    expect(j.status).toBe(0);
    expect(j.stdout).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n<testsuites name="entrycheck" tests="1" failures="0" errors="0">\n  <testsuite name="compat-status" tests="1"/);
    expect(j.stdout).toContain('<testcase classname="entrycheck.compat-status" name="linux-6.7 amd-5"/>');
  });

  it('--update-expected makes the expected-verdicts file say what the run found, then the run matches', () => {
    const expected = join(tmp, 'expected.json');
    copyFileSync(join(root, 'expected-verdicts.json'), expected);
    const out = join(tmp, 'upd');
    // No exploration: what is tested is how the file is rewritten, not what the search finds.
    const args = ['run', '--design', 'linux-6.7', '--property', 'compat-status', '--paging', '4', '--runs', '5', '--explore-depth', '0', '--out', out, '--expected', expected];
    const wrong = { invariant: 'compat-status', design: 'linux-6.7', vendor: '*', paging: '*', expect: 'violated', why: 'a wrong guess' };
    writeFileSync(expected, JSON.stringify({ $schema: 'schemas/expected-verdicts.schema.json', format: 'entrycheck/expected@1', cells: [wrong] }));
    // Only the 4-level cells run: the wrong entry is overridden for them, not removed.
    expect(cli(...args).status).toBe(1);
    const u = cli(...args, '--update-expected', '--why', 'holds since the fix');
    expect(u.status).toBe(0);
    expect(u.stdout).toContain(`${expected}: 0 entries removed, 2 added`);
    const cells = (vendors: string[]) => vendors.map((vendor) => ({ invariant: 'compat-status', design: 'linux-6.7', vendor, paging: 4, expect: 'holds', why: 'holds since the fix' }));
    expect(JSON.parse(readFileSync(expected, 'utf8'))).toEqual({ $schema: 'schemas/expected-verdicts.schema.json', format: 'entrycheck/expected@1', cells: [wrong, ...cells(['intel', 'amd'])] });
    expect(cli(...args).status).toBe(0);
    // Once every cell of the entry has run and disagrees, the entry goes.
    const all = cli('run', '--design', 'linux-6.7', '--property', 'compat-status', '--runs', '5', '--explore-depth', '0', '--out', out, '--expected', expected, '--update-expected');
    expect(all.stdout).toContain(`${expected}: 1 entry removed, 0 added`);
    expect(all.status).toBe(0);
  });

  it('merge: the shards of a run make the unsharded matrix; a missing shard makes it incomplete', () => {
    // Exploration to depth 1: what is tested is the merge, and the cells still differ (the corpus finds 3.19's CR2 flaw).
    const base = ['run', '--design', 'linux-3.19', 'linux-6.7', '--property', 'compat-status', 'cr2-coherence', '--runs', '10', '--explore-depth', '1', '--json'];
    // Each with an --out of its own: a counterexample one saved would be replayed (runs: 0) by the next.
    const whole = JSON.parse(cli(...base, '--out', join(tmp, 'whole')).stdout) as { ok: boolean; cells: Array<{ counterexample: { file: string } | null }> };
    const files = [1, 2, 3].map((i) => {
      const f = join(tmp, `shard-${i}.json`);
      // The shards share theirs: each takes whole groups, so none replays another's files.
      writeFileSync(f, cli(...base, '--shard', `${i}/3`, '--out', join(tmp, 'sharded')).stdout);
      return f;
    });
    const m = cli('merge', ...files, '--json');
    // Counterexample file names are content hashes: only the folder differs.
    const merged = JSON.parse(m.stdout.replaceAll(join(tmp, 'sharded'), join(tmp, 'whole'))) as { ok: boolean; params: { shard: string }; cells: Array<{ counterexample: unknown }> };
    expect(merged.params.shard).toBe('all/3');
    // The stats add up over the shards, the exhaustive phase's included.
    const shardStats = files.map((f) => (JSON.parse(readFileSync(f, 'utf8')) as { stats: { exploredTraces: number } }).stats.exploredTraces);
    const mergedStats = (merged as unknown as { stats: { exploredTraces: number } }).stats;
    expect(mergedStats.exploredTraces).toBe(shardStats.reduce((x, y) => x + y, 0));
    expect(mergedStats.exploredTraces).toBeGreaterThan(0);
    const sortCells = (cells: unknown[]) => cells.map((c) => JSON.stringify(c)).sort();
    expect(sortCells(merged.cells)).toEqual(sortCells(whole.cells));
    expect(m.status).toBe(merged.ok ? 0 : 1);
    const partial = cli('merge', files[0] ?? '', files[2] ?? '');
    expect(partial.status).toBe(1);
    expect(partial.stdout).toMatch(/\nIncomplete: shard 2\/3 missing\.\n$/);
    const bad = cli('merge', join(root, TRACE));
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^entrycheck: .*getpid-sysret\.json: expected the output of entrycheck run --json: /);
  });
});

describe('view', () => {
  it('writes one self-contained page, nothing else, and names it on stderr', async () => {
    const page = join(tmp, 'v.html');
    const r = await runCli(['view', CE, '-o', page]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe(`entrycheck: wrote ${page} (open it in a browser)\n`);
    const html = readFileSync(page, 'utf8');
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).not.toMatch(/<(link|img|iframe)\b|\bsrc=|https?:\/\//);
    expect(html.match(/<\/script>/g)?.length).toBe(2);
    expect(html).toContain('!! sysret-iret-equivalence');
    expect(readdirSync(tmp).filter((f) => f.endsWith('.tmp') || f.includes('.tmp-'))).toEqual([]);
    const bad = await runCli(['view', 'no-such.json', '-o', join(tmp, 'x.html')]);
    expect(bad.status).toBe(2);
    expect(existsSync(join(tmp, 'x.html'))).toBe(false);
  });
});

describe('help and version', () => {
  it('--version prints the version; help shows defaults and exit statuses', async () => {
    expect((await runCli(['--version'])).stdout).toBe('0.1.0\n');
    const help = (await runCli(['--help'])).stdout;
    for (const c of ['run', 'replay', 'view', 'merge', 'list', 'cosim']) expect(help).toMatch(new RegExp(`\\n  ${c} `));
    expect(help).toMatch(/Exit status \(every command\):\n {2}0 {2}success\n {2}1 {2}a finding/);
    const run = (await runCli(['help', 'run'])).stdout;
    const flat = run.replace(/\s+/g, ' ');
    expect(flat).toContain('(default: 60)');
    expect(flat).toContain('(default: 20261121)');
    expect(flat).toContain('(default: "counterexamples")');
    expect(run).toMatch(/Exit status:\n {2}0 {2}success\n {2}1 {2}a cell does not match/);
    const unknown = await runCli(['replai']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toBe('entrycheck: unknown command \'replai\' (did you mean replay?)\n');
  });
});
