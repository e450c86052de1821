/**
 * Compile a .dnn file in process and instantiate what it defines: the same
 * code `dnnc compile` would write into a module, without the file on disk.
 *
 *   const ae = await loadModel(new URL('./autoencoder.dnn', import.meta.url), 'AutoEncoder', { seed: 1 });
 *   const gan = await loadTrainer(new URL('./dcgan.dnn', import.meta.url), 'GAN', { seed: 1 });
 *
 * In your own app you would rather run `npx dnnc compile model.dnn -o src/generated`
 * once and `import { create } from './generated/model.js'`; the examples compile
 * at start so that editing the .dnn file is all it takes to try a change.
 */
import '../dnnc.data.js'; // the examples' data sets (loans, ring, the sequence sets), as dnnc registers them for the CLI
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { programFromModel, programFromTrainer } from '../../codegen/module/plan-model.js';
import { compileSource, formatDiagnostics, type CompiledFile } from '../../compiler/index.js';
import { instantiate, instantiateTrainer } from '../../runtime/index.js';
import type { CreateOptions, Model, Trainer } from '../../runtime/types.js';

/** Compiles `file` (a path or a file: URL); throws with the formatted diagnostics on errors. */
export function compileDnn(file: string | URL, params?: Record<string, number>, rewrite?: (source: string) => string): CompiledFile {
  const path = typeof file === 'string' ? file : fileURLToPath(file);
  let source = readFileSync(path, 'utf8');
  if (rewrite) source = rewrite(source);
  const r = compileSource(source, path, params ? { params } : {});
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length || !r.file) throw new Error(formatDiagnostics(r.diagnostics, r.sources));
  return r.file;
}

/** A model of a compiled file (with its train block, when it has one). */
export async function modelOf(file: CompiledFile, name: string, options: CreateOptions = {}): Promise<Model> {
  const m = file.models.find((x) => x.name === name);
  if (!m) throw new Error(`no model '${name}'; the file defines ${file.models.map((x) => x.name).join(', ')}`);
  return instantiate(programFromModel(m), options);
}

/** A trainer (a train block with steps or syncs) of a compiled file. */
export async function trainerOf(file: CompiledFile, name: string, options: CreateOptions = {}): Promise<Trainer> {
  const t = (file.trainers ?? []).find((x) => x.name === name);
  if (!t) throw new Error(`no trainer '${name}'; the file's trainers: ${(file.trainers ?? []).map((x) => x.name).join(', ') || 'none'}`);
  return instantiateTrainer(programFromTrainer(t, file.models), options);
}
