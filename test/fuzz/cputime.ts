/**
 * CPU time of one thread, so that the fuzzer's budgets measure the work an
 * input costs rather than the wall clock of a loaded machine (on a shared
 * machine a 2 s budget can pass while the thread waits for a core). Linux
 * only (/proc); elsewhere the budgets fall back to the wall clock.
 */
import { readFileSync, readlinkSync } from 'node:fs';

/** The calling thread's /proc stat path, or undefined where there is no /proc. */
export function threadStatPath(): string | undefined {
  try {
    return `/proc/${readlinkSync('/proc/thread-self')}/stat`; // "PID/task/TID"
  } catch {
    return undefined;
  }
}

/** Clock ticks per second of /proc's utime and stime (USER_HZ: 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** The CPU time (user + system) a thread has used so far, in ms; undefined once it is gone. */
export function threadCpuMs(statPath: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(statPath, 'utf8');
  } catch {
    return undefined;
  }
  // the command name, in parentheses, may hold spaces: count fields after its closing ')'
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
  return ((utime + stime) * 1000) / TICKS_PER_SECOND;
}
