/**
 * PyTorch export checked with PyTorch (Debian's python3-torch): every
 * example's exported module, given the same seeded weights, computes what
 * dnnc's predict computes (within 1e-4 of the output's scale), and for the
 * models with a train block three optimizer steps of the exported trainer
 * (its loss, clipping, torch.optim optimizer and dnnc's schedule) leave the
 * weights where dnnc's trainStep leaves them (1e-4 of each tensor's scale).
 * One Python process runs every package (test/interop/torch_check.py).
 *
 * The Transformer (reverse) is checked in the forward only: its attention's
 * key bias gets a zero gradient in exact arithmetic (softmax ignores a shift
 * shared by all keys), and Adam turns the rounding noise of that gradient
 * into full-size steps whose signs no two implementations share.
 */
import '../../examples/dnnc.data.js'; // the examples' data sets (loans, ring, the sequence sets)
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { CompiledFile, CompiledModel } from '../../compiler/compiled.js';
import { compileSource } from '../../compiler/compile.js';
import { pytorchPackage } from '../../interop/pytorch/export.js';
import { loadDataset } from '../../runtime/data/index.js';
import { readSafetensors, writeSafetensors, type TensorToWrite } from '../../runtime/safetensors.js';
import { mapFields } from '../../runtime/train.js';
import type { TypedArray } from '../../runtime/types.js';
import { compileExample, cpuModel, findPython, root, sampleBatch, scaledDiff, testWeights, type Batch } from '../helpers/interop.js';

const out = join(root, 'test', '.out', 'pytorch');
const TOLERANCE = 1e-4;
const STEPS = 3;

interface Job {
  package: string;
  model: string;
  weights: string;
  inputs: string;
  out: string;
  steps: number;
}

interface Case {
  label: string;
  file: CompiledFile;
  model: CompiledModel;
  weights: Record<string, Float32Array>;
  batch: Batch;
  job: Job;
}

const cases: Case[] = [];

function write(path: string, content: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
}

const FILE_DTYPE = { f32: 'F32', i32: 'I32', bool: 'U8' } as const;

function batchFile(batch: Batch, path: string): void {
  const tensors: TensorToWrite[] = Object.entries(batch).map(([name, t]) => ({
    name,
    dtype: t.data instanceof Int32Array ? 'I32' : t.data instanceof Uint8Array ? 'U8' : 'F32',
    shape: t.shape,
    data: t.data as Float32Array | Int32Array | Uint8Array,
  }));
  write(path, writeSafetensors(tensors));
}

/** The first `size` samples of the train block's data set: inputs and train inputs. */
function trainBatch(model: CompiledModel, size: number): Batch {
  const t = model.train!;
  const data = loadDataset(t.data!, root);
  const mapping = mapFields({ inputs: model.inputs, outputs: model.outputs, trainInputs: t.trainInputs }, data);
  const batch: Batch = {};
  for (const [input, field] of Object.entries(mapping)) {
    const f = data.fields[field];
    const per = f.sampleShape.reduce((a, b) => a * b, 1);
    batch[input] = { data: f.data.slice(0, size * per) as TypedArray, shape: [size, ...f.sampleShape] };
  }
  return batch;
}

/** Exports `file` into test/.out/pytorch/<label> with seeded weights, and plans a job for `model`. */
function plan(label: string, file: CompiledFile, model: CompiledModel, source: string, steps: number): void {
  const weights = testWeights(model, 11);
  const dir = join(out, label);
  const pkg = pytorchPackage(file, { file: file.file, source, weights: (m) => new Map(Object.entries(m === model ? weights : testWeights(m, 11))), version: 'test', data: false, ...(model.train ? { model: model.name } : {}) });
  assert.equal(pkg.diagnostics.map((d) => d.message), [], label);
  for (const f of pkg.files) write(join(dir, f.name), f.content);
  const batch = steps ? trainBatch(model, 8) : sampleBatch(model, 3, 5);
  batchFile(batch, join(dir, 'check', 'inputs.safetensors'));
  cases.push({
    label,
    file,
    model,
    weights,
    batch,
    job: { package: dir, model: model.name, weights: join(dir, 'weights', `${model.name}.safetensors`), inputs: join(dir, 'check', 'inputs.safetensors'), out: join(dir, 'check', `out-${steps}.safetensors`), steps },
  });
}

// models for what the examples leave out (as in the ONNX test)
const ZOO = `
model Recurrent {
  input  x: f32[B, 6, 3]
  output y: f32[B, 6, 10]
  output z: f32[B, 8]
  output w: f32[B, 5]
  y = x |> gru(units: 5, bidirectional: true, layers: 2)
  z = x |> lstm(units: 4, return: last, bidirectional: true, activation: relu)
  w = x |> rnn(units: 5, return: last) |> batchnorm
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
  b = img |> upsample(2, mode: bilinear) |> conv2d(filters: 3, kernel: 3, padding: same, activation: relu) |> leaky_relu(0.2)
  c = img |> conv2d_transpose(filters: 2, kernel: 4, stride: 1, padding: 0) |> maxpool(3, stride: 1, padding: same) |> sigmoid
  k = argmax(a, axis: -1)
}

model Tokens {
  param V = 12, D = 16
  input  tokens: i32[B, 10]
  output logits: f32[B, 10, 12]
  h = embedding(tokens, vocab: V, dim: D) + positional(10, D)
  h = h + attention(rmsnorm(h), heads: 2, causal: true)
  h = h + (h |> layernorm |> dense(2 * D, activation: gelu) |> dense(D))
  logits = h |> layernorm |> dense(V) |> log_softmax
}
`;

// uvu reports a failing before hook with no message: print it
test.before(() => {
  try {
    prepare();
  } catch (e) {
    console.error(e);
    throw e;
  }
});

function prepare(): void {
  rmSync(out, { recursive: true, force: true });
  for (const name of ['mlp', 'mnist', 'autoencoder', 'reverse', 'adding', 'forecast', 'dcgan']) {
    const source = readFileSync(join(root, 'examples', name, `${name}.dnn`), 'utf8');
    const file = compileExample(name);
    const model = name === 'dcgan' ? file.models.find((m) => m.name === 'Generator')! : file.models[0];
    plan(`${name}-forward`, file, model, source, 0);
    if (['mlp', 'mnist', 'adding', 'forecast'].includes(name)) plan(`${name}-step`, file, model, source, STEPS);
  }
  const zoo = compileSource(ZOO, 'zoo.dnn');
  assert.equal(zoo.diagnostics.map((d) => `${d.span.line}:${d.span.col} ${d.message}`), []);
  for (const m of zoo.file!.models) plan(`zoo-${m.name}`, zoo.file!, m, ZOO, 0);
  // one Python process for every package
  const jobs = join(out, 'jobs.json');
  write(jobs, JSON.stringify(cases.map((c) => c.job)));
  const r = spawnSync(findPython(['torch', 'numpy']), [join(root, 'test', 'interop', 'torch_check.py'), jobs], { encoding: 'utf8', timeout: 300_000 });
  assert.is(r.status, 0, `torch_check.py failed:\n${r.stderr}`);
}

const read = (path: string) => readSafetensors(readFileSync(path), path).tensors;

test('the exported modules compute what dnnc predicts (every example, and more layers)', async () => {
  for (const c of cases.filter((x) => x.job.steps === 0)) {
    const got = read(c.job.out);
    const dnnc = await cpuModel(c.model, c.weights);
    try {
      const want = await dnnc.predict(c.batch);
      for (const o of c.model.outputs) {
        const g = got.get(o.name);
        assert.ok(g, `${c.label}: PyTorch gave no '${o.name}'`);
        assert.equal(g!.shape, want[o.name].shape, `${c.label}.${o.name} shape`);
        const d = scaledDiff(want[o.name].data as ArrayLike<number>, g!.data);
        if (process.env.INTEROP_DEBUG) console.log(`${c.label}.${o.name}: ${d.toExponential(2)}`);
        assert.ok(d <= TOLERANCE, `${c.label}.${o.name}: PyTorch differs from dnnc by ${d.toExponential(2)} of the output's scale`);
      }
    } finally {
      dnnc.dispose();
    }
  }
});

test(`${STEPS} optimizer steps of the exported trainer update the weights as dnnc's trainStep does (mlp, mnist, adding, forecast)`, async () => {
  const stepped = cases.filter((x) => x.job.steps > 0);
  assert.is(stepped.length, 4);
  for (const c of stepped) {
    const got = read(c.job.out);
    const dnnc = await cpuModel(c.model, c.weights);
    try {
      const losses: number[] = [];
      for (let i = 0; i < STEPS; i++) losses.push((await dnnc.trainStep(c.batch)).loss);
      const torchLosses = Array.from(got.get('__losses__')!.data);
      assert.ok(scaledDiff(losses, torchLosses) <= TOLERANCE, `${c.label}: losses ${losses} vs PyTorch ${torchLosses}`);
      const after = dnnc.getWeights();
      let worst = 0;
      for (const [path, w] of Object.entries(after)) {
        const t = got.get(path);
        assert.ok(t, `${c.label}: PyTorch wrote no '${path}'`);
        const d = scaledDiff(w, t!.data);
        worst = Math.max(worst, d);
        assert.ok(d <= TOLERANCE, `${c.label}: '${path}' after ${STEPS} steps differs from dnnc's by ${d.toExponential(2)} of its scale`);
        // the steps moved it (a check that compares unchanged weights would prove nothing)
        if (c.model.params.some((p) => p.path === path)) assert.ok(scaledDiff(c.weights[path], w) > 1e-6, `${c.label}: '${path}' did not move`);
      }
      if (process.env.INTEROP_DEBUG) console.log(`${c.label}: weights ${worst.toExponential(2)}, losses ${losses.map((l) => l.toFixed(5))}`);
    } finally {
      dnnc.dispose();
    }
  }
});

test.run();
