/**
 * Learning on real digits: .dnn source -> compile -> CPU program -> fit on
 * mnist(split: train) -> accuracy on the 2,000 held-out digits of
 * mnist(split: test). Fixed seeds, so every run gives the same numbers;
 * the thresholds leave room for a change of initialiser or kernel order
 * (measured with the 7,000-digit train split: MLP 0.8995 against 0.88,
 * LeNet-5 against 0.90 and against logistic regression trained the same way).
 * Together about 10 s on a 2-core machine.
 */
import '../../examples/dnnc.data.js'; // the examples' data sets (loans, ring, the sequence sets)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { programFromModel } from '../../codegen/module/plan-model.js';
import { linearVariant } from '../../cli/baselines.js';
import { compileSource } from '../../compiler/compile.js';
import type { CompiledModel } from '../../compiler/compiled.js';
import { loadDataset } from '../../runtime/data/index.js';
import { instantiate } from '../../runtime/index.js';
import type { Dataset, Model } from '../../runtime/types.js';

const MLP = `
model Digits {
  input  image: f32[B, 1, 28, 28]
  output logits: f32[B, 10]
  logits = image |> flatten |> dense(128) |> relu |> dense(10)
}
train Digits {
  data      = mnist(split: train)
  label     : i32[B]
  loss      = cross_entropy(logits, label)
  optimizer = adam(lr: 1e-3)
  batch     = 32
  epochs    = 1
  metrics   = [accuracy(logits, label)]
  validate  = mnist(split: test)
}
`;

const LENET = `
model LeNet {
  input  image: f32[B, 1, 28, 28]
  output logits: f32[B, 10]
  logits = image
    |> conv2d(filters: 6, kernel: 5, padding: same) |> relu |> maxpool(2)
    |> conv2d(filters: 16, kernel: 5) |> relu |> maxpool(2)
    |> flatten
    |> dense(120) |> relu
    |> dense(84)  |> relu
    |> dense(10)
}
train LeNet {
  data      = mnist(split: train)
  label     : i32[B]
  loss      = cross_entropy(logits, label)
  optimizer = adam(lr: 2e-3)
  batch     = 32
  epochs    = 1
  metrics   = [accuracy(logits, label)]
  validate  = mnist(split: test)
}
`;

function compiled(source: string, name: string): CompiledModel {
  const res = compileSource(source, `${name}.dnn`);
  assert.equal(
    res.diagnostics.map((d) => `${d.span.line}:${d.span.col} ${d.code} ${d.message}`),
    [],
  );
  return res.file!.models.find((m) => m.name === name)!;
}

async function setup(source: string, name: string, seed: number): Promise<{ model: Model; train: Dataset; test: Dataset; batch: number }> {
  const m = compiled(source, name);
  const t = m.train!;
  assert.equal(t.data, { name: 'mnist', args: { split: 'train' } });
  assert.equal(t.validate, { name: 'mnist', args: { split: 'test' } });
  const model = await instantiate(programFromModel(m), { seed });
  return { model, train: loadDataset(t.data!, '.'), test: loadDataset(t.validate!, '.'), batch: t.batch };
}

/** the first n samples of a data set (a fraction of an epoch, same order every run) */
function head(d: Dataset, n: number): Dataset {
  const fields: Dataset['fields'] = {};
  for (const [k, f] of Object.entries(d.fields)) {
    const per = f.sampleShape.reduce((a, b) => a * b, 1);
    fields[k] = { ...f, data: f.data.subarray(0, n * per) };
  }
  return { name: `${d.name}[:${n}]`, size: n, fields };
}

test('MLP on mnist: one epoch of 7,000 digits reaches >= 0.88 held-out accuracy', async () => {
  const { model, train, test: held, batch } = await setup(MLP, 'Digits', 1);
  const before = await model.evaluate(held);
  assert.ok(before.accuracy < 0.3, `untrained accuracy ${before.accuracy}`);
  const r = await model.fit(train, { epochs: 1, batchSize: batch, validation: held });
  model.dispose();
  assert.ok(r.metrics.accuracy >= 0.88, `held-out accuracy ${r.metrics.accuracy}`);
  assert.ok(r.metrics.loss < 0.4, `held-out loss ${r.metrics.loss}`);
});

test('MLP on mnist: training is deterministic for a seed', async () => {
  const weights: Record<string, Float32Array>[] = [];
  const losses: number[] = [];
  for (let run = 0; run < 2; run++) {
    const { model, train, batch } = await setup(MLP, 'Digits', 7);
    const r = await model.fit(head(train, 640), { epochs: 1, batchSize: batch });
    losses.push(r.history[0].loss);
    weights.push(model.getWeights());
    model.dispose();
  }
  assert.is(losses[0], losses[1]);
  for (const k of Object.keys(weights[0])) assert.equal(Array.from(weights[0][k]), Array.from(weights[1][k]), k);
});

test('LeNet-5 on mnist: 4,800 samples (0.6 epoch) reach >= 0.90 held-out accuracy, above logistic regression trained the same way', async () => {
  const { model, train, test: held, batch } = await setup(LENET, 'LeNet', 1);
  const r = await model.fit(head(train, 4800), { epochs: 1, batchSize: batch, validation: held });
  model.dispose();
  assert.ok(r.metrics.accuracy >= 0.9, `held-out accuracy ${r.metrics.accuracy}`);
  // the baseline dnnc train prints: the same train block with the network replaced by one dense layer
  const linearSource = linearVariant(LENET, 'LeNet.dnn', compiled(LENET, 'LeNet'));
  assert.ok(linearSource?.includes('logits = image |> flatten |> dense(10)'), linearSource);
  const { model: linear } = await setup(linearSource!, 'LeNet', 1);
  const b = await linear.fit(head(train, 4800), { epochs: 1, batchSize: batch, validation: held });
  linear.dispose();
  assert.ok(r.metrics.accuracy > b.metrics.accuracy + 0.02, `LeNet ${r.metrics.accuracy} vs logistic regression ${b.metrics.accuracy}`);
});

test.run();
