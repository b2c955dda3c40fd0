/**
 * Defect 3: a counterexample found on a design with a custom eligibility predicate must replay
 * on that design, predicate included (designOf used to rebuild the design from its knobs alone,
 * so the replay ran the knob-built checks: another kernel).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { designOf, parseCounterexample, toFileObject } from '../../src/check/counterexample.ts';
import { loadDesigns } from '../../src/check/designs.ts';
import { stringify } from '../../src/check/json.ts';
import { kernelOf } from '../../src/check/session.ts';
import { initialState } from '../../src/kernel/index.ts';
import { replay, type Event } from '../../src/model/index.ts';

const SRC = fileURLToPath(new URL('../../src/index.ts', import.meta.url));

describe('designOf keeps a design\'s predicate overrides (defect 3)', () => {
  it('replays a counterexample of a design with a custom sysretEligible on that predicate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'designs-'));
    writeFileSync(join(dir, 'never-sysret.ts'), [
      `import { findDesign, variant } from ${JSON.stringify(SRC)};`,
      `const base = variant(findDesign('linux-6.7')!, 'never-sysret-test', {}, 'test: a patch whose predicate never allows SYSRET');`,
      'export default { ...base, overrides: { sysretEligible: () => false } };',
    ].join('\n'));
    const designs = await loadDesigns(dir);
    const d = designs.find((x) => x.name === 'never-sysret-test');
    expect(d?.overrides?.sysretEligible).toBeTypeOf('function');
    const events: Event[] = [{ type: 'user.syscall', nr: 'getpid' }, { type: 'user.nop' }];
    const file = parseCounterexample(stringify(toFileObject({
      invariant: 'pt-regs-coherence', design: d!, vendor: 'intel', paging: 4, seed: 1, path: null, events,
      failure: { step: 0, message: 'x' },
    })), 'ce.json');
    const replayed = designOf(file);
    expect(replayed.overrides?.sysretEligible, '[FAIL] expected the predicate override to survive designOf').toBeTypeOf('function');
    const K = kernelOf(replayed);
    const r = replay(initialState(K, 'intel', 4), events, K);
    const via = r.observations.flatMap((t) => (t.o.kind === 'return-to-user' ? [t.o.via] : []));
    expect(via).toEqual(['iret']);
  });
});
