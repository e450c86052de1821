/**
 * Every built-in callable, by name: the language's own, then the data sets a
 * project registered (compiler/data/registry.ts), which the table reads at
 * each lookup so a registration made after the compiler loaded is seen.
 */
import { registeredDataset, registeredDatasets, reserveDatasetNames, type DatasetDefinition } from '../../data/registry.js';
import type { BuiltinImpl } from '../builtin.js';
import { layerBuiltins } from './layers/index.js';
import { mathBuiltins } from './math.js';
import { registeredDataBuiltin } from './registered-data.js';
import { trainingBuiltins } from './training.js';

/** The language's own built-ins (what docs/reference.md lists). */
export const languageBuiltins = new Map<string, BuiltinImpl>();
for (const b of [...layerBuiltins, ...mathBuiltins, ...trainingBuiltins]) {
  if (languageBuiltins.has(b.name)) throw new Error(`built-in '${b.name}' is defined twice`);
  languageBuiltins.set(b.name, b);
}
reserveDatasetNames(languageBuiltins.keys());

/** One callable per registered definition, made once (a definition is immutable once registered). */
const made = new WeakMap<DatasetDefinition, BuiltinImpl>();
function asBuiltin(def: DatasetDefinition): BuiltinImpl {
  let b = made.get(def);
  if (!b) made.set(def, (b = registeredDataBuiltin(def)));
  return b;
}

/** The built-ins and the registered data sets, read-only, with the Map methods the lowerer uses. */
export const builtins: ReadonlyMap<string, BuiltinImpl> & { size: number } = {
  get: (name: string) => languageBuiltins.get(name) ?? registeredBuiltin(name),
  has: (name: string) => languageBuiltins.has(name) || registeredDataset(name) !== undefined,
  get size() {
    return languageBuiltins.size + registeredDatasets().length;
  },
  keys: () => all().map(([k]) => k)[Symbol.iterator](),
  values: () => all().map(([, v]) => v)[Symbol.iterator](),
  entries: () => all()[Symbol.iterator](),
  forEach(fn, self) {
    for (const [k, v] of all()) fn.call(self, v, k, this);
  },
  [Symbol.iterator]: () => all()[Symbol.iterator](),
} as ReadonlyMap<string, BuiltinImpl>;

function registeredBuiltin(name: string): BuiltinImpl | undefined {
  const def = registeredDataset(name);
  return def && asBuiltin(def);
}

function all(): [string, BuiltinImpl][] {
  return [...languageBuiltins, ...registeredDatasets().map((d): [string, BuiltinImpl] => [d.name, asBuiltin(d)])];
}
