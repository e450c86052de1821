/**
 * Reading the files a .dnn program names (its source, CSV data) with bounded
 * work: only regular files (a device such as /dev/zero or a FIFO would never
 * end, or block), at most a given number of bytes, and failures as a
 * FileError whose message names the path and says why in words.
 */
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';

/** A file that cannot be read (or written) as asked; `message` is for the user as it is. */
export class FileError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
    /** the errno code when the system gave one (ENOENT, EACCES, ...) */
    readonly code?: string,
  ) {
    super(`'${path}': ${reason}`);
    this.name = 'FileError';
  }
}

const reasons: Record<string, string> = {
  ENOENT: 'no such file or folder',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'it is a folder',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EEXIST: 'it already exists',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'the file system is read-only',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many levels of symbolic links',
  EIO: 'input/output error',
  EBUSY: 'the file is busy',
  ETXTBSY: 'the file is busy',
  EFBIG: 'the file is too large',
  EINVAL: 'not possible on this kind of file',
  ENXIO: 'no such device',
  ENODEV: 'no such device',
  EAGAIN: 'the file is not ready to be read',
  EXDEV: 'cannot move across file systems',
};

/** The errno code of a Node file-system error, if it is one. */
export function errnoCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? code : undefined;
}

/** Words for a file-system error: "permission denied (EACCES)". */
export function describeFsError(e: unknown): string {
  const code = errnoCode(e);
  if (code) return `${reasons[code] ?? (e as Error).message.replace(/^[A-Z0-9]+: /, '').replace(/, \w+ '.*'$/, '')} (${code})`;
  return e instanceof Error ? e.message : String(e);
}

/** What a path that is not a regular file is, in words. */
function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a pipe (FIFO)';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Open a regular file for reading. A FIFO is refused before it is opened
 * (opening one blocks until a writer comes); O_NONBLOCK covers the race.
 */
function openRegular(path: string): { fd: number; size: number } {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    throw new FileError(path, `cannot read it: ${describeFsError(e)}`, errnoCode(e));
  }
  if (!st.isFile()) throw new FileError(path, `cannot read it: it is ${kindOf(st)}, not a regular file`);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    throw new FileError(path, `cannot read it: ${describeFsError(e)}`, errnoCode(e));
  }
  const now = fstatSync(fd);
  if (!now.isFile()) {
    closeSync(fd);
    throw new FileError(path, `cannot read it: it is ${kindOf(now)}, not a regular file`);
  }
  return { fd, size: now.size };
}

/** Read up to `max` bytes from the start of an open file, in chunks (a file may report size 0 and still have content). */
function readUpTo(fd: number, path: string, max: number): Buffer {
  const chunks: Buffer[] = [];
  let got = 0;
  try {
    while (got < max) {
      const chunk = Buffer.alloc(Math.min(max - got, 1 << 20));
      const n = readSync(fd, chunk, 0, chunk.length, got);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      got += n;
    }
  } catch (e) {
    throw new FileError(path, `cannot read it: ${describeFsError(e)}`, errnoCode(e));
  }
  return Buffer.concat(chunks, got);
}

/** A regular file's text (UTF-8), refused when it is larger than `maxBytes`. */
export function readTextFile(path: string, maxBytes: number): string {
  const { fd, size } = openRegular(path);
  try {
    if (size > maxBytes) throw new FileError(path, `it is ${size.toLocaleString('en-US')} bytes, above the limit of ${maxBytes.toLocaleString('en-US')}`);
    // read to the end, one byte past the limit at most: a file growing while it is read is refused
    const data = readUpTo(fd, path, maxBytes + 1);
    if (data.length > maxBytes) throw new FileError(path, `it is more than ${maxBytes.toLocaleString('en-US')} bytes, the limit`);
    return data.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** The first line of a regular file (without its line break), reading at most `maxBytes`. */
export function readFirstLine(path: string, maxBytes: number): string {
  const { fd } = openRegular(path);
  try {
    const text = readUpTo(fd, path, maxBytes).toString('utf8');
    return text.split(/\r?\n/, 1)[0] ?? '';
  } finally {
    closeSync(fd);
  }
}
