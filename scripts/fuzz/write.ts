/**
 * Putting a malformed file on disk: its text or bytes, or a FIFO, a symbolic link to /dev/zero,
 * a folder, a dangling link or a link loop under the name a file would have.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Malformed } from './malformed.ts';

/** Writes `m` as `dir/<name>.json`; returns its path. */
export function writeMalformed(dir: string, name: string, m: Malformed): string {
  const file = join(dir, `${name}.json`);
  if ('text' in m) writeFileSync(file, m.text);
  else if ('bytes' in m) writeFileSync(file, m.bytes);
  else if (m.special === 'fifo') execFileSync('mkfifo', [file]);
  else if (m.special === 'dev-zero') symlinkSync('/dev/zero', file);
  else if (m.special === 'folder') mkdirSync(file);
  else if (m.special === 'dangling-link') symlinkSync(join(dir, 'no-such-target'), file);
  else symlinkSync(file, file);
  return file;
}

/** Removes what writeMalformed made. */
export function removeMalformed(file: string): void {
  rmSync(file, { recursive: true, force: true });
}
