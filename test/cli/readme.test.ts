/**
 * The README's examples are correct as written: the walkthrough's invariant (the first ```ts
 * block of "Adding an invariant") loads as a property file, holds on random traces of the
 * current design (the SYSCALL entry's swapgs-before-stack-switch window included) and catches
 * the user-stack #GP of a saved counterexample; the design example (the ```ts block of "Adding a
 * design") loads as a design file and type-checks as one.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { traceArbitrary } from '../../src/check/arbitrary.ts';
import { designOf, parseCounterexample } from '../../src/check/counterexample.ts';
import { allDesigns, loadDesigns } from '../../src/check/designs.ts';
import { discoverInvariants } from '../../src/check/discover.ts';
import { judge } from '../../src/check/evaluate.ts';
import { toTraceEvents } from '../../src/check/operands.ts';
import { kernelOf } from '../../src/check/session.ts';
import { findDesign, type Design } from '../../src/kernel/index.ts';

const root = new URL('../../', import.meta.url).pathname;
const readme = readFileSync(join(root, 'README.md'), 'utf8');
// Two levels below the root, as properties/<area>/ is, so that the example's import resolves.
const scratch = join(root, `.readme-test-${process.pid}`);
// One level below it, as designs/ is.
const designs = join(root, `.readme-designs-${process.pid}`);
afterAll(() => { rmSync(scratch, { recursive: true, force: true }); rmSync(designs, { recursive: true, force: true }); });

/** The first ```ts block after `heading`, without the indentation of a list item. */
function block(heading: string): string {
  const from = readme.indexOf(heading);
  expect(from, heading).toBeGreaterThan(0);
  const m = /```ts\n([\s\S]*?)\n\s*```/.exec(readme.slice(from));
  const code = m?.[1] ?? '';
  const indent = /^( *)/.exec(code)?.[1]?.length ?? 0;
  return `${code.split('\n').map((l) => l.slice(indent)).join('\n')}\n`;
}

describe('the README examples', () => {
  it('the walkthrough invariant loads, holds on the current design and catches a user-stack fault', async () => {
    const dir = join(scratch, 'example');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'kernel-stack-in-use.ts'), block('## Adding an invariant'));
    const [found] = await discoverInvariants(scratch);
    expect(found?.invariant.id).toBe('kernel-stack-in-use');
    const inv = found!.invariant;
    for (const vendor of ['intel', 'amd'] as const) {
      const cell = { kernel: kernelOf(findDesign('linux-6.7') as Design), vendor, paging: 4 as const };
      for (const raw of fc.sample(traceArbitrary(12), { seed: 11, numRuns: 60 })) {
        const j = judge([inv], cell, toTraceEvents(raw, 'readme'));
        expect(j.errors.get(inv.id)).toBeUndefined();
        expect(j.violations.get(inv.id), JSON.stringify(raw)).toBeUndefined();
      }
    }
    const file = join(root, 'counterexamples/kernel-health/ts-fastsyscall-ptrace-forgets-intel-4-191774b14a.json');
    const ce = parseCounterexample(readFileSync(file, 'utf8'), file);
    const j = judge([inv], { kernel: kernelOf(designOf(ce)), vendor: ce.vendor, paging: ce.paging }, toTraceEvents(ce.events, file));
    expect(j.violations.get(inv.id)?.message).toMatch(/^expected a kernel stack for asm_exc_general_protection\+9 .*, got RSP 0x7fffffffdfd0$/);
  });

  it('the design example loads as a design file', async () => {
    mkdirSync(designs, { recursive: true });
    writeFileSync(join(designs, 'my-patch.ts'), block('### Adding a design'));
    await loadDesigns(designs);
    const d = allDesigns().find((x) => x.name === 'my-patch');
    expect(d?.knobs.sysretChecks.rip).toBe('canonical');
    await loadDesigns(join(scratch, 'none'));
  });
});
