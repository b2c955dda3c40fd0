/**
 * `npm run screenshots`: the README's pictures of the trace viewer (docs/img/), taken in headless
 * Chromium (Debian's chromium package, test/report/browser.ts) from pages `entrycheck view`
 * writes for counterexamples of this repository. Exits 1, saying why, without a browser.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runCli } from './fuzz/cli.ts';
import { chromiumPath, launch } from '../test/report/browser.ts';

const root = new URL('../', import.meta.url).pathname;
const img = join(root, 'docs/img');
const exe = chromiumPath();
if (exe === null) {
  process.stderr.write('screenshots: no Chromium (apt-get install chromium, or set ENTRYCHECK_CHROMIUM)\n');
  process.exit(1);
}
mkdirSync(img, { recursive: true });
const tmp = mkdtempSync(join(tmpdir(), 'ec-shots-'));

/** Writes a page for `file` and returns its URL. */
async function page(file: string): Promise<string> {
  const out = join(tmp, `${file.replace(/\W+/g, '-')}.html`);
  // Relative to the repository (npm runs scripts there), so the page names the file as a reader would.
  const r = await runCli(['view', file, '-o', out]);
  if (r.status !== 0) throw new Error(r.stderr);
  return pathToFileURL(out).href;
}

const browser = await launch(exe);
try {
  const p = await browser.newPage({ viewport: { width: 1280, height: 860 }, deviceScaleFactor: 1 });
  // 1. A differential violation: the findings, the SYSRET and IRET branches side by side.
  await p.goto(await page('counterexamples/sysret-iret-equivalence/linux-3.19-intel-4-d02b71388c.json'));
  await p.screenshot({ path: join(img, 'viewer-differential.png') });
  // 2. The step table at the violation: the marked micro-step, the lanes, the pt_regs inspector.
  await p.locator('.row.micro.violated').first().scrollIntoViewIfNeeded();
  await p.mouse.wheel(0, 260);
  await p.waitForTimeout(400); // the wheel scrolls smoothly: let it settle before the picture
  await p.screenshot({ path: join(img, 'viewer-steps.png') });
  // 3. Nesting: an NMI inside an NMI inside a system call, one lane per kernel context.
  await p.goto(await page('counterexamples/sanity-nested-nmi/linux-5.8-intel-5-65e739b128.json'));
  await p.locator('button[data-action="expand"]').first().click();
  const nested = p.locator('.row.micro', { has: p.locator('.lanes .lane:nth-child(3):not(:empty)') }).first();
  await nested.click();
  await nested.scrollIntoViewIfNeeded();
  await p.mouse.wheel(0, 200);
  await p.waitForTimeout(400);
  await p.screenshot({ path: join(img, 'viewer-nesting.png') });
  process.stdout.write('wrote docs/img/viewer-differential.png, viewer-steps.png, viewer-nesting.png\n');
} finally {
  await browser.close();
  rmSync(tmp, { recursive: true, force: true });
}
