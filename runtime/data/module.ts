/**
 * A project's data module: `dnnc.data.js` (or .mjs, .ts, .mts) beside the
 * .dnn file or in a folder above it, up to the project's root (the nearest
 * folder with a package.json). The command line, the language server and
 * `instantiateFile` (dnnc/compiler) import it before compiling, so the data
 * sets it registers (registerDataset from 'dnnc/data') can be named in train
 * blocks; examples/dnnc.data.ts registers the examples' sets. A TypeScript
 * data module is loaded through tsx when the project has it. Node only.
 * What goes wrong is a DatasetError naming the file (exit 1 in the CLI).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DatasetError } from './errors.js';

export const DATA_MODULE_NAMES = ['dnnc.data.js', 'dnnc.data.mjs', 'dnnc.data.ts', 'dnnc.data.mts'];

const isFile = (p: string) => statSync(p, { throwIfNoEntry: false })?.isFile() === true;

/** The data module that applies to `dnnFile`, or undefined; two in one folder is an error (which would win is not obvious). */
export function findDataModule(dnnFile: string): string | undefined {
  for (let dir = dirname(resolve(dnnFile)); ; dir = dirname(dir)) {
    const found = DATA_MODULE_NAMES.map((n) => join(dir, n)).filter(isFile);
    if (found.length > 1) throw new DatasetError(`two data modules in '${dir}': ${found.map((f) => f.slice(dir.length + 1)).join(' and ')}; keep one`);
    if (found.length === 1) return found[0];
    if (existsSync(join(dir, 'package.json')) || dirname(dir) === dir) return undefined;
  }
}

const loaded = new Set<string>();

/** Imports the data module of `dnnFile`, once per process; what goes wrong in it is the user's error (exit 1) naming the file. */
export async function loadDataModule(dnnFile: string): Promise<string | undefined> {
  const path = findDataModule(dnnFile);
  if (!path || loaded.has(path)) return path;
  try {
    await importModule(path);
  } catch (e) {
    if (e instanceof DatasetError) throw e;
    throw new DatasetError(`cannot load the data module '${path}': ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  loaded.add(path);
  return path;
}

/** The ESM entry of tsx's loader API in the nearest node_modules at or above `dir`, when there is one. */
function tsxApiBelow(dir: string): string | undefined {
  for (let d = dir; ; d = dirname(d)) {
    const pkg = join(d, 'node_modules', 'tsx', 'package.json');
    if (isFile(pkg)) {
      const entry = (JSON.parse(readFileSync(pkg, 'utf8')) as { exports?: Record<string, { import?: { default?: string } }> }).exports?.['./esm/api']?.import?.default;
      return entry ? join(d, 'node_modules', 'tsx', entry) : undefined;
    }
    if (dirname(d) === d) return undefined;
  }
}

async function importModule(path: string): Promise<void> {
  const url = pathToFileURL(path).href;
  try {
    await import(url);
    return;
  } catch (e) {
    if ((e as { code?: string }).code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw e;
  }
  // TypeScript, and no loader for it in this process yet: the project's tsx, else the one beside dnnc
  let api: { register(): unknown };
  try {
    const projectTsx = tsxApiBelow(dirname(path));
    api = (await import(projectTsx ? pathToFileURL(projectTsx).href : 'tsx/esm/api')) as typeof api;
  } catch {
    throw new DatasetError(`'${path}' is TypeScript and no TypeScript loader was found: install tsx in the project (npm install --save-dev tsx), or write it as dnnc.data.mjs`);
  }
  api.register();
  // a new URL: the failed import of the plain one stays cached
  await import(`${url}?typescript`);
}
