/**
 * The machine's safety (native/guard.c): a co-simulated trace can signal only its own process,
 * whatever register source the target comes from (an argument, a register loaded earlier, a
 * tracer's write at the syscall-entry stop) and whatever the entry (SYSCALL, int $0x80). Each
 * attack is aimed at a victim process of the test's own, which must survive. Runs where the
 * harness can run (x86-64 Linux, a C compiler, ptrace); the vendor it ran on is in the title.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { detectPlatform } from '../../src/cosim/detect.ts';
import { runOnHarness } from '../../src/cosim/harness.ts';
import { traceLine, UnsupportedEvent } from '../../src/cosim/line.ts';
import type { SideRun } from '../../src/cosim/types.ts';

const platform = detectPlatform();
// The guard is the harness's, not the model's: it is tested wherever the harness runs, on a host
// co-simulation refuses for its fidelity (detect.ts) too.
const harness = platform.harness;
const int80 = platform.int80 === true;
const vendor = platform.ok ? platform.vendor : harness !== undefined ? `harness only: ${platform.reason.split(' (')[0]}` : 'no harness';
const hex = (n: number | bigint): string => BigInt(n).toString(16);

let victim: ChildProcess;
const alive = (): boolean => {
  try {
    process.kill(victim.pid as number, 0);
    return true;
  } catch {
    return false;
  }
};

async function runLines(lines: string[]): Promise<SideRun[]> {
  if (harness === undefined) throw new Error('unreachable');
  const out: SideRun[] = [];
  await runOnHarness(harness, lines.map((l, id) => ({ id, line: `${id} ${l}\n` })), { timeoutS: 5 }, (_id, r) => out.push(r));
  return out;
}

describe(`the seccomp guard of the co-simulation child (${vendor})`, () => {
  beforeAll(() => { victim = spawn('sleep', ['120'], { stdio: 'ignore' }); });
  afterAll(() => { victim.kill('SIGKILL'); });

  it.skipIf(harness === undefined)('refuses kill() of another process from every register source and entry, and the victim lives', async () => {
    const pid = hex(victim.pid as number);
    // The int $0x80 attacks only where the host has the gate (without IA32 emulation it is #GP).
    const ifInt80 = (l: string): string[] => (int80 ? [l] : []);
    const runs = await runLines([
      // SYSCALL with no arguments: the target comes from a register loaded before (RDI, RSI).
      `R 5 ${pid};R 4 f;S 3e 0 0`,
      // int $0x80 (kill is 37 in the 32-bit ABI) with the target in EBX.
      ...ifInt80(`R 1 ${pid};R 3 f;I 25 0 0`),
      // A tracer rewrites RDI (mask bit 5) at the syscall-entry stop of kill(self, SIGTERM).
      `a 1;S 3e 2 1 f 0;r 20 ${pid};c;c`,
      // The same with EBX (mask bit 1) under int $0x80.
      ...ifInt80(`a 1;I 25 2 1 f 0;r 2 ${pid};c;c`),
      // kill(-1, 0): every process the user may signal (signal 0 only probes).
      'R 5 ffffffffffffffff;R 4 0;S 3e 0 0',
      ...ifInt80('R 1 ffffffff;R 3 0;I 25 0 0'),
      // The target in the upper half of RDI is cut to 32 bits by kill(pid_t): still refused.
      `R 5 1${pid.padStart(8, '0')};R 4 f;S 3e 0 0`,
    ]);
    for (const r of runs) {
      expect(r.status).toBe('refused');
      expect(r.detail).toMatch(/^event \d+: kill\(-?\d+, \d+\) refused/);
    }
    expect(alive()).toBe(true);
  });

  it.skipIf(harness === undefined)('refuses a system call outside the subset and lets the subset run', async () => {
    const [fork, ok] = await runLines(['S 39 0 0;N', 'S 3e 2 1 a 0;S 27 0 0;N']);
    expect(fork?.status).toBe('refused');
    expect(fork?.detail).toBe('event 0: system call 57 (64-bit ABI) refused: outside the co-simulation subset');
    expect(ok?.status).toBe('ok');
  });

  it('rejects a trace whose kill() argument names another process before anything runs', () => {
    expect(() => traceLine(0, [{ type: 'user.nop' }, { type: 'user.syscall', nr: 'kill', args: [4242n, 15n] }]))
      .toThrow(new UnsupportedEvent('events[1]: kill() of pid 4242: a co-simulated trace may signal only its own process (pid 0 or 1)', 1));
  });

  it.skipIf(!platform.ok)('cosim --replay of such a file is an input error naming the file and the event, exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ec-guard-'));
    const file = join(dir, 'attack.json');
    writeFileSync(file, JSON.stringify({
      format: 'entrycheck/trace@1', design: 'linux-6.7', vendor: 'intel', paging: 4,
      events: [{ type: 'user.setReg', reg: 'rdi', value: `0x${hex(victim.pid as number)}` }, { type: 'user.setReg', reg: 'rsi', value: '0xf' },
        { type: 'user.syscall', nr: 'kill' }],
    }));
    const err: string[] = [];
    const out: string[] = [];
    const we = process.stderr.write.bind(process.stderr);
    const wo = process.stdout.write.bind(process.stdout);
    process.stderr.write = ((s: string) => { err.push(s); return true; }) as typeof process.stderr.write;
    process.stdout.write = ((s: string) => { out.push(s); return true; }) as typeof process.stdout.write;
    let status;
    try {
      status = await main(['node', 'entrycheck', 'cosim', '--replay', file]);
    } finally {
      process.stderr.write = we;
      process.stdout.write = wo;
    }
    expect(status).toBe(2);
    expect(out.join('')).toBe('');
    expect(err.join('')).toMatch(new RegExp(`^entrycheck: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: \\(top level\\): event 2: kill\\(\\d+, 15\\) refused: a trace may signal only its own process\\n$`));
    expect(alive()).toBe(true);
  });
});
