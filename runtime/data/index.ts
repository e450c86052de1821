/**
 * Data sets named in train blocks: the built-in `mnist(split: train)` and
 * `csv("f.csv", label: "y")`, and those a project registers with
 * `registerDataset` (compiler/data/registry.ts; the examples register theirs
 * in examples/dnnc.data.ts).
 * `loadDataset` turns a DataSpec into a columnar Dataset. Node only (csv
 * reads files); the generators the examples register (loans, ring, the
 * sequence sets) are exported for use in any environment.
 */
import type { Dataset } from '../types.js';
import type { DatasetFieldSpec } from '../../compiler/data/registry.js';
import { loadCsv } from './csv.js';
import { DatasetError } from './errors.js';
import { datasetArgProblem, registeredDataset, registeredDatasets } from '../../compiler/data/registry.js';
import { splitOf } from './splits.js';
import { mnist } from './mnist.js';

export { DatasetError, isUserFacingError } from './errors.js';
export { loans, LOANS_FEATURES } from './loans.js';
export { loadCsv } from './csv.js';
export { DATA_MODULE_NAMES, findDataModule, loadDataModule } from './module.js';
export { mnist, MNIST_SEED, MNIST_SIZE, MNIST_TEST, MNIST_TRAIN, MNIST_VALIDATION } from './mnist.js';
export { fetchMnist, mnistFromDigits } from './browser.js';
export { SPLITS, splitOf, type Split } from './splits.js';
export { Rng } from './random.js';
export * from './registration.js';
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

/** The names loadDataset knows (built-in and registered), sorted. */
export function datasetNames(): string[] {
  return [...Object.keys(builtins), ...registeredDatasets().map((d) => d.name)].sort();
}

/** Usage lines of the data sets, for help texts. */
export function datasetUsage(): string[] {
  return datasetNames().map((n) => (Object.prototype.hasOwnProperty.call(builtins, n) ? builtins[n].usage : registeredDataset(n)!.doc));
}

/**
 * Loads the data set a train block names. `baseDir` is the folder relative
 * paths are resolved against (the .dnn file's folder). Throws a DatasetError
 * for an unknown name, an unknown argument, or bad data.
 */
export function loadDataset(spec: DatasetSpec, baseDir: string): Dataset {
  const b = Object.prototype.hasOwnProperty.call(builtins, spec.name) ? builtins[spec.name] : registered(spec.name);
  if (!b) throw new DatasetError(`unknown dataset '${spec.name}'; known data sets: ${datasetNames().join(', ')} (a project adds its own with registerDataset in a dnnc.data.js beside the .dnn file)`);
  for (const a of Object.keys(spec.args)) {
    if (!b.args.includes(a)) {
      const what = /^\d+$/.test(a) ? `takes no positional argument #${Number(a) + 1}` : `has no argument '${a}'`;
      throw new DatasetError(`${spec.name} ${what}; usage: ${b.usage}`);
    }
  }
  return b.load(spec.args, baseDir);
}

/**
 * A registered data set as a loader: its arguments are checked against its
 * params (the compiler checked them too, but a spec may come from a JSON
 * file), and whatever its load throws is a DatasetError naming it, so a bug
 * in a project's loader is reported as that project's, not as dnnc's.
 */
function registered(name: string): Builtin | undefined {
  const def = registeredDataset(name);
  if (!def) return undefined;
  return {
    args: def.params.map((p) => p.name),
    usage: def.doc,
    load(args, baseDir) {
      for (const p of def.params) {
        const problem = args[p.name] === undefined ? undefined : datasetArgProblem(p, args[p.name]);
        if (problem) throw new DatasetError(`${name}: ${problem}`);
      }
      let data: Dataset;
      let declared: DatasetFieldSpec[];
      try {
        data = def.load(args, baseDir);
        declared = def.fields(args);
      } catch (e) {
        if (e instanceof Error && e.name === 'DatasetError') throw e; // (by name: the project's module may hold another copy of the class)
        throw new DatasetError(`${name}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      }
      const wrong = mismatch(declared, data);
      if (wrong) throw new DatasetError(`${name}: the loader returned ${wrong}`);
      return data;
    },
  };
}

/** How a loaded data set differs from the fields its definition declares, or undefined. */
function mismatch(fields: DatasetFieldSpec[], data: Dataset): string | undefined {
  if (!data || typeof data !== 'object' || !Number.isInteger(data.size) || data.size < 1 || typeof data.fields !== 'object')
    return 'no data set: load must return { size, fields } with at least one sample';
  const declared = fields.map((f) => f.name).sort();
  const got = Object.keys(data.fields).sort();
  if (declared.join() !== got.join()) return `fields ${got.join(', ')}; its definition declares ${declared.join(', ')}`;
  for (const f of fields) {
    const c = data.fields[f.name];
    const per = f.shape.reduce((a, b) => a * b, 1);
    if (c.dtype !== f.dtype || c.sampleShape.join() !== f.shape.join()) return `${f.name} as ${c.dtype}[${c.sampleShape.join(', ')}]; its definition declares ${f.dtype}[${f.shape.join(', ')}]`;
    if (c.data.length !== per * data.size) return `${f.name} with ${c.data.length} values for ${data.size} samples of ${per}`;
  }
  return undefined;
}

function fmt(v: DataArg): string {
  return typeof v === 'string' ? `'${v}'` : JSON.stringify(v);
}
