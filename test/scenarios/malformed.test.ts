/**
 * A malformed trace file makes `entrycheck replay` print exactly one line on stderr that names
 * the file, the event index and the field, print nothing on stdout, and exit with status 2
 * (DESIGN.md sections 6 and 7: "a one-line error naming the file and the field, exit status 2,
 * never a stack trace").
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const dir = mkdtempSync(join(tmpdir(), 'entrycheck-malformed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A trace file whose events are `events`, written to the temp directory. */
function traceFile(name: string, events: unknown[]): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ format: 'entrycheck/trace@1', design: 'linux-6.7', vendor: 'intel', paging: 4, events }));
  return file;
}

function replay(file: string) {
  return spawnSync(process.execPath, [join(root, 'bin/entrycheck.js'), 'replay', file], { cwd: root, encoding: 'utf8' });
}

const nop = { type: 'user.nop' };
const cases: Array<{ name: string; events: unknown[]; field: string; why: RegExp }> = [
  { name: 'unknown-type', events: [nop, { type: 'user.teleport' }], field: 'events[1].type', why: /discriminator|user\.nop/ },
  { name: 'bad-hex', events: [nop, nop, { type: 'user.setReg', reg: 'rax', value: '0xZZ' }], field: 'events[2].value', why: /hex string/ },
  { name: 'bad-hex-in-frame', events: [{ type: 'user.syscall', nr: 'rt_sigreturn', frame: { rip: '0x1g' } }], field: 'events[0].frame.rip', why: /hex string/ },
  { name: 'missing-field', events: [nop, { type: 'user.syscall' }], field: 'events[1].nr', why: /getpid/ },
  { name: 'unknown-symbol', events: [{ type: 'user.jump', target: '$nowhere' }], field: 'events[0].target', why: /\$nowhere/ },
];

describe('entrycheck replay on a malformed trace', () => {
  for (const c of cases) {
    it(`${c.name}: one stderr line naming the file, ${c.field} and the problem; exit 2`, () => {
      const file = traceFile(c.name, c.events);
      const r = replay(file);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.split('\n');
      expect(lines).toHaveLength(2); // one line and its newline
      expect(lines[1]).toBe('');
      const [line] = lines;
      expect(line).toContain(file);
      expect(line).toContain(`${c.field}:`);
      expect(line).toMatch(c.why);
      expect(line).not.toMatch(/\bat .*\.ts:\d+/); // no stack trace
    });
  }
});
