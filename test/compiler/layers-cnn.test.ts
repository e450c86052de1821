/**
 * CNN layers in .dnn: conv2d, maxpool, avgpool, global_avgpool, batchnorm,
 * dropout. LeNet-5 as written in the language sketch compiles with the right
 * shape after every layer; padding modes give the documented extents;
 * batchnorm keeps running statistics as model state, moved by training steps
 * only and used by predict; dropout is the identity outside training and
 * masks about `rate` of the elements in a step, reproducibly; autodiff
 * through conv + pool + batchnorm matches finite differences; bad inputs get
 * located diagnostics.
 */
import '../../examples/dnnc.data.js'; // the examples' data sets (loans, ring, the sequence sets)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileSource } from '../../compiler/compile.js';
import type { CompiledModel } from '../../compiler/compiled.js';
import { shapeToString } from '../../compiler/dims.js';
import { evaluate } from '../../compiler/interp.js';
import type { Graph, Value } from '../../compiler/ir.js';
import type { RefTensor } from '../../compiler/ops/types.js';
import { programFromModel } from '../../codegen/module/plan-model.js';
import { instantiate } from '../../runtime/index.js';
import { checkStepGradients, rng, scalar, tensor } from '../helpers/numeric.js';


function compileOk(src: string, file = 'cnn.dnn'): CompiledModel {
  const res = compileSource(src, file, { verify: true });
  assert.equal(res.diagnostics.map((d) => `${d.span.line}:${d.span.col} ${d.code} ${d.message}`), []);
  return res.file!.models[0];
}

/** Output shapes of the nodes of `ops`, in graph order, as text. */
function shapesOf(g: Graph, ops: string[]): string[] {
  return g.nodes.filter((n) => ops.includes(n.op)).map((n) => `${n.op} ${shapeToString(n.outputs[0].type.shape)}`);
}

const LENET = `
// examples/mnist/lenet.dnn
model LeNet {
  input  image: f32[B, 1, 28, 28]      // B is a symbolic dim: any batch size
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
  label     : i32[B]
  loss      = cross_entropy(logits, label)
  optimizer = adam(lr: 1e-3)
  batch     = 64
}
`;

test('LeNet-5 from the language sketch compiles; shapes after every layer', () => {
  const m = compileOk(LENET, 'lenet.dnn');
  const layers = shapesOf(m.predict, ['conv2d', 'maxpool2d', 'reshape', 'matmul']).filter((s) => !/^reshape \[(6|16), 1, 1\]/.test(s));
  assert.equal(layers, [
    'conv2d [B, 6, 28, 28]',
    'maxpool2d [B, 6, 14, 14]',
    'conv2d [B, 16, 10, 10]',
    'maxpool2d [B, 16, 5, 5]',
    'reshape [B, 400]',
    'matmul [B, 120]',
    'matmul [B, 84]',
    'matmul [B, 10]',
  ]);
  const params = Object.fromEntries(m.params.map((p) => [p.path, p.shape]));
  assert.equal(params['LeNet.conv2d_1.weight'], [6, 1, 5, 5]);
  assert.equal(params['LeNet.conv2d_1.bias'], [6]);
  assert.equal(params['LeNet.conv2d_2.weight'], [16, 6, 5, 5]);
  assert.equal(params['LeNet.dense_1.weight'], [400, 120]);
  assert.equal(m.params.find((p) => p.path === 'LeNet.conv2d_2.weight')!.init, { kind: 'he_normal', fanIn: 150, fanOut: 400 });
  // the step computes dW for both convolutions and dx only where it is needed
  const ops = m.train!.step.nodes.map((n) => n.op);
  assert.is(ops.filter((o) => o === 'conv2d_backprop_filter').length, 2);
  assert.is(ops.filter((o) => o === 'conv2d_backprop_input').length, 1);
  assert.is(ops.filter((o) => o === 'maxpool2d_grad').length, 2);
});

test('LeNet-5 trains on the CPU backend: predict shape, the loss falls on a fixed batch', async () => {
  const m = compileOk(LENET, 'lenet.dnn');
  const model = await instantiate(programFromModel(m), { seed: 3 });
  const r = rng(5);
  const B = 8;
  const image = Float32Array.from({ length: B * 784 }, () => r());
  const label = Int32Array.from({ length: B }, (_, i) => i % 10);
  const out = await model.predict({ image: { data: image, shape: [B, 1, 28, 28] } });
  assert.equal(out.logits.shape, [B, 10]);
  const first = (await model.trainStep({ image: { data: image, shape: [B, 1, 28, 28] }, label: { data: label, shape: [B] } })).loss;
  let last = first;
  for (let i = 0; i < 15; i++) last = (await model.trainStep({ image: { data: image, shape: [B, 1, 28, 28] }, label: { data: label, shape: [B] } })).loss;
  assert.ok(Number.isFinite(first) && last < first * 0.7, `loss ${first} -> ${last}`);
});

test('padding: same / valid / explicit, strides, dilation, groups, pooling and global pooling shapes', () => {
  const m = compileOk(`
model P {
  input  x: f32[B, 3, 32, 32]
  output a: f32[B, 8, 32, 32]
  output b: f32[B, 8, 16, 16]
  output c: f32[B, 8, 30, 30]
  output d: f32[B, 8, 32, 34]
  output e: f32[B, 8, 32, 34]
  output f: f32[B, 6, 28, 28]
  output g: f32[B, 8, 31, 32]
  output h: f32[B, 3, 16, 16]
  output i: f32[B, 3, 11, 11]
  output j: f32[B, 3, 16, 16]
  output k: f32[B, 3]
  output l: f32[B, 8, 12, 15]
  a = x |> conv2d(filters: 8, kernel: 3, padding: same)
  b = x |> conv2d(filters: 8, kernel: 3, stride: 2, padding: same)
  c = x |> conv2d(filters: 8, kernel: 3)
  d = x |> conv2d(filters: 8, kernel: 3, padding: [1, 2])
  e = x |> conv2d(filters: 8, kernel: 3, padding: [0, 1, 2, 3])
  f = x |> conv2d(filters: 6, kernel: 3, dilation: 2, groups: 3)
  g = x |> conv2d(filters: 8, kernel: [2, 4], padding: [0, 1, 0, 2])
  h = x |> maxpool(2)
  i = x |> maxpool(3, stride: 3, padding: same)
  j = x |> avgpool(size: 3, stride: 2, padding: same)
  k = x |> global_avgpool
  l = x |> conv2d(filters: 8, kernel: [5, 3], stride: [2, 2], dilation: [2, 1])
}`);
  const params = Object.fromEntries(m.params.map((p) => [p.path, p.shape]));
  assert.equal(params['P.conv2d_6.weight'], [6, 1, 3, 3], 'groups: weight [F, C/groups, KH, KW]');
  const conv = m.predict.nodes.filter((n) => n.op === 'conv2d');
  assert.equal(conv[0].attrs.pads, [1, 1, 1, 1]);
  assert.equal(conv[1].attrs.pads, [0, 0, 1, 1], "same with stride 2: the odd pixel goes at the end (TF's rule)");
  assert.equal(conv[3].attrs.pads, [1, 2, 1, 2]);
});

const BN = `
model N {
  input  x: f32[B, 2, 3, 3]
  output y: f32[B, 2, 3, 3]
  y = x |> batchnorm(momentum: 0.8)
}
train N {
  t: f32[B, 2, 3, 3]
  loss = mse(y, t)
  optimizer = sgd(lr: 0.1)
}`;

test('batchnorm: running statistics are model state, moved in the train step only; predict uses them', () => {
  const m = compileOk(BN);
  assert.equal(m.state.map((s) => [s.path, s.shape, s.init.kind]), [
    ['N.batchnorm_1.running_mean', [2], 'zeros'],
    ['N.batchnorm_1.running_var', [2], 'ones'],
  ]);
  assert.equal(m.predict.updates, [], 'predict updates nothing');
  assert.equal(m.train!.evaluate.updates, [], 'evaluate updates nothing');
  const r = rng(11);
  const x = tensor([4, 2, 3, 3], r);
  for (let i = 0; i < x.data.length; i++) x.data[i] = x.data[i] * 2 + (Math.floor(i / 9) % 2 === 0 ? 3 : -1);
  const params = { 'N.batchnorm_1.scale': { dtype: 'f32', shape: [2], data: Float64Array.of(1.5, 0.5) } as RefTensor, 'N.batchnorm_1.shift': { dtype: 'f32', shape: [2], data: Float64Array.of(0.1, -0.2) } as RefTensor };
  const state = { 'N.batchnorm_1.running_mean': { dtype: 'f32', shape: [2], data: Float64Array.of(0.5, -0.5) } as RefTensor, 'N.batchnorm_1.running_var': { dtype: 'f32', shape: [2], data: Float64Array.of(2, 4) } as RefTensor };
  // batch statistics per channel
  const mean = [0, 0];
  const vari = [0, 0];
  for (let i = 0; i < x.data.length; i++) mean[Math.floor(i / 9) % 2] += x.data[i] / 36;
  for (let i = 0; i < x.data.length; i++) vari[Math.floor(i / 9) % 2] += (x.data[i] - mean[Math.floor(i / 9) % 2]) ** 2 / 36;
  const step = evaluate(m.train!.step, { inputs: { x, t: tensor([4, 2, 3, 3], r), lr: scalar(0.1), step: scalar(1) }, params, state });
  const rm = step.updates['N.batchnorm_1.running_mean'].data;
  const rv = step.updates['N.batchnorm_1.running_var'].data;
  for (let c = 0; c < 2; c++) {
    assert.ok(Math.abs(rm[c] - (0.8 * state['N.batchnorm_1.running_mean'].data[c] + 0.2 * mean[c])) < 1e-12, `running mean ${c}`);
    assert.ok(Math.abs(rv[c] - (0.8 * state['N.batchnorm_1.running_var'].data[c] + 0.2 * vari[c])) < 1e-12, `running var ${c}`);
  }
  // predict: (x - running mean) / sqrt(running var + eps) * scale + shift, per sample (a batch of one gives the same)
  const y = evaluate(m.predict, { inputs: { x }, params, state }).outputs.y.data;
  for (let i = 0; i < x.data.length; i++) {
    const c = Math.floor(i / 9) % 2;
    const want = ((x.data[i] - state['N.batchnorm_1.running_mean'].data[c]) / Math.sqrt(state['N.batchnorm_1.running_var'].data[c] + 1e-5)) * params['N.batchnorm_1.scale'].data[c] + params['N.batchnorm_1.shift'].data[c];
    assert.ok(Math.abs(y[i] - want) < 1e-12, `y[${i}] ${y[i]} vs ${want}`);
  }
});

test('batchnorm on the CPU backend: trainStep moves the running statistics, predict does not', async () => {
  const m = compileOk(BN);
  const model = await instantiate(programFromModel(m), { seed: 1 });
  const w0 = model.getWeights();
  assert.equal(Array.from(w0['N.batchnorm_1.running_mean']), [0, 0]);
  const r = rng(2);
  const x = Float32Array.from({ length: 4 * 18 }, (_, i) => r() + (Math.floor(i / 9) % 2 === 0 ? 2 : -3));
  await model.predict({ x: { data: x, shape: [4, 2, 3, 3] } });
  assert.equal(Array.from(model.getWeights()['N.batchnorm_1.running_mean']), [0, 0], 'predict leaves the statistics alone');
  await model.trainStep({ x: { data: x, shape: [4, 2, 3, 3] }, t: { data: new Float32Array(72), shape: [4, 2, 3, 3] } });
  const rm = model.getWeights()['N.batchnorm_1.running_mean'];
  let m0 = 0;
  for (let i = 0; i < 72; i++) if (Math.floor(i / 9) % 2 === 0) m0 += x[i] / 36;
  assert.ok(Math.abs(rm[0] - 0.2 * m0) < 1e-5, `running mean ${rm[0]} vs ${0.2 * m0}`);
  assert.ok(rm[1] < -0.4, `running mean of channel 1 ${rm[1]}`);
});

const DROP = `
model D {
  input  x: f32[B, 50]
  output y: f32[B, 50]
  output w: f32[B, 50]
  y = x |> dropout(rate: 0.3)
  z = x |> dropout(0.3)
  w = y * z |> dense(50)
}
train D {
  t: f32[B, 50]
  loss = mse(w, t)
  optimizer = sgd(lr: 0.1)
}`;

test('dropout: identity in predict and evaluate; in a step it masks about rate and rescales, reproducibly', () => {
  const m = compileOk(DROP);
  assert.not.ok(m.predict.nodes.some((n) => n.op === 'random_uniform'), 'no randomness in predict');
  assert.not.ok(m.train!.evaluate.nodes.some((n) => n.op === 'random_uniform'), 'no randomness in evaluate');
  const draws = m.train!.step.nodes.filter((n) => n.op === 'random_uniform');
  assert.is(draws.length, 2, 'one draw per dropout layer');
  assert.is.not(draws[0].attrs.salt, draws[1].attrs.salt, 'salted by the layer path');
  const r = rng(3);
  const x = tensor([40, 50], r);
  for (let i = 0; i < x.data.length; i++) x.data[i] = 1 + r();
  const params: Record<string, RefTensor> = {};
  for (const p of m.params) params[p.path] = tensor(p.shape, r);
  const first = m.train!.step.nodes.find((n) => n.op === 'mul' && n.inputs[0].node.op === 'input' && n.inputs[0].node.attrs.name === 'x')!.outputs[0];
  const run = (step: number, seed: number) => {
    const res = evaluate(m.train!.step, { inputs: { x, t: tensor([40, 50], r), lr: scalar(0.1), step: scalar(step), seed: scalar(seed) }, params });
    return res.values.get(first.id)!.data;
  };
  const a = run(1, 0);
  let zeros = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === 0) zeros++;
    else assert.ok(Math.abs(a[i] - x.data[i] / 0.7) < 1e-12, 'kept elements are scaled by 1 / (1 - rate)');
  }
  assert.ok(Math.abs(zeros / a.length - 0.3) < 0.03, `dropped ${zeros / a.length}`);
  assert.equal(Array.from(run(1, 0)), Array.from(a), 'same step and seed: same mask');
  const b = run(2, 0);
  let same = 0;
  for (let i = 0; i < a.length; i++) if ((a[i] === 0) === (b[i] === 0)) same++;
  assert.ok(same < a.length * 0.7, 'another step draws another mask');
  // predict is the identity
  const p = evaluate(m.predict, { inputs: { x }, params }).outputs.y.data;
  assert.equal(Array.from(p), Array.from(x.data));
});

test('dropout on the CPU backend: the step draws the same mask as the reference interpreter', async () => {
  const m = compileOk(`
model D { input x: f32[B, 64]  output y: f32[B, 1]
  y = x |> dropout(0.5) |> dense(1) }
train D { t: f32[B, 1]  loss = mse(y, t)  optimizer = sgd(lr: 1) }`);
  const model = await instantiate(programFromModel(m), { seed: 9 });
  const w = model.getWeights();
  const x = Float32Array.from({ length: 2 * 64 }, (_, i) => 1 + (i % 7) / 7);
  await model.trainStep({ x: { data: x, shape: [2, 64] }, t: { data: new Float32Array(2), shape: [2, 1] } });
  const after = model.getWeights();
  // reference: the same step through the interpreter with the runtime's hyper inputs (step 1, seed 9)
  const params: Record<string, RefTensor> = {};
  for (const p of m.params) params[p.path] = { dtype: 'f32', shape: p.shape, data: Float64Array.from(w[p.path]) };
  const ref = evaluate(m.train!.step, {
    inputs: { x: { dtype: 'f32', shape: [2, 64], data: Float64Array.from(x) }, t: { dtype: 'f32', shape: [2, 1], data: new Float64Array(2) }, lr: scalar(1), step: scalar(1), seed: scalar(9) },
    params,
  });
  const got = after['D.dense_1.weight'];
  const want = ref.updates['D.dense_1.weight'].data;
  let changed = 0;
  for (let i = 0; i < 64; i++) {
    assert.ok(Math.abs(got[i] - want[i]) < 1e-4 * Math.max(1, Math.abs(want[i])), `weight ${i}: ${got[i]} vs ${want[i]}`);
    if (got[i] !== w['D.dense_1.weight'][i]) changed++;
  }
  assert.ok(changed > 10 && changed < 60, `${changed} of 64 weights saw a kept input`);
});

/** Autodiff through the whole step graph (batch statistics included) against finite differences of its loss. */
test('autodiff through conv2d + batchnorm + maxpool + avgpool + strided/grouped conv matches finite differences', () => {
  const m = compileOk(`
model C {
  input  x: f32[B, 2, 7, 7]
  output y: f32[B, 3]
  y = x |> conv2d(filters: 4, kernel: 3, padding: same, activation: tanh) |> batchnorm |> maxpool(2, padding: same)
        |> conv2d(filters: 4, kernel: 2, stride: 2, groups: 2, padding: [0, 0, 1, 1]) |> tanh
        |> conv2d(filters: 3, kernel: [2, 1], dilation: [1, 2]) |> avgpool([1, 2], stride: 1) |> global_avgpool
}
train C {
  label: i32[B]
  loss = cross_entropy(y, label)
  optimizer = sgd(lr: 1)
}`);
  const r = rng(17);
  checkStepGradients(m, { inputs: { x: tensor([3, 2, 7, 7], r), label: tensor([3], r, 'i32', 3) }, seed: 17, atol: 1e-6, atLeast: 101 });
});

function diagnose(src: string) {
  const res = compileSource(src, 'bad.dnn');
  return res.diagnostics.map((d) => ({ code: d.code, line: d.span.line, col: d.span.col, message: d.message, help: d.help }));
}

test('diagnostics: conv2d on a non-4-D input, kernel larger than the input, channels vs groups, bad padding', () => {
  let d = diagnose(`model M { input x: f32[B, 784]  output y: f32[B, 6, 24, 24]
  y = x |> conv2d(filters: 6, kernel: 5) }`);
  assert.is(d.length, 1);
  assert.is(d[0].code, 'DNN0008');
  assert.is(d[0].line, 2);
  assert.match(d[0].message, 'conv2d expects [N, C, H, W] (batch, channels, height, width); got f32[B, 784] of rank 2');
  assert.match(d[0].help ?? '', 'reshape');

  d = diagnose(`model M { input x: f32[B, 1, 5, 5]  output y: f32[B, 6, 1, 1]
  y = x |> conv2d(filters: 6, kernel: 7) }`);
  assert.is(d[0].code, 'DNN0007');
  assert.match(d[0].message, 'conv2d: the 7x7 kernel is larger than the 5x5 input f32[B, 1, 5, 5]');
  assert.is(d[0].col, 39, 'points at the kernel argument');

  d = diagnose(`model M { input x: f32[B, 3, 8, 8]  output y: f32[B, 4, 6, 6]
  y = x |> conv2d(filters: 4, kernel: 3, groups: 2) }`);
  assert.is(d[0].code, 'DNN0022');
  assert.match(d[0].message, "conv2d: the input's 3 channels are not divisible by groups = 2: f32[B, 3, 8, 8]");
  assert.is(d[0].line, 2, 'the op\'s rule, reported at the call');

  d = diagnose(`model M { input x: f32[B, 3, 8, 8]  output y: f32[B, 4, 8, 8]
  y = x |> conv2d(filters: 4, kernel: 3, padding: sme) }`);
  assert.is(d[0].code, 'DNN0022');
  assert.match(d[0].message, "did you mean 'same'?");

  d = diagnose(`model M { input x: f32[B, 28, 28]  output y: f32[B, 14, 14]
  y = x |> maxpool(2) }`);
  assert.is(d[0].code, 'DNN0008');
  assert.match(d[0].message, 'maxpool expects [N, C, H, W]');
  assert.match(d[0].help ?? '', 'channel axis');

  d = diagnose(`model M { input x: f32[B, 3, 8, 8]  output y: f32[B, 3, 6, 6]
  y = x |> maxpool(2, padding: 2) }`);
  assert.is(d[0].code, 'DNN0022');
  assert.match(d[0].message, 'maxpool2d: padding [2, 2, 2, 2] must be smaller than the 2x2 window');
  assert.is(d[0].line, 2);

  d = diagnose(`model M { input x: f32[B, 3, 8, 8]  output y: f32[B, 4, 8, 8]
  y = x |> conv2d(filters: 4, kernel: [3, 3, 3]) }`);
  assert.is(d[0].code, 'DNN0017');
  assert.match(d[0].message, "'kernel' must be an integer or a pair [h, w]");

  d = diagnose(`model M { input x: f32[B, 8]  output y: f32[B, 8]
  y = x |> dropout(rate: 1.5) }`);
  assert.is(d[0].code, 'DNN0022');
  assert.match(d[0].message, 'dropout: rate must be in [0, 1)');

  d = diagnose(`model M { input x: f32[B, 3, 8, 8]  output y: f32[B, 3, 8, 8]
  y = x |> conv2d(filters: 3, kernel: 3, padding: same) |> dense(3) }`);
  assert.is(d[0].code, 'DNN0008', 'dense on an unflattened 4-D tensor');
});

test.run();
