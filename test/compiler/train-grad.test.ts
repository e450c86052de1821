/**
 * End-to-end autodiff checks through the real pipeline (test/helpers/numeric.ts:
 * sgd(lr: 1) makes the step's update p - g; g against finite differences).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileSource } from '../../compiler/compile.js';
import type { RefTensor } from '../../compiler/ops/types.js';
import { checkStepGradients, rng, tensor } from '../helpers/numeric.js';

function gradCheck(name: string, source: string, feeds: (r: () => number) => Record<string, RefTensor>) {
  test(`autodiff through the pipeline: ${name}`, () => {
    const res = compileSource(source, `${name}.dnn`, { verify: true });
    assert.equal(res.diagnostics.map((d) => d.message), []);
    checkStepGradients(res.file!.models[0], { inputs: feeds(rng(3)), atLeast: 11 });
  });
}

gradCheck(
  'mlp-cross-entropy',
  `model M { input x: f32[B, 3]  output y: f32[B, 4]
     y = x |> dense(5) |> tanh |> dense(4) }
   train M { label: i32[B]  loss = cross_entropy(y, label)  optimizer = sgd(lr: 1) }`,
  (r) => ({ x: tensor([6, 3], r), label: tensor([6], r, 'i32', 4) }),
);

gradCheck(
  'broadcast-and-layernorm-mse',
  `model M { input x: f32[B, 4]  output y: f32[B, 2]
     h = x |> layernorm |> dense(3) |> sigmoid
     y = (h * 2 - mean(h, axis: -1, keepdims: true)) |> dense(2) }
   train M { target: f32[B, 2]  loss = mse(y, target)  optimizer = sgd(lr: 1) }`,
  (r) => ({ x: tensor([5, 4], r), target: tensor([5, 2], r) }),
);

gradCheck(
  'rank3-dense-slice-huber',
  `model M { input x: f32[B, 3, 4]  output y: f32[B, 2]
     h = x |> dense(3) |> gelu
     y = h[:, -1, :2] + h[:, 0, 1:] }
   train M { target: f32[B, 2]  loss = huber(y, target, delta: 0.5)  optimizer = sgd(lr: 1) }`,
  (r) => ({ x: tensor([2, 3, 4], r), target: tensor([2, 2], r) }),
);

gradCheck(
  'scan-shared-weights-through-time',
  `block Cell(x: f32[B, I], h: f32[B, H]) -> f32[B, H] { return tanh(dense(x, H) + dense(h, H)) }
   model M { input x: f32[B, 4, 3]  output y: f32[B, 2]
     hs = scan(Cell, over: x, axis: 1, init: zeros[B, 5])
     y = hs[:, -1, :] |> dense(2) }
   train M { target: f32[B, 2]  loss = mse(y, target)  optimizer = sgd(lr: 1) }`,
  (r) => ({ x: tensor([2, 4, 3], r), target: tensor([2, 2], r) }),
);

test('scan: one set of weights for every step; a symbolic length is a located diagnostic', () => {
  const cell = `block Cell(x: f32[B, I], h: f32[B, H]) -> f32[B, H] { return tanh(dense(x, H) + dense(h, H)) }`;
  const ok = compileSource(`${cell} model M { input x: f32[B, 7, 3]  output y: f32[B, 7, 4]  y = scan(Cell, over: x, init: zeros[B, 4]) }`, 's.dnn', { verify: true });
  assert.equal(ok.diagnostics, []);
  assert.equal(ok.file!.models[0].params.map((p) => p.path), ['M.scan_1.Cell.dense_1.weight', 'M.scan_1.Cell.dense_1.bias', 'M.scan_1.Cell.dense_2.weight', 'M.scan_1.Cell.dense_2.bias']);
  const sym = compileSource(`${cell} model M { input x: f32[B, T, 3]  output y: f32[B, T, 4]  y = scan(Cell, over: x, init: zeros[B, 4]) }`, 's.dnn');
  assert.equal(sym.diagnostics.map((d) => d.code), ['DNN0015']);
  const notBlock = compileSource(`${cell} model M { input x: f32[B, 7, 3]  output y: f32[B, 7, 4]  y = scan(Cel, over: x, init: zeros[B, 4]) }`, 's.dnn');
  assert.match(notBlock.diagnostics[0].message, /did you mean 'Cell'/);
});

test('the optimizer state and updates cover every parameter (adam)', () => {
  const res = compileSource(
    `model M { input x: f32[B, 2]  output y: f32[B, 1]  y = x |> dense(3) |> relu |> dense(1) }
     train M { t: f32[B, 1]  loss = mse(y, t)  optimizer = adam(lr: 0.01) }`,
    'adam.dnn',
    { verify: true },
  );
  const m = res.file!.models[0];
  const paths = m.params.map((p) => p.path).sort();
  assert.equal(paths, ['M.dense_1.bias', 'M.dense_1.weight', 'M.dense_2.bias', 'M.dense_2.weight']);
  const updated = m.train!.step.updates.map((u) => u.path).sort();
  assert.equal(updated, [...paths, ...paths.map((p) => `${p}.m`), ...paths.map((p) => `${p}.v`)].sort());
  assert.equal(m.train!.state.length, 8);
});

test.run();
