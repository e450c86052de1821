/**
 * GAN / autoencoder layers in .dnn: conv2d_transpose, upsample, stop_gradient,
 * noise, uniform_noise, and the kl_div loss. The Generator from the language
 * sketch compiles with the right shape after every layer and runs on the CPU
 * backend; a convolutional autoencoder trains on the CPU backend (its loss
 * falls); stop_gradient keeps a parameter behind it still; noise is
 * reproducible per seed and step and standard normal; autodiff through
 * conv2d_transpose and upsample matches finite differences; bad inputs get
 * located diagnostics.
 */
import '../../examples/dnnc.data.js'; // the examples' data sets (loans, ring, the sequence sets)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileSource } from '../../compiler/compile.js';
import type { CompiledModel } from '../../compiler/compiled.js';
import { shapeToString } from '../../compiler/dims.js';
import { evaluate } from '../../compiler/interp.js';
import type { Graph } from '../../compiler/ir.js';
import type { RefTensor } from '../../compiler/ops/types.js';
import { programFromModel } from '../../codegen/module/plan-model.js';
import { instantiate } from '../../runtime/index.js';
import { checkStepGradients, rng, scalar, tensor } from '../helpers/numeric.js';


function compileAll(src: string, file = 'gan.dnn'): CompiledModel[] {
  const res = compileSource(src, file, { verify: true });
  assert.equal(res.diagnostics.map((d) => `${d.span.line}:${d.span.col} ${d.code} ${d.message}`), []);
  return res.file!.models;
}

const compileOk = (src: string, file?: string) => compileAll(src, file)[0];

function shapesOf(g: Graph, ops: string[]): string[] {
  return g.nodes.filter((n) => ops.includes(n.op)).map((n) => `${n.op} ${shapeToString(n.outputs[0].type.shape)}`);
}

const GAN_MODELS = `
model Generator {
  input  z: f32[B, 64]
  output img: f32[B, 1, 28, 28]
  img = z |> dense(7 * 7 * 64) |> relu |> reshape(64, 7, 7)
          |> conv2d_transpose(filters: 32, kernel: 4, stride: 2, padding: same) |> relu
          |> conv2d_transpose(filters: 1, kernel: 4, stride: 2, padding: same) |> tanh
}

model Discriminator {
  input  img: f32[B, 1, 28, 28]
  output score: f32[B, 1]
  score = img |> conv2d(filters: 32, kernel: 4, stride: 2) |> leaky_relu(0.2)
              |> flatten |> dense(1)
}
`;

test('the Generator and Discriminator from the language sketch compile; shapes after every layer', () => {
  const [gen, disc] = compileAll(GAN_MODELS);
  assert.equal(gen.outputs.map((o) => `${o.name} ${o.dtype}${shapeToString(o.shape)}`), ['img f32[B, 1, 28, 28]']);
  assert.equal(shapesOf(gen.predict, ['matmul', 'reshape', 'conv2d_transpose', 'tanh']).filter((s) => !/^reshape \[(32|1), 1, 1\]/.test(s)), [
    'matmul [B, 3136]',
    'reshape [B, 64, 7, 7]',
    'conv2d_transpose [B, 32, 14, 14]',
    'conv2d_transpose [B, 1, 28, 28]',
    'tanh [B, 1, 28, 28]',
  ]);
  const params = Object.fromEntries(gen.params.map((p) => [p.path, p.shape]));
  assert.equal(params['Generator.conv2d_transpose_1.weight'], [64, 32, 4, 4], 'weight [C, F/groups, KH, KW]');
  assert.equal(params['Generator.conv2d_transpose_1.bias'], [32]);
  assert.equal(params['Generator.conv2d_transpose_2.weight'], [32, 1, 4, 4]);
  // fan-in per output pixel: 64 * 16 taps / (2 * 2) strides
  assert.equal(gen.params.find((p) => p.path === 'Generator.conv2d_transpose_1.weight')!.init, { kind: 'he_normal', fanIn: 256, fanOut: 512 });
  const ct = gen.predict.nodes.filter((n) => n.op === 'conv2d_transpose');
  assert.equal(ct[0].attrs.pads, [1, 1, 1, 1], 'same with kernel 4, stride 2: pad 1 each side');
  assert.equal(ct[0].attrs.output_padding, [0, 0]);
  assert.equal(disc.outputs[0].shape, ['B', 1]);
});

test('padding modes of conv2d_transpose: valid, same (output = input * stride), explicit, output_padding', () => {
  const m = compileOk(`
model P {
  input  x: f32[B, 4, 5, 6]
  output a: f32[B, 8, 7, 8]
  output b: f32[B, 8, 10, 12]
  output c: f32[B, 8, 15, 18]
  output d: f32[B, 8, 9, 11]
  output e: f32[B, 8, 10, 12]
  output f: f32[B, 8, 11, 13]
  output g: f32[B, 8, 10, 18]
  a = x |> conv2d_transpose(filters: 8, kernel: 3)
  b = x |> conv2d_transpose(filters: 8, kernel: 3, stride: 2, padding: same)
  c = x |> conv2d_transpose(filters: 8, kernel: 1, stride: 3, padding: same)
  d = x |> conv2d_transpose(filters: 8, kernel: 3, stride: 2, padding: 1)
  e = x |> conv2d_transpose(filters: 8, kernel: 3, stride: 2, padding: 1, output_padding: 1)
  f = x |> conv2d_transpose(filters: 8, kernel: 2, stride: 2, dilation: 2, groups: 2, padding: [0, 0, 0, 0], bias: false)
  g = x |> conv2d_transpose(filters: 8, kernel: [4, 3], stride: [2, 3], padding: same)
}`);
  const ct = m.predict.nodes.filter((n) => n.op === 'conv2d_transpose');
  assert.equal(ct[1].attrs.pads, [0, 0, 1, 1], "same, kernel 3 stride 2: TF's split, the odd pixel at the end");
  assert.equal(ct[1].attrs.output_padding, [0, 0], 'the full 11x13 output cropped to 10x12');
  assert.equal(ct[2].attrs.output_padding, [2, 2], 'same with a kernel smaller than the stride: output_padding fills up');
  assert.equal(m.params.find((p) => p.path === 'P.conv2d_transpose_6.weight')!.shape, [4, 4, 2, 2]);
  assert.not.ok(m.params.some((p) => p.path === 'P.conv2d_transpose_6.bias'));
});

test('the Generator runs on the CPU backend: f32[B, 1, 28, 28] in (-1, 1), same as the reference', async () => {
  const gen = compileOk(GAN_MODELS);
  const model = await instantiate(programFromModel(gen), { seed: 2 });
  const r = rng(1);
  const B = 3;
  const z = Float32Array.from({ length: B * 64 }, () => r() * 2 - 1);
  const out = await model.predict({ z: { data: z, shape: [B, 64] } });
  assert.equal(out.img.shape, [B, 1, 28, 28]);
  const w = model.getWeights();
  const params: Record<string, RefTensor> = {};
  for (const p of gen.params) params[p.path] = { dtype: 'f32', shape: p.shape, data: Float64Array.from(w[p.path]) };
  const want = evaluate(gen.predict, { inputs: { z: { dtype: 'f32', shape: [B, 64], data: Float64Array.from(z) } }, params }).outputs.img.data;
  let nonzero = 0;
  for (let i = 0; i < want.length; i++) {
    assert.ok(Math.abs(out.img.data[i] - want[i]) < 1e-4, `img[${i}] ${out.img.data[i]} vs ${want[i]}`);
    assert.ok(Math.abs(out.img.data[i]) < 1);
    if (out.img.data[i] !== 0) nonzero++;
  }
  assert.ok(nonzero > want.length / 2);
});

const AUTOENCODER = `
model AutoEncoder {
  input  image: f32[B, 1, 28, 28]
  output recon: f32[B, 1, 28, 28]
  code  = image |> conv2d(filters: 8, kernel: 3, stride: 2, padding: same) |> relu     // 14x14
                |> conv2d(filters: 16, kernel: 3, stride: 2, padding: same) |> relu    // 7x7
  recon = code  |> conv2d_transpose(filters: 8, kernel: 4, stride: 2, padding: same) |> relu
                |> conv2d_transpose(filters: 1, kernel: 4, stride: 2, padding: same) |> sigmoid
}
train AutoEncoder { loss = mse(recon, image)  optimizer = adam(lr: 3e-3)  batch = 8 }
`;

test('a convolutional autoencoder compiles and trains on the CPU backend: the reconstruction loss falls', async () => {
  const m = compileOk(AUTOENCODER);
  assert.equal(shapesOf(m.predict, ['conv2d', 'conv2d_transpose']), [
    'conv2d [B, 8, 14, 14]',
    'conv2d [B, 16, 7, 7]',
    'conv2d_transpose [B, 8, 14, 14]',
    'conv2d_transpose [B, 1, 28, 28]',
  ]);
  const ops = m.train!.step.nodes.map((n) => n.op);
  // gradients of a transposed convolution are a conv2d (to its input) and a conv2d_backprop_filter
  assert.is(ops.filter((o) => o === 'conv2d_backprop_filter').length, 4);
  assert.is(ops.filter((o) => o === 'conv2d').length, 2 + 2, 'two forward convs, two transposed-conv input gradients');
  const model = await instantiate(programFromModel(m), { seed: 4 });
  const r = rng(9);
  const B = 8;
  // blurry blobs: something with structure to reconstruct
  const image = new Float32Array(B * 784);
  for (let b = 0; b < B; b++) {
    const cy = 6 + r() * 16;
    const cx = 6 + r() * 16;
    for (let i = 0; i < 28; i++) for (let j = 0; j < 28; j++) image[b * 784 + i * 28 + j] = Math.exp(-((i - cy) ** 2 + (j - cx) ** 2) / 30);
  }
  const batch = { image: { data: image, shape: [B, 1, 28, 28] } };
  const first = (await model.trainStep(batch)).loss;
  let last = first;
  for (let i = 0; i < 25; i++) last = (await model.trainStep(batch)).loss;
  assert.ok(Number.isFinite(first) && last < first * 0.6, `loss ${first} -> ${last}`);
  const out = await model.predict(batch);
  assert.equal(out.recon.shape, [B, 1, 28, 28]);
});

test('stop_gradient: a parameter reached only through it is not updated; the others are', async () => {
  const m = compileOk(`
model S {
  input  x: f32[B, 4]
  output y: f32[B, 2]
  y = stop_gradient(x |> dense(3, name: frozen)) |> dense(2, name: head)
}
train S { t: f32[B, 2]  loss = mse(y, t)  optimizer = sgd(lr: 0.5) }`);
  assert.ok(m.train!.step.nodes.some((n) => n.op === 'stop_gradient'));
  assert.not.ok(m.train!.step.nodes.some((n) => n.op === 'matmul' && n.attrs.transA === true && n.inputs[0].node.attrs.name === 'x'), 'no dW for the frozen layer');
  const model = await instantiate(programFromModel(m), { seed: 1 });
  const before = model.getWeights();
  const r = rng(3);
  await model.trainStep({ x: { data: Float32Array.from({ length: 8 }, () => r()), shape: [2, 4] }, t: { data: Float32Array.of(1, -1, 2, 0), shape: [2, 2] } });
  const after = model.getWeights();
  assert.equal(Array.from(after['S.frozen.weight']), Array.from(before['S.frozen.weight']), 'frozen weight unchanged');
  assert.equal(Array.from(after['S.frozen.bias']), Array.from(before['S.frozen.bias']), 'frozen bias unchanged');
  assert.not.equal(Array.from(after['S.head.weight']), Array.from(before['S.head.weight']), 'head weight moved');
});

const NOISE = `
model G {
  input  x: f32[B, 8]
  output y: f32[B, 8]
  output n: f32[B, 64]
  output u: f32[B, 3, 5]
  n = noise(B, 64)
  u = uniform_noise(B, 3, 5)
  y = (x + noise(B, 8)) |> dense(8)
}
train G { t: f32[B, 8]  loss = mse(y, t)  optimizer = sgd(lr: 0.1) }`;

test('noise: reproducible per seed and step, another draw per step and per call site, standard normal', () => {
  const m = compileOk(NOISE);
  const salts = m.predict.nodes.filter((n) => n.op === 'random_normal' || n.op === 'random_uniform').map((n) => n.attrs.salt);
  assert.is(salts.length, 3);
  assert.is(new Set(salts).size, 3, 'salted by the call site');
  const draws = m.train!.step.nodes.filter((n) => n.op === 'random_normal');
  assert.is(draws.length, 1, 'the step draws only what its loss needs');
  assert.equal(draws[0].outputs[0].type.shape, ['B', 8]);
  const r = rng(5);
  const B = 100;
  const params: Record<string, RefTensor> = {};
  for (const p of m.params) params[p.path] = tensor(p.shape, r);
  const x = tensor([B, 8], r);
  const t = tensor([B, 8], r);
  const nOut = m.predict.outputs.find((o) => o.name === 'n')!.value;
  const run = (step: number, seed: number) => {
    const res = evaluate(m.train!.step, { inputs: { x, t, lr: scalar(0.1), step: scalar(step), seed: scalar(seed) }, params });
    return res.values.get(draws[0].outputs[0].id)!.data;
  };
  const a = run(1, 0);
  assert.equal(Array.from(run(1, 0)), Array.from(a), 'same seed and step: same noise');
  const differ = (b: ArrayLike<number>) => Array.from(b).filter((v, i) => v !== a[i]).length;
  assert.ok(differ(run(2, 0)) > a.length * 0.99, 'another step: other noise');
  assert.ok(differ(run(1, 1)) > a.length * 0.99, 'another seed: other noise');
  const n = evaluate(m.predict, { inputs: { x, seed: scalar(0), step: scalar(1) }, params }).outputs.n.data;
  assert.is(n.length, B * 64);
  const mean = Array.from(n).reduce((s, v) => s + v, 0) / n.length;
  const std = Math.sqrt(Array.from(n).reduce((s, v) => s + (v - mean) ** 2, 0) / n.length);
  assert.ok(Math.abs(mean) < 0.04 && Math.abs(std - 1) < 0.04, `mean ${mean}, std ${std}`);
  // predict draws too (keyed by the seed and the runtime's count of predict calls), the same for the same seed and step
  const p1 = evaluate(m.predict, { inputs: { x, seed: scalar(3), step: scalar(0) }, params });
  const p2 = evaluate(m.predict, { inputs: { x, seed: scalar(3), step: scalar(0) }, params });
  assert.equal(Array.from(p1.outputs.n.data), Array.from(p2.outputs.n.data));
  const p3 = evaluate(m.predict, { inputs: { x, seed: scalar(3), step: scalar(2) }, params });
  assert.ok(Array.from(p3.outputs.n.data).filter((v, i) => v !== p1.outputs.n.data[i]).length > n.length * 0.99, 'another predict step: other noise');
  assert.equal(Array.from(p1.values.get(nOut.id)!.data), Array.from(p1.outputs.n.data));
  const u = p1.outputs.u.data;
  assert.ok(u.every((v) => v >= 0 && v < 1), 'uniform_noise in [0, 1)');
  const um = Array.from(u).reduce((s, v) => s + v, 0) / u.length;
  assert.ok(Math.abs(um - 0.5) < 0.05, `uniform mean ${um}`);
});

test('noise on the CPU backend: the train step draws what the reference interpreter draws', async () => {
  const m = compileOk(`
model G { input x: f32[B, 16]  output y: f32[B, 1]
  y = (x + noise(B, 16)) |> dense(1) }
train G { t: f32[B, 1]  loss = mse(y, t)  optimizer = sgd(lr: 0.1) }`);
  const model = await instantiate(programFromModel(m), { seed: 6 });
  const w = model.getWeights();
  const x = Float32Array.from({ length: 3 * 16 }, (_, i) => (i % 5) / 5);
  const t = Float32Array.of(0.5, -0.5, 1);
  await model.trainStep({ x: { data: x, shape: [3, 16] }, t: { data: t, shape: [3, 1] } });
  const after = model.getWeights()['G.dense_1.weight'];
  const params: Record<string, RefTensor> = {};
  for (const p of m.params) params[p.path] = { dtype: 'f32', shape: p.shape, data: Float64Array.from(w[p.path]) };
  const ref = evaluate(m.train!.step, {
    inputs: { x: { dtype: 'f32', shape: [3, 16], data: Float64Array.from(x) }, t: { dtype: 'f32', shape: [3, 1], data: Float64Array.from(t) }, lr: scalar(0.1), step: scalar(1), seed: scalar(6) },
    params,
  });
  const want = ref.updates['G.dense_1.weight'].data;
  for (let i = 0; i < 16; i++) assert.ok(Math.abs(after[i] - want[i]) < 1e-4 * Math.max(1, Math.abs(want[i])), `weight ${i}: ${after[i]} vs ${want[i]}`);
});

test('predict on the CPU backend: fresh noise every call, reproducible per model seed; options.seed makes it deterministic; evaluate draws the same every time', async () => {
  const m = compileOk(NOISE);
  const x = { data: new Float32Array(2 * 8), shape: [2, 8] };
  const a = await instantiate(programFromModel(m), { seed: 6 });
  const b = await instantiate(programFromModel(m), { seed: 6 });
  const first = await a.predict({ x });
  const second = await a.predict({ x });
  const differ = (p: ArrayLike<number>, q: ArrayLike<number>) => Array.from(p).filter((v, i) => v !== q[i]).length;
  assert.ok(differ(first.n.data, second.n.data) > first.n.data.length * 0.9, 'two calls: two draws');
  // another instance with the same seed draws the same sequence
  assert.equal(Array.from((await b.predict({ x })).n.data), Array.from(first.n.data));
  assert.equal(Array.from((await b.predict({ x })).n.data), Array.from(second.n.data));
  // a given seed: the same output on every call, and another seed another draw
  const s1 = await a.predict({ x }, { seed: 42 });
  const s2 = await a.predict({ x }, { seed: 42 });
  assert.equal(Array.from(s1.n.data), Array.from(s2.n.data));
  assert.equal(Array.from(s1.y.data), Array.from(s2.y.data));
  assert.ok(differ(s1.n.data, (await a.predict({ x }, { seed: 43 })).n.data) > s1.n.data.length * 0.9);
  await a.predict({ x }, { seed: 1.5 }).then(
    () => assert.unreachable('a fractional seed is refused'),
    (e: Error) => assert.match(e.message, 'options.seed must be an integer'),
  );
  // evaluate keys noise by step 0: the same metrics twice
  const field = { dtype: 'f32' as const, sampleShape: [8], data: Float32Array.from({ length: 4 * 8 }, (_, i) => (i % 7) / 7) };
  const data = { name: 'zeros', size: 4, fields: { x: field, t: field } };
  assert.equal(await a.evaluate(data), await a.evaluate(data));
});

test('kl_div: PyTorch batchmean semantics, 0 log 0 = 0, finite gradients; huber is there', () => {
  const m = compileOk(`
model K { input x: f32[B, 3]  output logq: f32[B, 3]
  logq = x |> dense(3) |> log_softmax }
train K { p: f32[B, 3]  loss = kl_div(logq, p)  optimizer = sgd(lr: 0.1) }
`);
  const r = rng(12);
  const params: Record<string, RefTensor> = {};
  for (const pp of m.params) params[pp.path] = tensor(pp.shape, r);
  const x = tensor([2, 3], r);
  const p: RefTensor = { dtype: 'f32', shape: [2, 3], data: Float64Array.of(0.2, 0.8, 0, 0.5, 0.25, 0.25) };
  const res = evaluate(m.train!.step, { inputs: { x, p, lr: scalar(0.1), step: scalar(1) }, params });
  const logq = evaluate(m.predict, { inputs: { x }, params }).outputs.logq.data;
  let want = 0;
  for (let i = 0; i < 6; i++) if (p.data[i] > 0) want += p.data[i] * (Math.log(p.data[i]) - logq[i]);
  want /= 2;
  assert.ok(Math.abs(res.outputs.loss.data[0] - want) < 1e-12, `kl ${res.outputs.loss.data[0]} vs ${want}`);
  for (const u of Object.values(res.updates)) assert.ok(u.data.every(Number.isFinite));
  const h = compileSource(`model H { input x: f32[B, 1]  output y: f32[B, 1]  y = x |> dense(1) }
train H { t: f32[B, 1]  loss = huber(y, t, delta: 0.5)  optimizer = sgd(lr: 0.1) }`, 'h.dnn');
  assert.equal(h.diagnostics, []);
});

/** Autodiff through the whole step graph against finite differences of its loss. */
test('autodiff through conv2d_transpose (stride, padding, output_padding, groups) and upsample matches finite differences', () => {
  const m = compileOk(`
model D {
  input  x: f32[B, 2, 3, 3]
  output y: f32[B, 1, 12, 12]
  y = x |> conv2d_transpose(filters: 4, kernel: 3, stride: 2, padding: 1, output_padding: 1, activation: tanh)
        |> upsample(2, mode: bilinear)
        |> conv2d_transpose(filters: 2, kernel: 2, groups: 2, padding: [0, 0, 1, 1]) |> tanh
        |> upsample([1, 1]) |> conv2d(filters: 1, kernel: 1)
}
train D {
  t: f32[B, 1, 12, 12]
  loss = mse(y, t)
  optimizer = sgd(lr: 1)
}`);
  const r = rng(23);
  checkStepGradients(m, { inputs: { x: tensor([2, 2, 3, 3], r), t: tensor([2, 1, 12, 12], r) }, seed: 23, atol: 1e-7, atLeast: 81 });
});

function diagnose(src: string) {
  const res = compileSource(src, 'bad.dnn');
  return res.diagnostics.map((d) => ({ code: d.code, line: d.span.line, col: d.span.col, message: d.message, help: d.help }));
}

test('diagnostics: rank, output_padding >= stride, same + output_padding, bad mode, noise dims, kl_div shapes', () => {
  let d = diagnose(`model M { input z: f32[B, 64]  output y: f32[B, 8, 2, 2]
  y = z |> conv2d_transpose(filters: 8, kernel: 2) }`);
  assert.is(d.length, 1);
  assert.is(d[0].code, 'DNN0008');
  assert.is(d[0].line, 2);
  assert.match(d[0].message, 'conv2d_transpose expects [N, C, H, W] (batch, channels, height, width); got f32[B, 64] of rank 2');
  assert.match(d[0].help ?? '', 'reshape');

  d = diagnose(`model M { input x: f32[B, 4, 7, 7]  output y: f32[B, 8, 16, 16]
  y = x |> conv2d_transpose(filters: 8, kernel: 4, stride: 2, output_padding: 2) }`);
  assert.is(d[0].code, 'DNN0022');
  assert.match(d[0].message, 'conv2d_transpose: output_padding 2 must be smaller than the stride 2');
  assert.is(d[0].line, 2);
  assert.is(d[0].col, 79, 'points at the output_padding value');

  d = diagnose(`model M { input x: f32[B, 4, 7, 7]  output y: f32[B, 8, 14, 14]
  y = x |> conv2d_transpose(filters: 8, kernel: 4, stride: 2, padding: same, output_padding: 1) }`);
  assert.is(d[0].code, 'DNN0022');
  assert.match(d[0].message, 'padding: same sets the output size');

  d = diagnose(`model M { input x: f32[B, 4, 7, 7]  output y: f32[B, 8, 14, 14]
  y = x |> conv2d_transpose(filters: 8, kernel: 3, padding: sme) }`);
  assert.is(d[0].code, 'DNN0022');
  assert.match(d[0].message, "did you mean 'same'?");

  d = diagnose(`model M { input x: f32[B, 3, 7, 7]  output y: f32[B, 4, 9, 9]
  y = x |> conv2d_transpose(filters: 4, kernel: 3, groups: 2) }`);
  assert.is(d[0].code, 'DNN0022');
  assert.match(d[0].message, "conv2d_transpose: the input's 3 channels are not divisible by groups = 2: f32[B, 3, 7, 7]");

  d = diagnose(`model M { input x: f32[B, 3, 2, 2]  output y: f32[B, 4, 1, 1]
  y = x |> conv2d_transpose(filters: 4, kernel: 1, padding: [1, 1, 1, 1]) }`);
  assert.is(d[0].code, 'DNN0007');
  assert.match(d[0].message, 'the padding leaves an empty 0x0 output: f32[B, 3, 2, 2]');

  d = diagnose(`model M { input x: f32[B, 3, 7, 7]  output y: f32[B, 3, 14, 14]
  y = x |> upsample(2, mode: bicubic) }`);
  assert.is(d[0].code, 'DNN0022');
  assert.match(d[0].message, "'upsample': 'mode' must be one of nearest, bilinear; got 'bicubic'");
  assert.is(d[0].col, 30, 'points at the mode');

  d = diagnose(`model M { input x: f32[B, 49]  output y: f32[B, 98]
  y = x |> upsample(2) }`);
  assert.is(d[0].code, 'DNN0008');
  assert.match(d[0].message, 'upsample expects [N, C, H, W]');

  d = diagnose(`model M { input x: f32[B, 3, 7, 7]  output y: f32[B, 3, 14, 14]
  y = x |> upsample(0) }`);
  assert.is(d[0].code, 'DNN0022');
  assert.match(d[0].message, "'scale' must be at least 1");

  d = diagnose(`model M { input x: f32[B, 8]  output y: f32[B, 8]
  y = x + noise(B, [8]) }`);
  assert.is(d[0].code, 'DNN0017');
  assert.match(d[0].message, 'noise takes its dims as separate arguments');
  assert.is(d[0].col, 20);

  d = diagnose(`model M { input x: f32[B, 8]  output y: f32[B, 8]
  y = x + noise() }`);
  assert.is(d[0].code, 'DNN0006');

  d = diagnose(`model M { input x: f32[B, 3]  output y: f32[B, 3]  y = x |> dense(3) |> log_softmax }
train M { p: f32[B, 4]  loss = kl_div(y, p)  optimizer = sgd(lr: 0.1) }`);
  assert.is(d[0].code, 'DNN0007');
  assert.match(d[0].message, 'kl_div: log_q f32[B, 3] and p f32[B, 4] must have the same shape');
  assert.is(d[0].line, 2);
});

test.run();
