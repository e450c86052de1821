/**
 * Shared by the interop tests (ONNX Runtime, PyTorch): the examples' models
 * compiled, weights that exercise every tensor (no zero biases, running
 * statistics away from 0 and 1), batches of real samples from the
 * examples' data sets, the Python that has the Debian packages, and the
 * size-relative difference the tests bound.
 */
import '../../examples/dnnc.data.js'; // the examples' data sets (loans, ring, the sequence sets)
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { programFromModel } from '../../codegen/module/plan-model.js';
import type { CompiledFile, CompiledModel } from '../../compiler/compiled.js';
import { compileSource } from '../../compiler/compile.js';
import { loadDataset } from '../../runtime/data/index.js';
import { instantiate } from '../../runtime/index.js';
import type { Dataset, Model, TypedArray } from '../../runtime/types.js';
import { rng } from './numeric.js';

export const root = fileURLToPath(new URL('../..', import.meta.url));

/** Compiles examples/<name>/<name>.dnn (or a source text) or throws with its diagnostics. */
export function compileExample(name: string, source?: string): CompiledFile {
  const file = join('examples', name, `${name}.dnn`);
  const text = source ?? readFileSync(join(root, file), 'utf8');
  const r = compileSource(text, file, { sourceDir: join(root, 'examples', name) });
  if (!r.file) throw new Error(`${file}: ${r.diagnostics.map((d) => `${d.span.line}:${d.span.col} ${d.code} ${d.message}`).join('; ')}`);
  return r.file;
}

/**
 * Seeded weights for every tensor: N(0, 0.5/sqrt(fan-in)) for matrices and
 * kernels, U(-0.2, 0.2) for vectors (biases, scales around 1, shifts),
 * running variances in [0.5, 1.5) and running means in [-0.2, 0.2).
 */
export function testWeights(model: CompiledModel, seed: number): Record<string, Float32Array> {
  const r = rng(seed);
  const out: Record<string, Float32Array> = {};
  for (const t of [...model.params, ...model.state]) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    const leaf = t.path.slice(t.path.lastIndexOf('.') + 1);
    const fanIn = t.shape.length > 1 ? n / t.shape[t.shape.length - 1] : 1;
    const std = t.shape.length > 1 ? 0.5 / Math.sqrt(fanIn) + 0.05 : 0.2;
    out[t.path] = Float32Array.from({ length: n }, () => {
      const u = r();
      if (leaf === 'running_var') return 0.5 + u;
      if (leaf === 'scale') return 0.8 + 0.4 * u;
      if (t.shape.length === 1) return (u * 2 - 1) * std;
      // Box-Muller on two draws
      return std * Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * r());
    });
  }
  return out;
}

/** A model of the file on the CPU backend with `weights`. */
export async function cpuModel(model: CompiledModel, weights: Record<string, Float32Array>): Promise<Model> {
  const m = await instantiate(programFromModel(model), { seed: 1 });
  m.setWeights(weights);
  return m;
}

export interface Batch {
  /** per input: flat data and shape */
  [input: string]: { data: TypedArray; shape: number[] };
}

/** `size` samples for the model's inputs: from the train block's validation data where it has the fields, else seeded normals. */
export function sampleBatch(model: CompiledModel, size: number, seed: number, data?: Dataset): Batch {
  const r = rng(seed);
  const out: Batch = {};
  const ds = data ?? (model.train?.validate ? loadDataset(model.train.validate, root) : undefined);
  for (const input of model.inputs) {
    const shape = input.shape.map((d) => (typeof d === 'number' ? d : size));
    const per = shape.slice(1).reduce((a, b) => a * b, 1);
    const field = ds?.fields[input.name];
    if (field) {
      out[input.name] = { data: field.data.slice(0, size * per) as TypedArray, shape };
      continue;
    }
    const n = size * per;
    if (input.dtype !== 'f32') {
      // ids: below the limit an embedding puts on the input
      const below = model.predict.ranges.find((x) => x.input === input.name)?.below ?? 2;
      out[input.name] = { data: Int32Array.from({ length: n }, () => Math.floor(r() * below)), shape };
      continue;
    }
    out[input.name] = { data: Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r())), shape };
  }
  return out;
}

/** max |a - b| / max |a|: the difference relative to the output's scale. */
export function scaledDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(a[i]));
  }
  return Number.isFinite(diff) ? diff / Math.max(scale, 1e-12) : Infinity;
}

/**
 * The Python that has `modules` (Debian's python3-torch / python3-onnx land
 * in the system interpreter, which another python3 on PATH may shadow):
 * $DNNC_PYTHON, then /usr/bin/python3, then python3. Throws naming the
 * packages to install when none has them.
 */
export function findPython(modules: string[]): string {
  const candidates = [process.env.DNNC_PYTHON, '/usr/bin/python3', 'python3'].filter((c): c is string => !!c);
  for (const py of candidates) {
    const r = spawnSync(py, ['-c', `import ${modules.join(', ')}`], { encoding: 'utf8' });
    if (r.status === 0) return py;
  }
  throw new Error(`no Python with ${modules.join(', ')} (tried ${candidates.join(', ')}): install ${modules.map((m) => `python3-${m}`).join(' ')} (apt-get), or set DNNC_PYTHON`);
}
