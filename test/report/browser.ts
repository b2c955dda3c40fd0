/**
 * Headless Chromium for the viewer's tests and the README's screenshots: Debian's chromium
 * package (or ENTRYCHECK_CHROMIUM), driven by playwright-core; nothing is downloaded. Where no
 * browser is installed, `chromiumPath()` is null and the browser tests say they are skipped.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Flags for a browser that runs as root in a container and talks to no one. */
export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** The Chromium to use, or null (also when ENTRYCHECK_CHROMIUM=none: to see the skip). */
export function chromiumPath(): string | null {
  if (process.env.ENTRYCHECK_CHROMIUM === 'none') return null;
  const candidates = [process.env.ENTRYCHECK_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((x): x is string => !!x);
  return candidates.find((p) => existsSync(p)) ?? null;
}

/** Launches headless Chromium. */
export async function launch(path: string): Promise<Browser> {
  return chromium.launch({ executablePath: path, args: CHROMIUM_FLAGS });
}
