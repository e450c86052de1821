/**
 * Labels and integer inputs that do not fit the model: the classes of a loss
 * against the data set's labels at compile time (DNN0041), label and token
 * values at run time with the sample named, non-integers for integer inputs,
 * and f32 labels for cross_entropy (DNN0018, not a broadcasting error).
 */
import '../../examples/dnnc.data.js'; // the examples' data sets (loans, ring, the sequence sets)
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { programFromModel } from '../../codegen/module/plan-model.js';
import { compileSource } from '../../compiler/compile.js';
import { loadCsv } from '../../runtime/data/csv.js';
import { instantiate } from '../../runtime/index.js';
import type { Dataset } from '../../runtime/types.js';

const mnistModel = (classes: number, label = 'label: i32[B]  loss = cross_entropy(logits, label)') => `model M {
  input image: f32[B, 1, 28, 28]
  output logits: f32[B, ${classes}]
  logits = image |> flatten |> dense(${classes})
}
train M {
  data = mnist(split: train)
  ${label}
}`;

test('5 logits against MNIST labels: DNN0041 at the logits, saying how many outputs to give', () => {
  const r = compileSource(mnistModel(5), 'five.dnn');
  assert.equal(r.diagnostics.map((d) => d.code), ['DNN0041']);
  const d = r.diagnostics[0];
  assert.match(d.message, "the logits f32[B, 5] have 5 classes, but the labels come from 'label' of mnist(split: train), which holds class ids 0 to 9");
  assert.is(d.help, 'give the model 10 outputs, e.g. end it with dense(10)');
  assert.is(mnistModel(5).slice(d.span.offset, d.span.offset + 6), 'logits');
});

test('the labels are found by name, as data.label, and as the only train input', () => {
  for (const label of ['label: i32[B]  loss = cross_entropy(logits, label)', 'loss = cross_entropy(logits, data.label)', 'digit: i32[B]  loss = cross_entropy(logits, digit)'])
    assert.equal(compileSource(mnistModel(5, label), 'five.dnn').diagnostics.map((d) => d.code), ['DNN0041'], label);
  assert.equal(compileSource(mnistModel(10), 'ten.dnn').diagnostics, []);
  // more classes than labels is allowed (wasteful, not wrong)
  assert.equal(compileSource(mnistModel(12), 'twelve.dnn').diagnostics, []);
});

test('ring(modes: 3) has 3 classes: 4 logits are fine, 2 are not', () => {
  const src = (n: number) => `model M { input point: f32[B, 2]  output l: f32[B, ${n}]  l = point |> dense(${n}) }
train M { data = ring(split: train, modes: 3)  mode: i32[B]  loss = cross_entropy(l, mode) }`;
  assert.equal(compileSource(src(4), 'r.dnn').diagnostics, []);
  assert.equal(compileSource(src(2), 'r.dnn').diagnostics.map((d) => d.code), ['DNN0041']);
});

test('f32 labels shaped like class ids for cross_entropy: DNN0018 with the fix', () => {
  const r = compileSource(mnistModel(10, 'label: f32[B]  loss = cross_entropy(logits, label)'), 'f.dnn');
  assert.equal(r.diagnostics.map((d) => d.code), ['DNN0018']);
  assert.match(r.diagnostics[0].message, 'look like class ids, but class ids must be i32');
  assert.not.match(r.diagnostics[0].message, 'broadcast');
  assert.is(r.diagnostics[0].help, 'declare the labels as integers, e.g. `label : i32[B]`');
});

const small = `model M { input x: f32[B, 2]  output y: f32[B, 3]  y = x |> dense(3) }
train M { label: i32[B]  loss = cross_entropy(y, label)  batch = 2 }`;

function toy(labels: number[]): Dataset {
  return {
    name: 'toy',
    size: labels.length,
    fields: { x: { dtype: 'f32', sampleShape: [2], data: new Float32Array(labels.length * 2) }, label: { dtype: 'i32', sampleShape: [], data: Int32Array.from(labels) } },
    sampleOrigin: (i) => `row ${i + 10}`,
  };
}

test('a label outside the classes stops fit, naming the sample, the batch and what to do', async () => {
  const m = await instantiate(programFromModel(compileSource(small, 's.dnn').file!.models[0]));
  try {
    await m.fit(toy([0, 1, 2, 1, 7, 0]), { shuffle: false });
    assert.unreachable('no error for label 7');
  } catch (e) {
    assert.is((e as Error).name, 'TrainError');
    assert.match((e as Error).message, "toy: sample 4 (row 14), field 'label', holds 7, which is outside the classes [0, 3) of cross_entropy over 3 classes");
    assert.match((e as Error).message, 'epoch 1, batch 3');
    assert.match((e as Error).message, 'fix the labels');
  }
  // evaluate too
  try {
    await m.evaluate(toy([0, 3]));
    assert.unreachable('no error for label 3');
  } catch (e) {
    assert.match((e as Error).message, "sample 1 (row 11), field 'label', holds 3");
  }
  m.dispose();
});

test('predict-side calls keep the runtime error: trainStep with a bad label names the input and position', async () => {
  const m = await instantiate(programFromModel(compileSource(small, 's.dnn').file!.models[0]));
  try {
    await m.trainStep({ x: new Float32Array(4), label: Int32Array.from([1, -1]) });
    assert.unreachable('no error for label -1');
  } catch (e) {
    assert.is((e as Error).name, 'InputValueError');
    assert.match((e as Error).message, "class id -1 at position 1 of 'label' is outside the classes [0, 3)");
  }
  m.dispose();
});

test('CSV values for an integer input must be integers: the file, line and column are named', async () => {
  const dir = join('test', '.out', 'label-range');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'ints.csv'), 'a,b,y\n1,2,0\n1.5,2.7,1\n3,4,0\n');
  const data = loadCsv({ path: 'ints.csv', label: 'y' }, dir);
  const src = `model M { input features: i32[B, 2]  output y: f32[B, 2]  y = features |> embedding(vocab: 10, dim: 4) |> flatten |> dense(2) }
train M { label: i32[B]  loss = cross_entropy(y, label) }`;
  const m = await instantiate(programFromModel(compileSource(src, 'i.dnn').file!.models[0]));
  try {
    await m.fit(data);
    assert.unreachable('no error for 1.5');
  } catch (e) {
    assert.is((e as Error).name, 'TrainError');
    assert.match((e as Error).message, "csv(ints.csv): sample 1 (ints.csv line 3, column 'a') holds 1.5");
    assert.match((e as Error).message, 'takes integers only');
  }
  // a token id outside the vocabulary, in the same words
  writeFileSync(join(dir, 'oov.csv'), 'a,b,y\n1,2,0\n3,12,1\n');
  try {
    await m.fit(loadCsv({ path: 'oov.csv', label: 'y' }, dir), { shuffle: false });
    assert.unreachable('no error for 12');
  } catch (e) {
    assert.match((e as Error).message, "csv(oov.csv): sample 1 (oov.csv line 3, column 'b'), field 'features', holds 12, which is outside the vocabulary [0, 10)");
  }
  m.dispose();
});

test.run();
