/**
 * File-system trouble is the user's to fix, not a bug in dnnc: an unreadable
 * input, an output folder under a file or on /proc, a full disk. These
 * helpers check output paths before any work is done and turn file-system
 * errors into one line that names the path and the reason (exit 1).
 */
import { accessSync, constants, statfsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { describeFsError, errnoCode, FileError } from '../compiler/files.js';

/**
 * Linux pseudo file systems (statfs f_type): files there are views of the
 * kernel, not places for generated code; writing into them can hang or fail
 * in odd ways.
 */
const specialFileSystems = new Map<number, string>([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x1cd1, 'devpts'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x62656570, 'configfs'],
  [0xcafe4a11, 'bpf'],
  [0x6165676c, 'pstore'],
  [0xde5e81e4, 'efivarfs'],
  [0x42494e4d, 'binfmt_misc'],
  [0x65735543, 'fusectl'],
  [0x19800202, 'mqueue'],
]);

/** The nearest path at or above `path` (absolute) that exists, and what it is when it is not a folder. */
function nearestExisting(path: string): { path: string; isDir: boolean; what: string } {
  for (let p = path; ; p = dirname(p)) {
    try {
      const st = statSync(p);
      const what = st.isFile() ? 'a file' : st.isFIFO() ? 'a pipe (FIFO)' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : st.isSocket() ? 'a socket' : 'not a folder';
      return { path: p, isDir: st.isDirectory(), what };
    } catch (e) {
      const code = errnoCode(e);
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw new FileError(p, `cannot use it: ${describeFsError(e)}`, code);
    }
    if (dirname(p) === p) return { path: p, isDir: true, what: 'a folder' };
  }
}

/**
 * Check, before compiling, that `dir` is a folder dnnc can write into or
 * create: not a file, not below a file, not on a pseudo file system such as
 * /proc, and writable. Throws a FileError saying which and why.
 */
export function checkOutputDir(dir: string): void {
  const abs = resolve(dir);
  const found = nearestExisting(abs);
  if (!found.isDir) {
    if (found.path === abs) throw new FileError(dir, `cannot write into it: it is ${found.what}, not a folder`, 'ENOTDIR');
    throw new FileError(dir, `cannot create it: '${found.path}' is ${found.what}, not a folder`, 'ENOTDIR');
  }
  let fsType: number | undefined;
  try {
    fsType = Number(statfsSync(found.path).type);
  } catch {
    fsType = undefined; // statfs is Linux/macOS only: the checks below still apply
  }
  const special = fsType !== undefined ? specialFileSystems.get(fsType) : undefined;
  if (special) throw new FileError(dir, `cannot write there: '${found.path}' is on the ${special} pseudo file system, not a place for files`);
  try {
    accessSync(found.path, constants.W_OK | constants.X_OK);
  } catch (e) {
    throw new FileError(dir, `cannot ${found.path === abs ? 'write into it' : `create it in '${found.path}'`}: ${describeFsError(e)}`, errnoCode(e));
  }
}

/**
 * The message for an error that is the user's file-system trouble: a
 * FileError, or a Node errno error (EACCES, ENOSPC, ...); undefined for
 * anything else (a bug: exit 70).
 */
export function fileErrorMessage(e: unknown): string | undefined {
  if (e instanceof FileError || (e instanceof Error && e.name === 'FileError')) return e.message;
  const code = errnoCode(e);
  if (!code || !(e instanceof Error)) return undefined;
  const { path, syscall } = e as NodeJS.ErrnoException;
  const verb = syscall === 'open' || syscall === 'read' || syscall === 'stat' || syscall === 'lstat' || syscall === 'scandir' ? 'read' : syscall === 'mkdir' ? 'create' : 'write';
  return path ? `cannot ${verb} '${path}': ${describeFsError(e)}` : `cannot ${verb} a file: ${describeFsError(e)}`;
}

/** Run `write` for `path`, turning a failure into a FileError that names it. */
export function writingTo<T>(path: string, write: () => T): T {
  try {
    return write();
  } catch (e) {
    if (!errnoCode(e)) throw e;
    throw new FileError(path, `cannot write it: ${describeFsError(e)}`, errnoCode(e));
  }
}
