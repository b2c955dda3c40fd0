/**
 * Reading a user's file: regular files only, at most MAX_FILE_BYTES, UTF-8. A FIFO, a device
 * (a symbolic link to /dev/zero), a folder or a socket is a one-line error found before
 * anything is read, so reading never blocks and never runs without end.
 */
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { InputError, inputErrors } from './errors.ts';
import { MAX_FILE_BYTES } from './limits.ts';

/** What a non-regular file is, for "expected a regular file, got ...". */
function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'a special file';
}

const code = (e: unknown): string => (e as NodeJS.ErrnoException).code ?? 'an error';

/** Throws unless `st` is a regular file of at most `limit` bytes. */
function checkStats(file: string, st: Stats, limit: number): void {
  if (!st.isFile()) throw new InputError(inputErrors.notRegular(file, kindOf(st)));
  if (st.size > limit) throw new InputError(inputErrors.tooLarge(file, limit, st.size));
}

/** Checks that `file` is a regular file within the size limit, without opening it. */
export function checkRegularFile(file: string, limit = MAX_FILE_BYTES): void {
  let st: Stats;
  try {
    st = statSync(file);
  } catch (e) {
    throw new InputError(inputErrors.readFile(file, code(e)));
  }
  checkStats(file, st, limit);
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads a file's text or throws a one-line InputError. The type is checked before opening
 * (opening a FIFO or a tape could block or act), and again on the open descriptor, which is
 * what is read (the file may have been replaced in between). O_NONBLOCK keeps even that open
 * from waiting. One byte more than the limit is read, so a file that grew is caught too.
 * A leading byte-order mark is dropped (some editors write one; JSON does not allow it).
 */
export function readText(file: string, limit = MAX_FILE_BYTES): string {
  checkRegularFile(file, limit);
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0));
  } catch (e) {
    throw new InputError(inputErrors.readFile(file, code(e)));
  }
  try {
    const st = fstatSync(fd);
    checkStats(file, st, limit);
    let buf = Buffer.alloc(st.size + 1);
    let n = 0;
    for (;;) {
      if (n === buf.length) {
        // Longer than it was when checked: read on, but never past the limit.
        const bigger = Buffer.alloc(limit + 1);
        buf.copy(bigger);
        buf = bigger;
      }
      const got = readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
      if (n > limit) throw new InputError(inputErrors.tooLarge(file, limit, n));
    }
    let text: string;
    try {
      text = decoder.decode(buf.subarray(0, n));
    } catch {
      throw new InputError(inputErrors.notUtf8(file));
    }
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(inputErrors.readFile(file, code(e)));
  } finally {
    closeSync(fd);
  }
}
