/**
 * The runtime Model on the CPU backend, from a hand-built MLP: predict
 * against the reference interpreter, input checking, seeded init, weights,
 * training steps (hyper inputs, schedules, updates), evaluate and fit.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { evaluate as interpret } from '../../compiler/interp.js';
import { programFromModel } from '../../codegen/module/plan-model.js';
import { instantiate, learningRate } from '../../runtime/index.js';
import { hash32, initTensor, Rng } from '../../runtime/init.js';
import { bindInputs } from '../../runtime/inputs.js';
import type { Dataset, Model } from '../../runtime/types.js';
import { mlpModel, randomData, ref } from './mlp.js';

const B = 5;

async function create(options: Parameters<typeof instantiate>[1] = {}, train = false): Promise<Model> {
  return instantiate(programFromModel(mlpModel({ train })), options);
}

function closeArrays(got: ArrayLike<number>, want: ArrayLike<number>, label: string, tol = 1e-5): void {
  assert.is(got.length, want.length, `${label}: length`);
  for (let i = 0; i < want.length; i++)
    if (!(Math.abs(got[i] - want[i]) <= tol * Math.max(1, Math.abs(want[i])))) assert.unreachable(`${label}[${i}]: ${got[i]} vs ${want[i]}`);
}

test('predict equals the reference interpreter (same weights)', async () => {
  const model = await create({ seed: 3 });
  const x = randomData(B * 784, 11);
  const out = await model.predict({ x });
  assert.equal(out.logits.shape, [B, 10]);
  assert.is(out.logits.dtype, 'f32');
  const w = model.getWeights();
  const m = mlpModel();
  const params = Object.fromEntries(m.params.map((p) => [p.path, ref(p.shape, w[p.path])]));
  const want = interpret(m.predict, { inputs: { x: ref([B, 784], x) }, params });
  closeArrays(out.logits.data, want.outputs.logits.data, 'logits');
  // other batch sizes and input forms give the same rows
  const one = await model.predict({ x: { data: x.subarray(0, 784), shape: [1, 784] } });
  closeArrays(one.logits.data, out.logits.data.subarray(0, 10), 'row 0 via {data, shape}');
  const nested = await model.predict({ x: [Array.from(x.subarray(784, 2 * 784))] });
  closeArrays(nested.logits.data, out.logits.data.subarray(10, 20), 'row 1 via nested array');
  // outputs are fresh copies
  const again = await model.predict({ x });
  assert.ok(again.logits.data !== out.logits.data);
  closeArrays(again.logits.data, out.logits.data, 'second call', 0);
});

test('input errors name the input with the expected and received shapes', async () => {
  const model = await create();
  const msg = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (e) {
      return (e as Error).message;
    }
    assert.unreachable('no error');
    return '';
  };
  let m = await msg(model.predict({ y: new Float32Array(784) }));
  assert.match(m, "unknown input 'y'");
  assert.match(m, 'x: f32[B, 784]');
  m = await msg(model.predict({}));
  assert.match(m, "missing input 'x'");
  m = await msg(model.predict({ x: { data: new Float32Array(2 * 783), shape: [2, 783] } }));
  assert.match(m, "input 'x'");
  assert.match(m, 'expected f32[B, 784]');
  assert.match(m, 'received f32[2, 783]');
  m = await msg(model.predict({ x: new Float32Array(1000) }));
  assert.match(m, "input 'x': expected f32[B, 784], received f32[1000] (flat)");
  m = await msg(model.predict({ x: [[1, 2], [3]] }));
  assert.match(m, 'ragged');
  m = await msg(model.predict({ x: { data: new Float32Array(784), shape: [784] } }));
  assert.match(m, 'rank 1 instead of 2');
});

test('input conversion: integer arrays to f32, integral f32 to i32, non-integral rejected', async () => {
  const model = await create({}, true);
  // x given as Int32Array is converted to f32
  const xi = new Int32Array(2 * 784).fill(1);
  const a = await model.predict({ x: xi });
  const b = await model.predict({ x: new Float32Array(2 * 784).fill(1) });
  closeArrays(a.logits.data, b.logits.data, 'converted', 0);
  assert.equal(a.logits.shape, [2, 10]);
});

test('bindInputs: i32 and bool conversion, flat solving, composite dims', () => {
  const specs = [
    { name: 'tokens', dtype: 'i32' as const, shape: ['B', 'T'] },
    { name: 'mask', dtype: 'bool' as const, shape: ['B', 'T'] },
    { name: 'pairs', dtype: 'f32' as const, shape: ['B*T', 2] },
  ];
  const r = bindInputs('M', specs, {
    tokens: { data: new Float32Array([1, 2, 3, 4, 5, 6]), shape: [2, 3] },
    mask: [
      [true, false, true],
      [0, 1, 1],
    ],
    pairs: new Float32Array(12),
  });
  assert.equal({ ...r.dims }, { B: 2, T: 3 }); // dims have no prototype (a dim may be called `constructor`)
  assert.ok(r.data.get('tokens') instanceof Int32Array);
  assert.equal(Array.from(r.data.get('mask')!), [1, 0, 1, 0, 1, 1]);
  assert.equal(r.shapes.get('pairs'), [6, 2]);
  assert.throws(
    () => bindInputs('M', specs.slice(0, 1), { tokens: { data: new Float32Array([1.5, 2]), shape: [1, 2] } }),
    /input 'tokens': expected i32 values, received f32 holding 1.5 at index 0/,
  );
  assert.throws(() => bindInputs('M', specs.slice(1, 2), { mask: { data: new Float32Array([2]), shape: [1, 1] } }), /expected bool values/);
  assert.throws(
    () => bindInputs('M', specs, { tokens: new Int32Array(6), mask: new Uint8Array(6), pairs: new Float32Array(12) }),
    /cannot infer its dims from a flat array/,
  );
  assert.throws(
    () =>
      bindInputs('M', specs, {
        tokens: { data: new Int32Array(6), shape: [2, 3] },
        mask: { data: new Uint8Array(6), shape: [2, 3] },
        pairs: { data: new Float32Array(10), shape: [5, 2] },
      }),
    /input 'pairs': expected f32\[B\*T, 2\], received f32\[5, 2\] \(dim 0 should be B\*T = 6\)/,
  );
});

test('seeded init: same seed same weights, different seed different weights, per-path streams', async () => {
  const a = (await create({ seed: 7 })).getWeights();
  const b = (await create({ seed: 7 })).getWeights();
  const c = (await create({ seed: 8 })).getWeights();
  const d = (await create()).getWeights();
  const e = (await create({ seed: 0 })).getWeights();
  for (const k of Object.keys(a)) assert.equal(Array.from(a[k]), Array.from(b[k]), `${k} same seed`);
  assert.not.equal(Array.from(a['dense_1.w']), Array.from(c['dense_1.w']));
  assert.equal(Array.from(d['dense_1.w']), Array.from(e['dense_1.w']), 'default seed is 0');
  assert.ok(a['dense_1.b'].every((v) => v === 0), 'zeros');
  assert.ok(a['dense_2.b'].every((v) => Math.abs(v - 0.1) < 1e-7), 'constant 0.1');
  // he_normal statistics: std sqrt(2/784)
  const w = a['dense_1.w'];
  const mean = w.reduce((s, v) => s + v, 0) / w.length;
  const std = Math.sqrt(w.reduce((s, v) => s + (v - mean) ** 2, 0) / w.length);
  assert.ok(Math.abs(mean) < 0.005, `mean ${mean}`);
  assert.ok(Math.abs(std - Math.sqrt(2 / 784)) < 0.005, `std ${std}`);
  // glorot_uniform bound sqrt(6/(16+10))
  const lim = Math.sqrt(6 / 26);
  assert.ok(a['dense_2.w'].every((v) => Math.abs(v) <= lim));
  // a tensor's values depend only on (seed, path, spec, shape)
  const t1 = initTensor({ kind: 'uniform', limit: 1 }, 'f32', [4], 5, 'p.w');
  const t2 = initTensor({ kind: 'uniform', limit: 1 }, 'f32', [4], 5, 'p.w');
  assert.equal(Array.from(t1), Array.from(t2));
  assert.is.not(hash32(5, 'p.w'), hash32(5, 'p.v'));
  const r = new Rng(1);
  const u = r.uniform();
  assert.ok(u >= 0 && u < 1);
});

test('getWeights/setWeights round trip, and clear errors', async () => {
  const a = await create({ seed: 1 });
  const b = await create({ seed: 2 });
  const x = randomData(3 * 784, 5);
  b.setWeights(a.getWeights());
  closeArrays((await b.predict({ x })).logits.data, (await a.predict({ x })).logits.data, 'same weights same outputs', 0);
  // getWeights returns copies
  const w = a.getWeights();
  w['dense_1.b'][0] = 42;
  assert.is(a.getWeights()['dense_1.b'][0], 0);
  // weights in CreateOptions
  const c = await create({ seed: 9, weights: a.getWeights() });
  assert.equal(Array.from(c.getWeights()['dense_2.w']), Array.from(a.getWeights()['dense_2.w']));
  // plain arrays accepted
  b.setWeights({ 'dense_2.b': Array.from({ length: 10 }, (_, i) => i) });
  assert.equal(Array.from(b.getWeights()['dense_2.b']), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.throws(() => b.setWeights({ 'dense_9.w': new Float32Array(3) }), /no parameter 'dense_9.w'.*dense_1.w/);
  assert.throws(() => b.setWeights({ 'dense_1.b': new Float32Array(3) }), /'dense_1.b' is f32\[16\] \(16 values\), but 3 values/);
  b.dispose();
  await assert.not.throws(() => b.dispose());
  try {
    await b.predict({ x });
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, 'disposed');
  }
});

test('backend selection', async () => {
  // default: cpu; 'auto': webgpu when an adapter exists (test/webgpu covers it), else cpu
  const d = await create();
  assert.is(d.backend, 'cpu');
  d.dispose();
  const m = await create({ backend: 'auto' });
  assert.ok(m.backend === 'cpu' || m.backend === 'webgpu', m.backend);
  m.dispose();
  // gpujs (test/gpujs covers it): gpu.js's cpu mode runs anywhere
  const g = await create({ backend: 'gpujs', gpujs: { mode: 'cpu' } });
  assert.is(g.backend, 'gpujs');
  g.dispose();
});

test('trainStep: hyper inputs, updates equal the reference step, loss decreases', async () => {
  const model = await create({ seed: 4 }, true);
  const x = randomData(8 * 784, 3);
  const target = new Float32Array(8 * 10);
  for (let i = 0; i < 8; i++) target[i * 10 + (i % 10)] = 1;
  const before = model.getWeights();
  const r1 = await model.trainStep({ x, target });
  assert.is(r1.metrics.step, 1);
  assert.ok(Math.abs(r1.metrics.lr - 0.05) < 1e-7);
  // the reference step from the same weights
  const m = mlpModel({ train: true });
  const params = Object.fromEntries(m.params.map((p) => [p.path, ref(p.shape, before[p.path])]));
  const want = interpret(m.train!.step, {
    inputs: { x: ref([8, 784], x), target: ref([8, 10], target), lr: ref([], [0.05]), step: ref([], [1]) },
    params,
  });
  assert.ok(Math.abs(r1.loss - want.outputs.loss.data[0]) < 1e-5);
  const after = model.getWeights();
  for (const p of m.params) closeArrays(after[p.path], want.updates[p.path].data, `update ${p.path}`, 1e-4);
  let loss = r1.loss;
  for (let i = 2; i <= 20; i++) {
    const r = await model.trainStep({ x, target });
    assert.is(r.metrics.step, i);
    loss = r.loss;
  }
  assert.ok(loss < r1.loss * 0.5, `loss ${r1.loss} -> ${loss}`);
});

test('learning-rate schedules', () => {
  const s = (kind: 'constant' | 'step' | 'exponential' | 'cosine' | 'warmup', options: Record<string, number>) => (step: number) =>
    learningRate({ kind, options }, 0.1, step);
  assert.is(s('constant', {})(100), 0.1);
  const st = s('step', { step_size: 10, gamma: 0.5 });
  assert.is(st(1), 0.1);
  assert.is(st(10), 0.1);
  assert.is(st(11), 0.05);
  assert.ok(Math.abs(s('exponential', { gamma: 0.9 })(3) - 0.1 * 0.81) < 1e-12);
  const w = s('warmup', { warmup: 4 });
  assert.ok(Math.abs(w(1) - 0.025) < 1e-12);
  assert.is(w(10), 0.1);
  const c = s('cosine', { total: 11, warmup: 1 });
  assert.ok(Math.abs(c(1) - 0.1) < 1e-12);
  assert.ok(Math.abs(c(6) - 0.05) < 1e-12);
  assert.ok(Math.abs(c(11)) < 1e-12);
});

test('a schedule feeds lr to the step', async () => {
  const model = await instantiate(programFromModel(mlpModel({ train: true, schedule: { kind: 'step', options: { step_size: 2, gamma: 0.5 } } })));
  const x = randomData(2 * 784, 3);
  const target = new Float32Array(20);
  const lrs: number[] = [];
  for (let i = 0; i < 5; i++) lrs.push((await model.trainStep({ x, target })).metrics.lr);
  assert.equal(lrs.map((v) => Math.round(v * 1e6) / 1e6), [0.05, 0.05, 0.025, 0.025, 0.0125]);
});

function dataset(n: number): Dataset {
  const x = randomData(n * 784, 21);
  const target = new Float32Array(n * 10);
  for (let i = 0; i < n; i++) target[i * 10 + (i % 10)] = 1;
  return { name: 'toy', size: n, fields: { x: { dtype: 'f32', sampleShape: [784], data: x }, target: { dtype: 'f32', sampleShape: [10], data: target } } };
}

test('evaluate and fit run through the training loop', async () => {
  const model = await create({ seed: 2 }, true);
  const data = dataset(20);
  const before = await model.evaluate(data, { batchSize: 6 });
  assert.ok(Number.isFinite(before.loss) && Number.isFinite(before.mae));
  const fit = await model.fit(data, { epochs: 3, batchSize: 8 });
  assert.is(fit.epochs, 3);
  const after = await model.evaluate(data);
  assert.ok(after.loss < before.loss, `${before.loss} -> ${after.loss}`);
  // a model without a train block says so
  const plain = await create();
  try {
    await plain.fit(data);
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, 'has no train block');
  }
});

test.run();
