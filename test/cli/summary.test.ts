/**
 * `dnnc summary`: per layer, the output shape and parameter count, and the
 * totals, checked against TF.js's countParams() on the same networks built
 * with tf.layers (layer by layer, and in total). Layouts differ (NCHW here,
 * NHWC in TF.js) but the counts do not.
 */
import { spawnSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { compileSource } from '../../compiler/compile.js';
import { formatSummary, summarize } from '../../cli/summary.js';

function summaryOf(source: string) {
  const res = compileSource(source, 'summary.dnn');
  assert.equal(res.diagnostics.map((d) => d.message), []);
  return summarize(res.file!.models[0]);
}

const CNN = `model Cnn {
  input  image: f32[B, 1, 28, 28]
  output logits: f32[B, 10]
  logits = image
    |> conv2d(filters: 8, kernel: 3, padding: same) |> batchnorm |> relu |> maxpool(2)
    |> conv2d_transpose(filters: 4, kernel: 3, stride: 2, padding: same) |> batchnorm
    |> flatten |> dense(32, activation: relu) |> layernorm |> dropout(0.1) |> dense(10)
}
`;

function tfCnn(): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 3, padding: 'same' }),
      tf.layers.batchNormalization(),
      tf.layers.activation({ activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2dTranspose({ filters: 4, kernelSize: 3, strides: 2, padding: 'same' }),
      tf.layers.batchNormalization(),
      tf.layers.flatten(),
      tf.layers.dense({ units: 32, activation: 'relu' }),
      tf.layers.layerNormalization(),
      tf.layers.dropout({ rate: 0.1 }),
      tf.layers.dense({ units: 10 }),
    ],
  });
}

const SEQ = `model Seq {
  input  tokens: i32[B, 16]
  output logits: f32[B, 5]
  logits = tokens |> embedding(vocab: 50, dim: 12) |> lstm(20) |> gru(16) |> rnn(10, return: last) |> dense(5)
}
`;

function tfSeq(): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.embedding({ inputShape: [16], inputDim: 50, outputDim: 12 }),
      tf.layers.lstm({ units: 20, returnSequences: true }),
      // TF.js's GRU is the reset_before form only (one bias); dnnc's is reset_after, Keras's default, with a second, recurrent bias of 3 * units (added below)
      tf.layers.gru({ units: 16, returnSequences: true }),
      tf.layers.simpleRNN({ units: 10 }),
      tf.layers.dense({ units: 5 }),
    ],
  });
}

/** TF.js's per-layer counts, without the layers dnnc writes as functions (activation). */
const tfRows = (m: tf.Sequential) => m.layers.filter((l) => l.getClassName() !== 'Activation').map((l) => l.countParams());

test('a CNN: per-layer and total parameters equal TF.js countParams', () => {
  const s = summaryOf(CNN);
  const ref = tfCnn();
  assert.equal(s.rows.map((r) => r.params), tfRows(ref));
  assert.is(s.total, ref.countParams());
  // batchnorm's running mean and variance: counted, but not trainable
  assert.is(s.nonTrainable, 2 * (8 + 4));
  assert.is(s.trainable + s.nonTrainable, s.total);
  assert.equal(s.rows.map((r) => r.output), ['f32[B, 8, 28, 28]', 'f32[B, 8, 28, 28]', 'f32[B, 8, 14, 14]', 'f32[B, 4, 28, 28]', 'f32[B, 4, 28, 28]', 'f32[B, 3136]', 'f32[B, 32]', 'f32[B, 32]', 'f32[B, 32]', 'f32[B, 10]']);
  assert.equal(s.rows.map((r) => r.name).slice(0, 3), ['conv2d_1', 'batchnorm_1', 'maxpool_1']);
  ref.dispose();
});

test('embedding and recurrent layers: per-layer and total parameters equal TF.js countParams', () => {
  const s = summaryOf(SEQ);
  const ref = tfSeq();
  const gruRecurrentBias = 3 * 16;
  assert.equal(s.rows.map((r) => r.params), tfRows(ref).map((n, i) => (i === 2 ? n + gruRecurrentBias : n)));
  assert.is(s.total, ref.countParams() + gruRecurrentBias);
  assert.equal(s.rows.map((r) => r.output), ['f32[B, 16, 12]', 'f32[B, 16, 20]', 'f32[B, 16, 16]', 'f32[B, 10]', 'f32[B, 5]']);
  ref.dispose();
});

test('blocks, repeat and shared layers: every weight counted once, under its path', () => {
  const s = summaryOf(`block Res(x: f32[B, D]) -> f32[B, D] { return x + (x |> dense(D) |> relu) }
model M {
  input  x: f32[B, 8]
  output y: f32[B, 3]
  h = x |> dense(8, name: shared) |> Res
  repeat 2 as blocks { h = Res(h) }
  y = h |> dense(8, name: shared) |> dense(3)
}
`);
  assert.equal(s.rows.map((r) => [r.name, r.params, !!r.shared]), [
    ['shared', 72, false],
    ['Res_1.dense_1', 72, false],
    ['blocks.0.Res_1.dense_1', 72, false],
    ['blocks.1.Res_1.dense_1', 72, false],
    ['shared', 0, true],
    ['dense_1', 27, false],
  ]);
  assert.is(s.total, 72 * 4 + 27);
});

test('the table and dnnc summary', () => {
  const text = formatSummary(summaryOf(CNN));
  assert.match(text, /^Model: Cnn\n/);
  assert.match(text, /conv2d_1 \(conv2d\)\s+f32\[B, 8, 28, 28\]\s+80\n/);
  assert.match(text, 'Total params: 101,198\nTrainable params: 101,174\nNon-trainable params: 24\n');
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'cli/dnnc.ts', 'summary', 'examples/mnist/mnist.dnn'], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, 'Total params: 61,706');
  const j = spawnSync(process.execPath, ['--import', 'tsx', 'cli/dnnc.ts', 'summary', 'examples/mnist/mnist.dnn', '--json'], { encoding: 'utf8' });
  assert.is(JSON.parse(j.stdout)[0].total, 61706);
});

test.run();
