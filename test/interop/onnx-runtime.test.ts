/**
 * ONNX export checked by ONNX Runtime: every example's predict graph,
 * exported with seeded weights that touch every tensor, runs in
 * onnxruntime-node and equals dnnc's CPU predict within 1e-4 of the
 * output's scale, at two batch sizes (the batch dim stays symbolic), and
 * ONNX's own checker (full_check, with shape inference) accepts each file.
 * A second set of small models covers the ops and layers the examples do
 * not use (GRU/LSTM/RNN variants, batchnorm on sequences, pools, resizes,
 * causal attention over a symbolic length, ...).
 */
import '../../examples/dnnc.data.js'; // the examples' data sets (loans, ring, the sequence sets)
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { CompiledFile, CompiledModel } from '../../compiler/compiled.js';
import { compileSource } from '../../compiler/compile.js';
import { exportOnnx } from '../../interop/onnx/export.js';
import { compileExample, cpuModel, findPython, root, sampleBatch, scaledDiff, testWeights, type Batch } from '../helpers/interop.js';

const out = join(root, 'test', '.out', 'onnx');
const written: string[] = [];
const TOLERANCE = 1e-4;

test.before(() => {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
});

const ORT_TYPE = { f32: 'float32', i32: 'int32', bool: 'bool' } as const;

/** Exports `model`, runs it in ONNX Runtime and in dnnc at each batch size; returns the largest scaled difference. */
async function compare(model: CompiledModel, file: string, batches: number[], data?: (size: number) => Batch): Promise<number> {
  const weights = testWeights(model, 7);
  const res = exportOnnx(model, { weights: new Map(Object.entries(weights)), file, version: 'test' });
  assert.equal(res.diagnostics.map((d) => d.message), [], `${model.name}: diagnostics`);
  const path = join(out, `${model.name}.onnx`);
  writeFileSync(path, res.bytes!);
  written.push(path);
  const session = await ort.InferenceSession.create(res.bytes!);
  const dnnc = await cpuModel(model, weights);
  let worst = 0;
  try {
    for (const size of batches) {
      const batch = data ? data(size) : sampleBatch(model, size, size);
      const feeds: Record<string, ort.Tensor> = {};
      for (const i of model.inputs) feeds[i.name] = new ort.Tensor(ORT_TYPE[i.dtype], batch[i.name].data, batch[i.name].shape);
      const got = await session.run(feeds);
      const want = await dnnc.predict(batch);
      for (const o of model.outputs) {
        const g = got[o.name];
        assert.equal([...g.dims], want[o.name].shape, `${model.name}.${o.name} shape at batch ${size}`);
        const d = scaledDiff(want[o.name].data as ArrayLike<number>, Array.from(g.data as ArrayLike<number | bigint>, Number));
        assert.ok(d <= TOLERANCE, `${model.name}.${o.name} at batch ${size}: ONNX Runtime differs from dnnc by ${d.toExponential(2)} of the output's scale`);
        worst = Math.max(worst, d);
      }
    }
  } finally {
    dnnc.dispose();
    await session.release();
  }
  if (process.env.INTEROP_DEBUG) console.log(`${model.name}: ${worst.toExponential(2)}; layers ${JSON.stringify(res.layers)}`);
  return worst;
}

const model = (f: CompiledFile, name?: string) => (name ? f.models.find((m) => m.name === name)! : f.models[0]);

const EXAMPLES: [string, string?][] = [['mlp'], ['mnist'], ['autoencoder'], ['reverse'], ['adding'], ['forecast'], ['dcgan', 'Generator']];
for (const [name, which] of EXAMPLES)
  test(`ONNX Runtime runs the exported ${name}${which ? ` ${which}` : ''} as dnnc does (batches 1 and 5)`, async () => {
    const f = compileExample(name);
    await compare(model(f, which), f.file, [1, 5]);
  });

test('layers emitted as one ONNX operator: LSTM, GRU, LayerNormalization, BatchNormalization', async () => {
  const kinds = new Map<string, string>();
  for (const [name, which] of EXAMPLES) {
    const f = compileExample(name);
    const m = model(f, which);
    const res = exportOnnx(m, { weights: new Map(Object.entries(testWeights(m, 1))), file: f.file, version: 'test' });
    for (const l of res.layers) kinds.set(l.path, l.as);
  }
  for (const path of ['Adder.lstm_1', 'Forecaster.gru_1', 'Reverser.layernorm_1', 'Generator.batchnorm_1', 'Generator.batchnorm_2']) assert.is(kinds.get(path), 'one operator', path);
});

// models for what the examples leave out; every input of rank > 1 has a symbolic batch
const ZOO = `
model Recurrent {
  input  x: f32[B, 6, 3]
  output y: f32[B, 6, 10]
  output z: f32[B, 8]
  output w: f32[B, 5]
  h = x |> gru(units: 5, bidirectional: true, layers: 2)
  y = h
  z = x |> lstm(units: 4, return: last, bidirectional: true, activation: relu)
  w = x |> rnn(units: 5, return: last) |> batchnorm
}

model Unrolled {
  input  x: f32[B, 4, 3]
  output y: f32[B, 4, 6]
  y = x |> lstm(units: 6, activation: gelu) |> batchnorm |> rmsnorm
}

model Images {
  input  img: f32[B, 2, 9, 9]
  output a: f32[B, 4]
  output b: f32[B, 3, 18, 18]
  output c: f32[B, 2, 12, 12]
  output k: i32[B]
  h = img |> conv2d(filters: 4, kernel: 3, padding: same, dilation: 2) |> elu
          |> avgpool(3, stride: 2, padding: 1) |> batchnorm |> softplus
  a = h |> global_avgpool
  b = img |> upsample(2, mode: bilinear) |> conv2d(filters: 3, kernel: 3, padding: same, groups: 1) |> leaky_relu(0.2)
  c = img |> conv2d_transpose(filters: 2, kernel: 4, stride: 1, padding: 0) |> upsample([1, 1], mode: nearest) |> sigmoid
  k = argmax(a, axis: -1)
}

model Tokens {
  param V = 12, D = 16
  input  tokens: i32[B, T]
  output logits: f32[B, T, 12]
  output first: f32[B, 12]
  h = embedding(tokens, vocab: V, dim: D) + positional(T, D)
  h = h + attention(layernorm(h), heads: 2, causal: true)
  h = h + (h |> layernorm |> dense(2 * D) |> gelu |> dense(D))
  logits = h |> layernorm |> dense(V)
  first = logits[:, 0, :] + one_hot(tokens[:, 0], depth: 12) * 0.5
}

model Arithmetic {
  input  x: f32[B, 6]
  input  y: f32[B, 6]
  output s: f32[B, 12]
  output m: f32[B]
  pos = where(cast(relu(x - y), dtype: "bool"), x, y) - minimum(x, y)
  s = concat([abs(x) + sqrt(square(y) + 1), exp(-square(x)) / (1 + log(1 + square(y)))], axis: 1)
  m = max(pos, axis: -1) + mean(tanh(x) * sign(y), axis: -1) + sum(pow(pos, 2), axis: -1)
}
`;

const ZOO_FILE = 'zoo.dnn';

test('ONNX Runtime runs models with the ops and layers the examples do not use (batches 2 and 3)', async () => {
  const r = compileSource(ZOO, ZOO_FILE);
  assert.equal(r.diagnostics.map((d) => `${d.span.line}:${d.span.col} ${d.message}`), []);
  for (const m of r.file!.models) {
    // token ids of a symbolic length: T = 5 and 7
    const data =
      m.name === 'Tokens'
        ? (size: number): Batch => {
            const T = size + 4;
            return { tokens: { data: Int32Array.from({ length: size * T }, (_, i) => (i * 7 + size) % 12), shape: [size, T] } };
          }
        : undefined;
    await compare(m, ZOO_FILE, [2, 3], data);
  }
});

test('layers ONNX cannot take in dnnc form fall back to their ops, and say why', () => {
  const r = compileSource(ZOO, ZOO_FILE);
  const m = r.file!.models.find((x) => x.name === 'Unrolled')!;
  const res = exportOnnx(m, { weights: new Map(Object.entries(testWeights(m, 1))), file: ZOO_FILE, version: 'test' });
  const lstm = res.layers.find((l) => l.path === 'Unrolled.lstm_1');
  assert.match(lstm?.as ?? '', /its ops \(ONNX's LSTM has no activation 'gelu'/);
});

test("ONNX's checker (full_check) accepts every exported file", () => {
  assert.ok(written.length >= 12, `files written: ${written.length}`);
  const py = findPython(['onnx']);
  const script = 'import sys, onnx\nfor p in sys.argv[1:]:\n    onnx.checker.check_model(onnx.load(p), full_check=True)\n    print("ok", p)';
  const r = spawnSync(py, ['-c', script, ...written], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout.trim().split('\n').length, written.length);
});

test.run();
