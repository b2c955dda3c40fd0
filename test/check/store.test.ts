import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { counterexamplePath, parseCounterexample, saveCounterexample, type Counterexample } from '../../src/check/counterexample.ts';
import { InputError } from '../../src/check/errors.ts';
import { designByName } from '../../src/check/session.ts';

const ce: Counterexample = {
  invariant: 'cr2-coherence', design: designByName('linux-4.16'), vendor: 'intel', paging: 4, seed: 1, path: '0:1',
  events: [{ type: 'hw.nmi', after: 3 }, { type: 'user.access', addr: 0x700000n, write: false }],
  failure: { step: 1, message: 'expected X, got Y' },
};

describe('counterexample store', () => {
  it('the same trace gives the same file name and bytes, and a .txt beside it', () => {
    const a = mkdtempSync(join(tmpdir(), 'ec-'));
    const b = mkdtempSync(join(tmpdir(), 'ec-'));
    const fa = saveCounterexample(a, ce, () => 'text\n');
    const fb = saveCounterexample(b, { ...ce, seed: 99, path: null }, () => 'text\n');
    expect(fa.slice(a.length)).toBe(fb.slice(b.length));
    expect(fa).toBe(counterexamplePath(a, ce));
    expect(readdirSync(join(a, 'cr2-coherence')).sort()).toEqual([fa.split('/').pop(), fa.split('/').pop()?.replace('.json', '.txt')].sort());
    expect(readdirSync(join(a, 'cr2-coherence')).some((f) => f.includes('.tmp-'))).toBe(false);
    const parsed = parseCounterexample(readFileSync(fa, 'utf8'), fa);
    expect(parsed.events[1]).toEqual({ type: 'user.access', addr: '0x700000', write: false });
    expect(parsed.design.knobs.fmask).toBe(designByName('linux-4.16').knobs.fmask);
  });

  it('a malformed file gives one line naming the file and the field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ec-'));
    const file = saveCounterexample(dir, ce, () => '');
    const bad = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    bad.vendor = 'via';
    writeFileSync(file, JSON.stringify(bad));
    expect(() => parseCounterexample(readFileSync(file, 'utf8'), file)).toThrow(InputError);
    try { parseCounterexample(readFileSync(file, 'utf8'), file); } catch (e) {
      expect((e as Error).message).toMatch(new RegExp(`^${file}: vendor: `));
      expect((e as Error).message).not.toContain('\n');
    }
    expect(() => parseCounterexample('{', 'x.json')).toThrow(/^x\.json: not JSON/);
  });
});
