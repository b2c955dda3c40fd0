/**
 * The viewer page in a real browser (headless Chromium, test/report/browser.ts): it loads from a
 * file with no console error and no request to anywhere, opens on the recorded violation (its
 * micro-step row selected and marked, the inspector filled), shows the differential's two
 * branches side by side, and expanding, collapsing, clicking and the arrow keys work. Skipped,
 * saying so in its name, where no Chromium is installed (.ci/run installs Debian's).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../scripts/fuzz/cli.ts';
import { chromiumPath, launch } from './browser.ts';

const exe = chromiumPath();
// Said out loud, not only counted: a skipped browser test must not pass for a tested viewer.
if (exe === null) console.warn('entrycheck: the viewer\'s browser test is SKIPPED: no Chromium found (apt-get install chromium, or set ENTRYCHECK_CHROMIUM)');
const dir = mkdtempSync(join(tmpdir(), 'ec-view-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const CE = new URL('../../counterexamples/sysret-iret-equivalence/linux-3.19-intel-4-d02b71388c.json', import.meta.url).pathname;
const NESTED = new URL('../scenarios/nmi-in-syscall-entry.json', import.meta.url).pathname;

const title = exe ? 'loads with no console error, shows the violation, expands, collapses and inspects' :
  'SKIPPED: no Chromium (set ENTRYCHECK_CHROMIUM or apt-get install chromium): loads, shows the violation, expands and collapses';

describe('entrycheck view in headless Chromium', () => {
  it.skipIf(exe === null)(title, async () => {
    const page = join(dir, 'page.html');
    const r = await runCli(['view', CE, NESTED, '-o', page]);
    expect(r.status, r.stderr).toBe(0);
    const browser = await launch(exe as string);
    try {
      const p = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      const problems: string[] = [];
      const requests: string[] = [];
      p.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`); });
      p.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
      await p.route('**/*', (route) => {
        const url = route.request().url();
        if (url.startsWith('file:')) return route.continue();
        requests.push(url);
        return route.abort();
      });
      await p.goto(pathToFileURL(page).href);
      const first = p.locator('section.trace').first();

      // The recorded violation: named, marked on its micro-step row, selected, inspected.
      await expect.poll(() => first.locator('.finding.recorded h4').textContent()).toContain('sysret-iret-equivalence');
      const marked = first.locator('.row.micro.violated', { hasText: 'sysret-iret-equivalence' });
      expect(await marked.count()).toBe(1);
      expect(await marked.isVisible()).toBe(true);
      expect(await marked.getAttribute('class')).toContain('selected');
      expect(await first.locator('.inspector').textContent()).toContain('Task 3 (running)');

      // Both branches side by side: the rows that differ, with the fields that do.
      const sides = first.locator('table.sides');
      expect(await sides.locator('th').allTextContents()).toEqual(['after SYSRET (what happened)', 'after IRET from the same pt_regs (the alternative)']);
      expect(await sides.locator('tr.fields').textContent()).toMatch(/rcx\s*0x400102.*rcx\s*0x0/s);

      // Expanding and collapsing the micro-steps.
      const details = first.locator('details.micro');
      const total = await details.count();
      expect(total).toBeGreaterThan(1);
      await first.locator('button[data-action="collapse"]').click();
      expect(await first.locator('details.micro[open]').count()).toBe(0);
      expect(await marked.isVisible()).toBe(false);
      await first.locator('button[data-action="expand"]').click();
      expect(await first.locator('details.micro[open]').count()).toBe(total);
      await first.locator('button[data-action="collapse"]').click();
      await details.first().locator('summary').click();
      expect(await first.locator('details.micro[open]').count()).toBe(1);

      // "show in the trace" opens the collapsed block and selects the row; a click and the arrow keys inspect.
      await first.locator('.finding.recorded a.goto').click();
      expect(await marked.isVisible()).toBe(true);
      const step0 = first.locator('.row.step').first();
      await step0.click();
      expect(await step0.getAttribute('class')).toContain('selected');
      expect(await first.locator('.inspector h3').first().textContent()).toBe('After user.int80 fork');
      // Step 0 only delivers the int $0x80 (the kernel runs at the next event): down is step 1,
      // then the first micro-step of step 1's block, which is open.
      await p.keyboard.press('ArrowDown');
      expect(await first.locator('.row.selected').getAttribute('data-row')).toBe('s1');
      await p.keyboard.press('ArrowDown');
      expect(await first.locator('.row.selected .label').textContent()).toMatch(/^entry_INT80_compat\+0 /);

      // Nesting: the NMI inside the SYSCALL entry shows as a second lane.
      const nested = p.locator('section.trace').nth(1);
      await nested.locator('button[data-action="expand"]').click();
      expect(await nested.locator('.row .lanes .lane.k-nmi').count()).toBeGreaterThan(0);
      const lanes = await nested.locator('.row', { has: p.locator('.lane.k-nmi') }).first().locator('.lane').allTextContents();
      expect(lanes.slice(0, 2)).toEqual(['syscall64', 'NMI']);

      expect(problems).toEqual([]);
      expect(requests).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
