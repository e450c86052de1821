/**
 * Train blocks are strict: a binding that is neither a field nor a local the
 * block uses is DNN0040 with a suggestion, and every accepted field changes
 * what training does (each test trains with and without the field and sees
 * the difference).
 */
import '../../examples/dnnc.data.js'; // the examples' data sets (loans, ring, the sequence sets)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { programFromModel } from '../../codegen/module/plan-model.js';
import type { CompiledModel } from '../../compiler/compiled.js';
import { compileSource } from '../../compiler/compile.js';
import { TRAIN_FIELD_DOCS, TRAIN_FIELDS } from '../../compiler/lower/train-fields.js';
import { instantiate } from '../../runtime/index.js';
import type { Dataset, Model } from '../../runtime/types.js';
import { validationSpec, testSpec } from '../../cli/module.js';

const MODEL = `model M { input x: f32[B, 3]  output y: f32[B, 2]  y = x |> dense(4) |> relu |> dense(2) }\n`;

function diagnostics(train: string) {
  return compileSource(MODEL + train, 'm.dnn').diagnostics;
}

function compile(train: string): CompiledModel {
  const r = compileSource(MODEL + train, 'm.dnn');
  assert.equal(r.diagnostics.map((d) => d.message), []);
  return r.file!.models[0];
}

test('unknown fields are DNN0040 at the binding, with what they most likely meant', () => {
  const ds = diagnostics(`train M { label: i32[B]  loss = cross_entropy(y, label)  batch_size = 512  class_weight = [1, 5]  accumulate = 4  epoch = 3 }`);
  assert.equal(ds.map((d) => d.code), ['DNN0040', 'DNN0040', 'DNN0040', 'DNN0040']);
  const [batchSize, classWeight, accumulate, epoch] = ds;
  assert.is(batchSize.message, "train block 'M' has no field 'batch_size'; did you mean 'batch'?");
  assert.match(classWeight.help ?? '', 'no class weights');
  assert.match(accumulate.help ?? '', 'no gradient accumulation');
  assert.is(epoch.message, "train block 'M' has no field 'epoch'; did you mean 'epochs'?");
  const src = MODEL + `train M { label: i32[B]  loss = cross_entropy(y, label)  batch_size = 512 }`;
  const d = compileSource(src, 'm.dnn').diagnostics[0];
  assert.is(src.slice(d.span.offset, d.span.offset + 'batch_size'.length), 'batch_size');
});

test('an unknown field is an error in a multi-step block too', () => {
  const src = `model G { input z: f32[B, 2]  output s: f32[B, 2]  s = z |> dense(2) }
model D { input x: f32[B, 2]  output p: f32[B, 1]  p = x |> dense(1) }
train GAN { data = ring(split: train)  z: f32[B, 2]  accumulate = 4
  step d { loss = bce_with_logits(D(data.point), ones) + bce_with_logits(D(G(z)), zeros)  optimizer = adam() on D }
  step g { loss = bce_with_logits(D(G(z)), ones)  optimizer = adam() on G } }`;
  assert.equal(compileSource(src, 'gan.dnn').diagnostics.map((d) => d.code), ['DNN0040']);
});

test('a local value the block uses is not a field and is fine; an unused one is an error', () => {
  compile(`train M { label: i32[B]  rate = 0.01  loss = cross_entropy(y, label)  optimizer = sgd(lr: rate) }`);
  assert.equal(diagnostics(`train M { label: i32[B]  rate = 0.01  loss = cross_entropy(y, label) }`).map((d) => d.code), ['DNN0040']);
});

test('misnomers of optimizer arguments point at the optimizer', () => {
  const [d] = diagnostics(`train M { label: i32[B]  loss = cross_entropy(y, label)  learning_rate = 0.1 }`);
  assert.is(d.code, 'DNN0040');
  assert.match(d.help ?? '', 'optimizer = adam(lr: 0.001)');
});

test('the class-weight recipe in the help compiles', () => {
  compile(`train M { label: i32[B]  w: f32[B]  loss = mean(w * -sum(one_hot(label, 2) * log_softmax(y), axis: -1)) }`);
});

test('every field is documented', () => {
  assert.equal(Object.keys(TRAIN_FIELD_DOCS).sort(), [...TRAIN_FIELDS].sort());
});

// ---------------------------------------------------------------- effects

const BASE = `label: i32[B]  loss = cross_entropy(y, label)`;

function toy(n: number): Dataset {
  const x = Float32Array.from({ length: n * 3 }, (_, i) => Math.sin(i * 1.7));
  const label = Int32Array.from({ length: n }, (_, i) => (x[3 * i] > 0 ? 1 : 0));
  return { name: 'toy', size: n, fields: { x: { dtype: 'f32', sampleShape: [3], data: x }, label: { dtype: 'i32', sampleShape: [], data: label } } };
}

async function model(train: string, seed?: number): Promise<Model> {
  return instantiate(programFromModel(compile(`train M { ${train} }`)), seed === undefined ? {} : { seed });
}

/** How far one training step moves the weights. */
async function stepSize(train: string): Promise<number> {
  const m = await model(train, 3);
  const before = m.getWeights();
  const data = toy(8);
  await m.trainStep({ x: data.fields.x.data, label: data.fields.label.data });
  const after = m.getWeights();
  let sum = 0;
  for (const k of Object.keys(before)) for (let i = 0; i < before[k].length; i++) sum += (after[k][i] - before[k][i]) ** 2;
  m.dispose();
  return Math.sqrt(sum);
}

test('batch: the number of steps per epoch', async () => {
  const count = async (train: string) => {
    const m = await model(train);
    let batches = 0;
    await m.fit(toy(40), { onBatch: () => void batches++ });
    m.dispose();
    return batches;
  };
  assert.is(await count(BASE), 2); // 32 by default
  assert.is(await count(`${BASE}  batch = 8`), 5);
});

test('epochs: the passes fit makes', async () => {
  const m = await model(`${BASE}  epochs = 3`);
  assert.is((await m.fit(toy(16))).history.length, 3);
  m.dispose();
  const d = await model(BASE);
  assert.is((await d.fit(toy(16))).history.length, 1);
  d.dispose();
});

test('seed: the initial weights', async () => {
  const w = async (train: string) => {
    const m = await model(train);
    const out = m.getWeights()['M.dense_1.weight'];
    m.dispose();
    return Array.from(out);
  };
  assert.equal(await w(`${BASE}  seed = 5`), await w(`${BASE}  seed = 5`));
  assert.not.equal(await w(`${BASE}  seed = 5`), await w(`${BASE}  seed = 6`));
});

test('optimizer, schedule and clip: the size of a step', async () => {
  const plain = await stepSize(`${BASE}  optimizer = sgd(lr: 0.1)`);
  assert.ok(plain > 0);
  assert.ok(Math.abs((await stepSize(`${BASE}  optimizer = sgd(lr: 0.2)`)) / plain - 2) < 1e-3, 'twice the learning rate, twice the step');
  assert.ok((await stepSize(`${BASE}  optimizer = sgd(lr: 0.1)  schedule = warmup(warmup: 100)`)) < plain / 50, 'step 1 of a 100-step warm-up');
  assert.ok(Math.abs((await stepSize(`${BASE}  optimizer = sgd(lr: 0.1)  clip = norm(1e-3)`)) - 0.1 * 1e-3) < 1e-6, 'a clipped gradient of norm 1e-3');
});

test('metrics: reported by every step and epoch', async () => {
  const m = await model(`${BASE}  metrics = [accuracy(y, label)]`);
  const r = await m.fit(toy(16));
  assert.equal(Object.keys(r.history[0].metrics), ['accuracy']);
  m.dispose();
});

test('data, validate and test: the sets dnnc train reads', () => {
  const t = compile(`train M { data = loans(split: train)  validate = loans(split: test, size: 100)  test = loans(split: validation, size: 50)  ${BASE} }`).train!;
  assert.equal(t.data, { name: 'loans', args: { split: 'train' } });
  assert.equal(validationSpec(t.data, t.validate), { name: 'loans', args: { split: 'test', size: 100 } });
  assert.equal(testSpec(t.data, t.test), { name: 'loans', args: { split: 'validation', size: 50 } });
  const d = compile(`train M { data = loans(split: train)  ${BASE} }`).train!;
  assert.equal(validationSpec(d.data, d.validate), { name: 'loans', args: { split: 'validation' } });
  assert.equal(testSpec(d.data, d.test), { name: 'loans', args: { split: 'test' } });
});

test('loss: what the optimizer minimises', async () => {
  // the same model and data, two losses: different steps
  const a = await stepSize(`${BASE}  optimizer = sgd(lr: 0.1)`);
  const b = await stepSize(`label: i32[B]  loss = mean(square(y))  optimizer = sgd(lr: 0.1)`);
  assert.not.equal(a, b);
});

test.run();
