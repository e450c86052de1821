/**
 * Node-only helpers (`import { save, load } from 'dnnc/node'`): weights and
 * checkpoints as files. Browsers use the model's saveWeights/loadWeights on
 * bytes (fetch, IndexedDB, a download link) and never import this module.
 *
 * Writes are atomic: the bytes go to a temporary file in the same folder,
 * which is flushed to disk (fsync) and then renamed over the target, so a
 * crash or a kill mid-write leaves the previous file whole. Reads refuse
 * what is not a regular file (a folder, a device, a FIFO) before reading it.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fsyncSync, openSync, readSync, fstatSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { CheckpointInfo } from './checkpoint.js';
import type { LoadOptions, Model, Trainer } from './types.js';
import { WeightsError } from './weights-error.js';

type Saveable = Pick<Model | Trainer, 'saveWeights' | 'saveCheckpoint' | 'loadWeights' | 'loadCheckpoint'>;

/** How a file-system error reads to a user. */
function reason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  const known: Record<string, string> = {
    ENOENT: 'no such file or folder',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EISDIR: 'it is a folder',
    ENOTDIR: 'a part of the path is not a folder',
    ENOSPC: 'no space left on the device',
    EROFS: 'read-only file system',
    EEXIST: 'it already exists',
  };
  return (code && known[code]) ?? (e as Error).message;
}

/** Writes `bytes` to `path` atomically (temp file in the same folder, fsync, rename). */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(temp, 'wx', 0o644);
    for (let at = 0; at < bytes.byteLength; ) at += writeSync(fd, bytes, at, bytes.byteLength - at);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, path);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(temp);
    } catch {
      // never created, or already renamed
    }
    throw new WeightsError(`cannot write '${path}': ${reason(e)}`);
  }
  // the rename itself reaches the disk when the folder is flushed (not possible on every platform)
  try {
    const dir = openSync(dirname(path), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  } catch {
    // best effort
  }
}

/** The bytes of a regular file, refusing folders, devices and FIFOs before reading. */
export function readFileChecked(path: string, what = 'file'): Uint8Array {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw new WeightsError(`cannot read the ${what} '${path}': ${reason(e)}`);
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw new WeightsError(`cannot read the ${what} '${path}': it is a folder`);
    if (!stat.isFile()) throw new WeightsError(`cannot read the ${what} '${path}': it is not a regular file`);
    const bytes = new Uint8Array(stat.size);
    for (let at = 0; at < bytes.byteLength; ) {
      const n = readSync(fd, bytes, at, bytes.byteLength - at, at);
      if (n === 0) throw new WeightsError(`cannot read the ${what} '${path}': it shrank while being read`);
      at += n;
    }
    return bytes;
  } catch (e) {
    if (e instanceof WeightsError) throw e;
    throw new WeightsError(`cannot read the ${what} '${path}': ${reason(e)}`);
  } finally {
    closeSync(fd);
  }
}

/** Saves a model's (or trainer's) weights, or with `checkpoint: true` a training checkpoint, to `path` atomically. */
export async function save(model: Saveable, path: string, options: { checkpoint?: boolean } = {}): Promise<void> {
  const bytes = options.checkpoint ? await model.saveCheckpoint() : await model.saveWeights();
  writeFileAtomic(path, bytes);
}

/** Loads weights (or with `checkpoint: true` a training checkpoint) from `path`; errors name the file. */
export function load(model: Saveable, path: string, options: LoadOptions & { checkpoint?: boolean } = {}): CheckpointInfo {
  const bytes = readFileChecked(path, options.checkpoint ? 'checkpoint' : 'weights file');
  const opts = { ...options, source: options.source ?? path };
  return options.checkpoint ? model.loadCheckpoint(bytes, opts) : model.loadWeights(bytes, opts);
}
