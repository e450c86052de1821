/**
 * Data sets a project registers beside the built-in `mnist` and `csv`: a
 * train block names them the same way (`ring(split: train, modes: 8)`). One
 * definition holds everything about a data set: its arguments, the fields of
 * a sample (so the compiler checks `data.point` and class counts statically),
 * the loader the runtime calls, and the simple baselines printed beside the
 * model's metrics.
 *
 * Registration is process-wide: the table lives on globalThis under a
 * Symbol.for key, so a definition registered through the published build and
 * the compiler running from source (or two copies of the package) read the
 * same table. The command line, the language server and instantiateFile
 * first import the project's data module, `dnnc.data.js` (or .mjs, .ts, .mts)
 * beside the .dnn file or in a folder above it (runtime/data/module.ts),
 * which registers them; examples/dnnc.data.ts registers the examples' sets.
 */
import type { Dataset } from '../../runtime/types.js';
import type { DataArg } from '../compiled.js';

export interface DatasetParam {
  name: string;
  /**
   * split: train | validation | test; int: an integer of at least `min`
   * when given; num: a finite number of at least `min` when given; str: a
   * string; list: a list of numbers
   */
  type: 'split' | 'int' | 'num' | 'str' | 'list';
  min?: number;
}

/** One field of a sample, without the batch axis. */
export interface DatasetFieldSpec {
  name: string;
  dtype: 'f32' | 'i32';
  shape: number[];
  /** integer fields that hold class or token ids: every value lies in [0, below) */
  below?: number;
}

export interface DatasetSplits {
  train: Dataset;
  validation?: Dataset;
  /** the split the model is scored on (the test split, once) */
  evaluated: Dataset;
}

export type DatasetArgs = Record<string, DataArg>;

export interface DatasetDefinition {
  /** how a train block calls it: an identifier that is not a built-in */
  name: string;
  /** one line: the call with its defaults, then what a sample holds */
  doc: string;
  /** every argument is optional (a default applies); arguments are named, not positional */
  params: DatasetParam[];
  /** the fields of one sample for these arguments (the loader must return exactly these) */
  fields(args: DatasetArgs): DatasetFieldSpec[];
  /** the data set; `baseDir` is the .dnn file's folder. Throw an Error for bad arguments or data: it is reported with the data set's name */
  load(args: DatasetArgs, baseDir: string): Dataset;
  /** simple baselines fitted on train (choices on validation) and scored on `evaluated`: { name: { metric: value } } */
  baselines?(splits: DatasetSplits): Record<string, Record<string, number>>;
}

interface Registry {
  sets: Map<string, DatasetDefinition>;
  /** names a data set may not take (the built-ins), once the compiler has said which */
  reserved: Set<string>;
}

const KEY = Symbol.for('dnnc.datasets');

function registry(): Registry {
  const g = globalThis as { [KEY]?: Registry };
  return (g[KEY] ??= { sets: new Map(), reserved: new Set() });
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PARAM_TYPES = new Set(['split', 'int', 'num', 'str', 'list']);

/**
 * Adds a data set for train blocks to name. Throws for a name that is not an
 * identifier, that a built-in has, or that another definition already holds
 * (registering the same definition again is allowed: a module imported twice).
 */
export function registerDataset(def: DatasetDefinition): void {
  const r = registry();
  if (typeof def?.name !== 'string' || !IDENTIFIER.test(def.name)) throw new Error(`registerDataset: the name must be an identifier such as my_data, got ${JSON.stringify(def?.name)}`);
  if (typeof def.fields !== 'function' || typeof def.load !== 'function') throw new Error(`registerDataset('${def.name}'): fields(args) and load(args, baseDir) are required functions`);
  if (!Array.isArray(def.params)) throw new Error(`registerDataset('${def.name}'): params must be an array (empty when it takes no arguments)`);
  const seen = new Set<string>();
  for (const p of def.params) {
    if (!IDENTIFIER.test(p?.name ?? '') || !PARAM_TYPES.has(p.type)) throw new Error(`registerDataset('${def.name}'): each param needs an identifier name and a type of ${[...PARAM_TYPES].join(', ')}, got ${JSON.stringify(p)}`);
    if (seen.has(p.name)) throw new Error(`registerDataset('${def.name}'): param '${p.name}' is listed twice`);
    seen.add(p.name);
  }
  if (r.reserved.has(def.name)) throw new Error(`registerDataset: '${def.name}' is a built-in of the language; pick another name`);
  const held = r.sets.get(def.name);
  if (held && held !== def) throw new Error(`registerDataset: a data set named '${def.name}' is already registered`);
  r.sets.set(def.name, def);
}

/** Removes a registered data set (for tests and reloads); true when there was one. */
export function unregisterDataset(name: string): boolean {
  return registry().sets.delete(name);
}

export function registeredDataset(name: string): DatasetDefinition | undefined {
  return registry().sets.get(name);
}

export function registeredDatasets(): DatasetDefinition[] {
  return [...registry().sets.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** The compiler's built-in names: from now on no data set may take them (one already registered under one is an error). */
export function reserveDatasetNames(names: Iterable<string>): void {
  const r = registry();
  for (const n of names) {
    r.reserved.add(n);
    if (r.sets.has(n)) throw new Error(`registerDataset: '${n}' is a built-in of the language; pick another name`);
  }
}

/** What is wrong with value `v` for parameter `p` (a spec read from JSON is unchecked), or undefined. */
export function datasetArgProblem(p: DatasetParam, v: DataArg): string | undefined {
  const show = JSON.stringify(v);
  switch (p.type) {
    case 'split':
      return v === 'train' || v === 'validation' || v === 'test' ? undefined : `split must be train, validation or test, got ${show}`;
    case 'int':
      if (typeof v !== 'number' || !Number.isInteger(v)) return `${p.name} must be a number (an integer), got ${show}`;
      return p.min !== undefined && v < p.min ? `${p.name} must be an integer of at least ${p.min}, got ${show}` : undefined;
    case 'num':
      if (typeof v !== 'number' || !Number.isFinite(v)) return `${p.name} must be a number, got ${show}`;
      return p.min !== undefined && v < p.min ? `${p.name} must be at least ${p.min}, got ${show}` : undefined;
    case 'str':
      return typeof v === 'string' ? undefined : `${p.name} must be a string, got ${show}`;
    case 'list':
      return Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x)) ? undefined : `${p.name} must be a list of numbers, got ${show}`;
  }
}
