/**
 * The `dnnc/compiler` package entry: compile .dnn source in process, and
 * either emit the typed module (what `dnnc compile` writes) or instantiate a
 * live model or trainer directly, without writing files (what `dnnc train`
 * does). It pulls in the compiler (chevrotain, ts-morph); apps that only run
 * generated modules import the light runtime, `dnnc`, instead.
 *
 *   import { instantiateSource } from 'dnnc/compiler';
 *   const model = await instantiateSource(source, { file: 'mlp.dnn', backend: 'cpu', seed: 1 });
 */
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { compileSource, type CompileOptions } from '../compiler/compile.js';
import type { CompiledFile, CompiledModel } from '../compiler/compiled.js';
import { formatDiagnostics, type Diagnostic } from '../compiler/diagnostics.js';
import { instantiate } from '../runtime/model.js';
import { instantiateTrainer } from '../runtime/trainer.js';
import { loadDataModule } from '../runtime/data/module.js';
import type { CreateOptions, Model, Trainer } from '../runtime/types.js';
import { programFromModel, programFromTrainer } from './module/plan-model.js';

export * from '../compiler/index.js';
export { emitModule, type EmitOptions, type EmitResult } from './module/emit.js';
export { programFromModel, programFromTrainer } from './module/plan-model.js';

/** The source did not compile: `message` is the formatted diagnostics (file:line:col, code, caret), `diagnostics` the data. */
export class CompileError extends Error {
  constructor(
    message: string,
    readonly diagnostics: Diagnostic[],
  ) {
    super(message);
    this.name = 'CompileError';
  }
}

export interface CompileToOptions extends CompileOptions {
  /** the file name diagnostics are reported against (default 'model.dnn') */
  file?: string;
}

/** Compiles `source`; throws a CompileError with the formatted diagnostics when it has errors. */
export function compileOrThrow(source: string, options: CompileToOptions = {}): CompiledFile {
  const { file = 'model.dnn', ...compile } = options;
  const result = compileSource(source, file, compile);
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0 || !result.file) throw new CompileError(formatDiagnostics(result.diagnostics, result.sources), result.diagnostics);
  return result.file;
}

export interface InstantiateSourceOptions extends CompileToOptions, CreateOptions {
  /** which model of the file (default: the only one, else the one with a train block) */
  model?: string;
}

function pickModel(compiled: CompiledFile, name: string | undefined): CompiledModel {
  const names = compiled.models.map((m) => m.name).join(', ');
  if (name !== undefined) {
    const m = compiled.models.find((x) => x.name === name);
    if (!m) throw new Error(`'${compiled.file}' has no model '${name}'; its models: ${names}`);
    return m;
  }
  if (compiled.models.length === 1) return compiled.models[0];
  const trained = compiled.models.filter((m) => m.train);
  if (trained.length === 1) return trained[0];
  throw new Error(`'${compiled.file}' has several models (${names}): pick one with the option model: NAME`);
}

function split(options: InstantiateSourceOptions): [CompileToOptions, CreateOptions] {
  const { file, params, sourceDir, verify, model: _model, ...create } = options;
  return [{ file, params, sourceDir, verify }, create];
}

/** Compiles `source` and instantiates one of its models in this process (no module is written). */
export async function instantiateSource(source: string, options: InstantiateSourceOptions = {}): Promise<Model> {
  const [compile, create] = split(options);
  const model = pickModel(compileOrThrow(source, compile), options.model);
  return instantiate(programFromModel(model), create);
}

/** The same for a .dnn file (data paths in it are relative to its folder; its project's data module is imported first: runtime/data/module.ts). */
export async function instantiateFile(path: string, options: Omit<InstantiateSourceOptions, 'file'> = {}): Promise<Model> {
  await loadDataModule(path);
  return instantiateSource(readFileSync(path, 'utf8'), { sourceDir: dirname(path), ...options, file: path });
}

/** Compiles `source` and instantiates its named multi-model train block (steps or syncs) in this process. */
export async function instantiateTrainerSource(source: string, name: string, options: Omit<InstantiateSourceOptions, 'model'> = {}): Promise<Trainer> {
  const [compile, create] = split(options);
  const compiled = compileOrThrow(source, compile);
  const spec = (compiled.trainers ?? []).find((t) => t.name === name);
  if (!spec) throw new Error(`'${compiled.file}' has no train block named '${name}'; its train blocks: ${(compiled.trainers ?? []).map((t) => t.name).join(', ') || 'none'}`);
  return instantiateTrainer(programFromTrainer(spec, compiled.models), create);
}
