/**
 * Names of results files: every run writes a new file, none overwrites an
 * earlier one. `<stamp>-<kind>.json` with the stamp to the minute in UTC
 * (2026-12-06T0142), and `-2`, `-3`, ... before the extension when that name
 * is taken (two runs in one minute).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** `2026-12-06T0142`: the date and time to the minute, UTC */
export function resultsStamp(d = new Date()): string {
  return d.toISOString().slice(0, 16).replace(':', '');
}

/** A path in `dir` that no file or folder has yet: `<stamp>-<kind><ext>`, else `<stamp>-<kind>-2<ext>`, ... */
export function freshResultsPath(dir: string, kind: string, ext = '.json'): string {
  const stem = join(dir, `${resultsStamp()}-${kind}`);
  let path = `${stem}${ext}`;
  for (let k = 2; existsSync(path); k++) path = `${stem}-${k}${ext}`;
  return path;
}
