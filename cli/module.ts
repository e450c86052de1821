/**
 * From a compiled .dnn file to a live model in this process: which model or
 * trainer a command acts on, its data sets, and the generated module (emitted
 * as JavaScript into a cache folder keyed by its content, then imported).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CompiledFile, CompiledModel, DataSpec } from '../compiler/compiled.js';
import type { BackendName, CreateOptions, Model, Trainer } from '../runtime/types.js';
import { CliError, loadEmitter, packageRoot, writeFiles } from './common.js';

export function pickTrainedModel(compiled: CompiledFile, file: string, name: string | undefined): CompiledModel {
  const trainable = compiled.models.filter((m) => m.train);
  if (name !== undefined) {
    const m = compiled.models.find((x) => x.name === name);
    if (!m) throw new CliError(`'${file}' has no model '${name}'; its models: ${compiled.models.map((x) => x.name).join(', ')}`);
    if (!m.train) throw new CliError(`model '${name}' has no train block in '${file}'`);
    return m;
  }
  if (trainable.length === 0) throw new CliError(`'${file}' has no train block: add one (train ${compiled.models[0]?.name ?? 'Model'} { ... }) to train from the CLI`);
  if (trainable.length > 1) throw new CliError(`'${file}' trains several models (${trainable.map((m) => m.name).join(', ')}): pick one with --model NAME`);
  return trainable[0];
}

/** Any model of the file: the named one, else the only one, else the first with a train block (the module's default). */
export function pickAnyModel(compiled: CompiledFile, file: string, name: string | undefined): CompiledModel {
  if (name !== undefined) {
    const m = compiled.models.find((x) => x.name === name);
    if (!m) throw new CliError(`'${file}' has no model '${name}'; its models: ${compiled.models.map((x) => x.name).join(', ')}`);
    return m;
  }
  if (compiled.models.length === 1) return compiled.models[0];
  const trained = compiled.models.filter((m) => m.train);
  if (trained.length === 1) return trained[0];
  throw new CliError(`'${file}' has several models (${compiled.models.map((m) => m.name).join(', ')}): pick one with --model NAME`);
}

/** The same built-in data set read with another split, when `data` is a built-in set read with split: train (csv files have no splits). */
function otherSplit(data: DataSpec | undefined, split: 'validation' | 'test'): DataSpec | undefined {
  if (data && data.name !== 'csv' && (data.args.split ?? 'train') === 'train') return { name: data.name, args: { ...data.args, split } };
  return undefined;
}

/** The validation set (model choices are made on it): the train block's `validate`, else the validation split of its built-in data set. */
export function validationSpec(data: DataSpec | undefined, validate: DataSpec | undefined): DataSpec | undefined {
  return validate ?? otherSplit(data, 'validation');
}

/** The test set, reported once at the end: the train block's `test`, else the test split of its built-in data set. */
export function testSpec(data: DataSpec | undefined, test: DataSpec | undefined): DataSpec | undefined {
  return test ?? otherSplit(data, 'test');
}

/** What `dnnc train` runs: a model's train block, or a train block over several models/steps (a trainer). */
export interface TrainTarget {
  name: string;
  data?: DataSpec;
  validate?: DataSpec;
  test?: DataSpec;
  seed?: number;
  epochs: number;
  batch: number;
  /** trainers have no evaluation graph: no validation set */
  validates: boolean;
}

export function pickTarget(compiled: CompiledFile, file: string, name: string | undefined): TrainTarget {
  const trainers = compiled.trainers ?? [];
  const trainer = name !== undefined ? trainers.find((t) => t.name === name) : compiled.models.some((m) => m.train) ? undefined : trainers[0];
  if (trainer) return { name: trainer.name, data: trainer.data, validate: trainer.validate, seed: trainer.seed, epochs: trainer.epochs, batch: trainer.batch, validates: false };
  const model = pickTrainedModel(compiled, file, name);
  const t = model.train!;
  return { name: model.name, data: t.data, validate: t.validate, test: t.test, seed: t.seed, epochs: t.epochs, batch: t.batch, validates: true };
}

function cacheDir(root: string, key: string): string {
  const candidates = [join(root, 'node_modules', '.cache', 'dnnc'), join(tmpdir(), `dnnc-cache-${process.getuid?.() ?? 'user'}`)];
  for (const base of candidates) {
    try {
      if (base.includes('node_modules') && !existsSync(join(root, 'node_modules'))) continue;
      const dir = join(base, key);
      mkdirSync(dir, { recursive: true });
      return dir;
    } catch {
      // not writable: try the next one
    }
  }
  throw new CliError('cannot create a cache folder for the generated module (tried node_modules/.cache and the temp folder)');
}

/** The module to import among the emitted files: the .js/.mjs named like the .dnn file, else the first one. */
function pickEntry(paths: string[], dnnFile: string): string {
  const js = paths.filter((p) => /\.(m?js)$/.test(p));
  const stem = basename(dnnFile).replace(/\.dnn$/, '');
  const named = js.find((p) => basename(p).replace(/\.m?js$/, '') === stem);
  const entry = named ?? js.find((p) => /index\.m?js$/.test(p)) ?? js[0];
  if (!entry) throw new Error(`the module emitter produced no JavaScript file (got ${paths.map((p) => basename(p)).join(', ') || 'nothing'})`);
  return entry;
}

export type CreateFn = (options?: CreateOptions & { backend?: 'auto' | BackendName }) => Promise<Model | Trainer>;

/** Finds the factory of `model` in a generated module: create<Name>, <Name>.create, or create. */
function findCreate(mod: Record<string, unknown>, model: string, modelCount: number): CreateFn {
  // the emitter appends '_' to names that clash with its own exports (a model called Model)
  const named = mod[`create${model}`] ?? mod[`create${model}_`];
  const ns = (mod[model] ?? mod[`${model}_`]) as Record<string, unknown> | undefined;
  const candidates = [named, ns && typeof ns === 'object' ? ns.create : undefined, modelCount === 1 ? mod.create : undefined];
  for (const c of candidates) if (typeof c === 'function') return c as CreateFn;
  throw new Error(`the generated module exports no factory for model '${model}' (looked for create${model}, ${model}.create, create)`);
}

/** Emits the file's module as JavaScript (cached by content), imports it, and returns the factory of model or trainer `name`. */
export async function loadFactory(compiled: CompiledFile, file: string, name: string): Promise<CreateFn> {
  const root = packageRoot();
  const runtimePath = join(root, 'dist', 'runtime', 'index.js');
  if (!existsSync(runtimePath)) throw new CliError(`the dnnc runtime is not built (${runtimePath} is missing): run npm run build`);
  const emitModule = await loadEmitter();
  const { files } = emitModule(compiled, { emit: 'js', sourceName: basename(file).replace(/\.dnn$/, ''), runtimeImport: pathToFileURL(runtimePath).href });
  const key = createHash('sha256').update(JSON.stringify(files)).digest('hex').slice(0, 16);
  const written = writeFiles(cacheDir(root, key), files);
  const mod = (await import(pathToFileURL(pickEntry(written, file)).href)) as Record<string, unknown>;
  return findCreate(mod, name, compiled.models.length + (compiled.trainers?.length ?? 0));
}
