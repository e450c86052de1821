/**
 * The baselines' arithmetic on cases with known answers: least squares
 * recovers a linear map, PCA the variance of dropped directions, the
 * Fréchet distance of two Gaussians its closed form, n-gram counts the
 * entropy of a deterministic sequence, and the classifier score its bounds.
 */
import '../../examples/dnnc.data.js'; // the examples' data sets (loans, ring, the sequence sets)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  classCounts,
  classifierScore,
  dataBaselines,
  fitLinearAr,
  fitPca,
  frechetDistance,
  majority,
  meanRowMse,
  ngramBaselines,
  pcaReconstructionMse,
  solveSpd,
  symmetricEigen,
} from '../../runtime/baselines/index.js';
import { Rng } from '../../runtime/data/random.js';
import { seasonal } from '../../runtime/data/sequences.js';
import type { Dataset } from '../../runtime/types.js';

const close = (a: number, b: number, tol: number, label: string) => assert.ok(Math.abs(a - b) <= tol, `${label}: ${a} vs ${b}`);

test('solveSpd and symmetricEigen agree with hand-computed answers', () => {
  // [[4, 2], [2, 3]] x = [2, 1] -> x = [0.5, 0]
  const x = solveSpd(Float64Array.from([4, 2, 2, 3]), Float64Array.from([2, 1]), 2, 1);
  close(x[0], 0.5, 1e-12, 'x0');
  close(x[1], 0, 1e-12, 'x1');
  const { values } = symmetricEigen(Float64Array.from([2, 1, 1, 2]), 2);
  assert.equal([...values].map((v) => Math.round(v * 1e9) / 1e9).sort(), [1, 3]);
  assert.throws(() => solveSpd(Float64Array.from([1, 2, 2, 1]), Float64Array.from([1, 1]), 2, 1), /not positive definite/);
});

test('linear AR: least squares recovers the map of a noiseless linear process', () => {
  // windows of 3 values; targets 2 values: t0 = x0 - 2 x2 + 0.5, t1 = 3 x1
  const n = 200;
  const rng = new Rng(1);
  const x = Float32Array.from({ length: n * 3 }, () => rng.normal());
  const target = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    target[2 * i] = x[3 * i] - 2 * x[3 * i + 2] + 0.5;
    target[2 * i + 1] = 3 * x[3 * i + 1];
  }
  const d: Dataset = { name: 'toy', size: n, fields: { x: { dtype: 'f32', sampleShape: [3, 1], data: x }, target: { dtype: 'f32', sampleShape: [2], data: target } } };
  const w = fitLinearAr(d, 0);
  const want = [1, 0, 0, 3, -2, 0, 0.5, 0]; // rows: x0, x1, x2, bias; columns: t0, t1
  want.forEach((v, i) => close(w[i], v, 1e-4, `w[${i}]`));
});

test('seasonal baselines: the linear AR is near the noise floor (sd 0.15), the naive forecasts far above it', () => {
  const b = dataBaselines('seasonal', { train: seasonal({ split: 'train' }), evaluated: seasonal({ split: 'test' }) });
  assert.ok(b.linear_ar.mse > 0.0225 && b.linear_ar.mse < 0.035, `linear_ar ${b.linear_ar.mse}`);
  for (const k of ['mean', 'persistence', 'seasonal_naive']) assert.ok(b[k].mse > 10 * b.linear_ar.mse, `${k} ${b[k].mse}`);
});

test('PCA: keeping the k directions of largest variance leaves the variance of the others', () => {
  const n = 5000;
  const rng = new Rng(2);
  const scales = [3, 0.5, 2, 0.1];
  const rows = Float64Array.from({ length: n * 4 }, (_, i) => scales[i % 4] * rng.normal() + 7);
  const p = fitPca(rows, n, 4, 2);
  // dropped: the 0.5 and 0.1 directions -> (0.25 + 0.01) / 4 per value
  close(pcaReconstructionMse(p, rows, n), (0.25 + 0.01) / 4, 0.005, 'pca mse');
  close(meanRowMse(rows, n, rows, n, 4), (9 + 0.25 + 4 + 0.01) / 4, 0.1, 'mean mse');
});

test('Fréchet distance: 0 for a set against itself, |Δμ|² + d(σ₁ - σ₂)² for isotropic Gaussians', () => {
  const n = 20000;
  const d = 3;
  const rng = new Rng(5);
  const a = Float64Array.from({ length: n * d }, () => rng.normal());
  const b = Float64Array.from({ length: n * d }, (_, i) => 2 * rng.normal() + (i % d === 0 ? 1 : 0));
  close(frechetDistance(a, n, a, n, d), 0, 1e-6, 'self');
  close(frechetDistance(a, n, b, n, d), 1 + d * (2 - 1) ** 2, 0.15, 'two Gaussians');
});

test('classifier score: 1 for one class everywhere, the class count for sure and even predictions; class counts', () => {
  assert.is(classifierScore([0.5, 0.5, 0.5, 0.5], 2, 2), 1);
  close(classifierScore([1, 0, 0, 0, 1, 0, 0, 0, 1], 3, 3), 3, 1e-9, 'sure and even');
  assert.equal(classCounts([0.1, 0.9, 0.8, 0.2, 0.3, 0.7], 3, 2), [1, 2]);
});

test('n-grams: a repeating sequence is certain to a trigram model, uncertain to a unigram one', () => {
  // tokens 0 1 2 0 1 2 ...; the label is the next token
  const T = 12;
  const make = (size: number): Dataset => {
    const tokens = Int32Array.from({ length: size * T }, (_, i) => i % 3);
    const label = Int32Array.from({ length: size * T }, (_, i) => (i + 1) % 3);
    return { name: 'cycle', size, fields: { tokens: { dtype: 'i32', sampleShape: [T], data: tokens }, label: { dtype: 'i32', sampleShape: [T], data: label } } };
  };
  const b = ngramBaselines(make(20), make(5), make(5), 3);
  close(b.unigram.cross_entropy, Math.log(3), 0.01, 'unigram');
  assert.ok(b.bigram.cross_entropy < 0.01 && b.trigram.cross_entropy < 0.01, JSON.stringify(b));
});

test('majority: the most frequent train class', () => {
  const d = (labels: number[]): Dataset => ({ name: 'd', size: labels.length, fields: { label: { dtype: 'i32', sampleShape: [], data: Int32Array.from(labels) } } });
  assert.equal(majority(d([1, 1, 0, 2]), d([1, 0, 1, 1])), { accuracy: 0.75 });
});

test.run();
