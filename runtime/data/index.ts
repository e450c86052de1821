/**
 * Data sets named in train blocks: `loans(split: train)`, `mnist(split: train)`,
 * `csv("f.csv", label: "y")`.
 * `loadDataset` turns a DataSpec into a columnar Dataset. Node only (csv
 * reads files); the generated `loans` set alone is in ./loans.js.
 *
 * Adding a data set: one entry in `builtins` below (its loader checks its
 * own arguments and throws a DatasetError for bad ones).
 */
import type { Dataset } from '../types.js';
import { loadCsv } from './csv.js';
import { DatasetError } from './errors.js';
import { loans } from './loans.js';
import { splitOf, type Split } from './splits.js';
import { mnist } from './mnist.js';
import { ring } from './ring.js';
import { adding, grammar, reversal, seasonal } from './sequences.js';

export { DatasetError, isUserFacingError } from './errors.js';
export { loans, LOANS_FEATURES } from './loans.js';
export { loadCsv } from './csv.js';
export { mnist, MNIST_SEED, MNIST_SIZE, MNIST_TEST, MNIST_TRAIN, MNIST_VALIDATION } from './mnist.js';
export { SPLITS, splitOf, type Split } from './splits.js';
export { Rng } from './random.js';
export { ring, ringCentres } from './ring.js';
export { adding, grammar, GRAMMAR_ALPHABET, reversal, REVERSAL_T, REVERSAL_VOCAB, seasonal } from './sequences.js';

export type DataArg = string | number | boolean | number[];
export interface DatasetSpec {
  name: string;
  args: Record<string, DataArg>;
}

interface Builtin {
  /** argument names it accepts (positional ones as '0', '1', ...) */
  args: string[];
  /** one line for error messages and docs */
  usage: string;
  load(args: Record<string, DataArg>, baseDir: string): Dataset;
}

const builtins: Record<string, Builtin> = {
  loans: {
    args: ['split', 'size', 'seed'],
    usage: 'loans(split: train|validation|test, size: 4000, seed: 1)',
    load(args) {
      return loans({ split: splitOf(args.split, 'loans'), size: num(args, 'size', 'loans'), seed: num(args, 'seed', 'loans') });
    },
  },
  mnist: {
    args: ['split', 'scale'],
    usage: 'mnist(split: train|validation|test, scale: [0, 1])',
    load(args) {
      const split = splitOf(args.split, 'mnist');
      const scale = args.scale;
      if (scale !== undefined && !(Array.isArray(scale) && scale.length === 2 && scale.every((v) => typeof v === 'number' && Number.isFinite(v))))
        throw new DatasetError(`mnist: scale must be a pixel range [lo, hi], e.g. scale: [-1, 1], got ${fmt(scale)}`);
      return mnist({ split, ...(scale !== undefined ? { scale: [scale[0], scale[1]] as const } : {}) });
    },
  },
  reversal: {
    args: ['split', 'size', 'seed'],
    usage: 'reversal(split: train|validation|test, size: 12000 | 2000, seed: 1)',
    load: (args) => reversal({ split: split(args, 'reversal'), size: num(args, 'size', 'reversal'), seed: num(args, 'seed', 'reversal') }),
  },
  adding: {
    args: ['split', 'size', 'length', 'seed'],
    usage: 'adding(split: train|validation|test, size: 10000 | 2000, length: 50, seed: 1)',
    load: (args) => adding({ split: split(args, 'adding'), size: num(args, 'size', 'adding'), length: num(args, 'length', 'adding'), seed: num(args, 'seed', 'adding') }),
  },
  seasonal: {
    args: ['split', 'window', 'horizon', 'seed'],
    usage: 'seasonal(split: train|validation|test, window: 48, horizon: 8, seed: 1)',
    load: (args) => seasonal({ split: split(args, 'seasonal'), window: num(args, 'window', 'seasonal'), horizon: num(args, 'horizon', 'seasonal'), seed: num(args, 'seed', 'seasonal') }),
  },
  grammar: {
    args: ['split', 'size', 'length', 'seed'],
    usage: 'grammar(split: train|validation|test, size: 6000 | 1000, length: 32, seed: 1)',
    load: (args) => grammar({ split: split(args, 'grammar'), size: num(args, 'size', 'grammar'), length: num(args, 'length', 'grammar'), seed: num(args, 'seed', 'grammar') }),
  },
  ring: {
    args: ['split', 'size', 'modes', 'radius', 'std', 'seed'],
    usage: 'ring(split: train|validation|test, size: 8000 | 2000, modes: 8, radius: 2, std: 0.05, seed: 1)',
    load: (args) => ring({ split: split(args, 'ring'), size: num(args, 'size', 'ring'), modes: num(args, 'modes', 'ring'), radius: num(args, 'radius', 'ring'), std: num(args, 'std', 'ring'), seed: num(args, 'seed', 'ring') }),
  },
  csv: {
    args: ['0', 'path', 'label'],
    usage: 'csv("file.csv", label: "column")',
    load(args, baseDir) {
      const path = args['0'] ?? args.path;
      if (typeof path !== 'string') throw new DatasetError('csv: the first argument must be the file name as a string, e.g. csv("data.csv", label: "y")');
      const label = args.label;
      if (label !== undefined && typeof label !== 'string') throw new DatasetError(`csv: label must be a column name, got ${fmt(label)}`);
      return loadCsv({ path, label }, baseDir);
    },
  },
};

/** The names loadDataset knows, sorted. */
export function datasetNames(): string[] {
  return Object.keys(builtins).sort();
}

/** Usage lines of the built-in data sets, for help texts. */
export function datasetUsage(): string[] {
  return datasetNames().map((n) => builtins[n].usage);
}

/**
 * Loads the data set a train block names. `baseDir` is the folder relative
 * paths are resolved against (the .dnn file's folder). Throws a DatasetError
 * for an unknown name, an unknown argument, or bad data.
 */
export function loadDataset(spec: DatasetSpec, baseDir: string): Dataset {
  const b = Object.prototype.hasOwnProperty.call(builtins, spec.name) ? builtins[spec.name] : undefined;
  if (!b) throw new DatasetError(`unknown dataset '${spec.name}'; known data sets: ${datasetNames().join(', ')}`);
  for (const a of Object.keys(spec.args)) {
    if (!b.args.includes(a)) {
      const what = /^\d+$/.test(a) ? `takes no positional argument #${Number(a) + 1}` : `has no argument '${a}'`;
      throw new DatasetError(`${spec.name} ${what}; usage: ${b.usage}`);
    }
  }
  return b.load(spec.args, baseDir);
}

const split = (args: Record<string, DataArg>, ds: string): Split => splitOf(args.split, ds);

function num(args: Record<string, DataArg>, name: string, ds: string): number | undefined {
  const v = args[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'number') throw new DatasetError(`${ds}: ${name} must be a number, got ${fmt(v)}`);
  return v;
}

function fmt(v: DataArg): string {
  return typeof v === 'string' ? `'${v}'` : JSON.stringify(v);
}
