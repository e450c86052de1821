/** Shared by the cross-backend model tests (webgpu, gpujs): a small model, seeded inputs, compiling a source. */
import '../../examples/dnnc.data.js'; // the examples' data sets (loans, ring, the sequence sets)
import * as assert from 'uvu/assert';
import { compileSource } from '../../compiler/compile.js';
import type { CompiledModel } from '../../compiler/compiled.js';
import type { Model } from '../../runtime/types.js';
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

/** comparisons, logic, where, literals typed by context, dim(B) and predict noise (a fresh draw per call) */
export const LOGIC = `
model Logic {
  input  x: f32[B, 6]
  input  tokens: i32[B, 6]
  output mask: bool[B, 6]
  output y: f32[B, 6]
  output t: i32[B, 6]
  mask = (tokens > 0 and tokens != 3) or not (x < 0.5)
  y = where(mask, x, 0.1 * x) / dim(B) + where(x >= 0, noise(B, 6), 0)
  t = minimum(tokens, 2) + where(tokens == 0, 7, tokens)
}
`;

/** Compare predict of LOGIC on two models over three calls (noise draws anew per call, and per a given seed). */
export async function compareLogic(a: Model, b: Model, close: (got: ArrayLike<number>, want: ArrayLike<number>, label: string) => void): Promise<void> {
  const B = 5;
  const x = { data: floats(B * 6, 3), shape: [B, 6] };
  const next = rng(4);
  const tokens = { data: Int32Array.from({ length: B * 6 }, () => Math.floor(next() * 5)), shape: [B, 6] };
  const ys: number[][] = [];
  for (const [call, seed] of [[1, undefined], [2, undefined], [3, 9]] as const) {
    const p = await a.predict({ x, tokens }, seed === undefined ? undefined : { seed });
    ys.push(Array.from(p.y.data));
    const q = await b.predict({ x, tokens }, seed === undefined ? undefined : { seed });
    for (const k of ['mask', 't']) assert.equal(Array.from(q[k].data), Array.from(p[k].data), `call ${call}: ${k}`);
    close(q.y.data, p.y.data, `call ${call}: y`);
  }
  assert.ok(ys[1].some((v, i) => v !== ys[0][i]), 'the second call draws other noise');
}

export function floats(n: number, seed: number, scale = 1): Float32Array {
  const next = rng(seed);
  return Float32Array.from({ length: n }, () => scale * (2 * next() - 1));
}

export function labels(n: number, classes: number, seed: number): Int32Array {
  const next = rng(seed);
  return Int32Array.from({ length: n }, () => Math.floor(next() * classes));
}
