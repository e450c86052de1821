/** Shared by the cross-backend model tests (webgpu, gpujs): a small model, seeded inputs, compiling a source. */
import * as assert from 'uvu/assert';
import { compileSource } from '../../compiler/compile.js';
import type { CompiledModel } from '../../compiler/compiled.js';
import { rng } from './numeric.js';

/** The model with a train block, else the first one; fails the test on compile errors. */
export function compileModel(source: string, file: string): CompiledModel {
  const res = compileSource(source, file);
  assert.equal(res.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
  return res.file!.models.find((m) => m.train) ?? res.file!.models[0];
}

/** sigmoid, relu and softmax between dense layers, trained with adam */
export const SMALL = `
model Small {
  input  x: f32[B, 6]
  output y: f32[B, 3]
  y = x |> dense(5) |> sigmoid |> dense(4) |> relu |> dense(3) |> softmax
}
train Small {
  label     : i32[B]
  loss      = cross_entropy(y, label)
  optimizer = adam(lr: 0.05)
  batch     = 8
  epochs    = 1
  metrics   = [accuracy(y, label)]
}
`;

export function floats(n: number, seed: number, scale = 1): Float32Array {
  const next = rng(seed);
  return Float32Array.from({ length: n }, () => scale * (2 * next() - 1));
}

export function labels(n: number, classes: number, seed: number): Int32Array {
  const next = rng(seed);
  return Int32Array.from({ length: n }, () => Math.floor(next() * classes));
}
