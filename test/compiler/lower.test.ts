/** Lowering behaviour: parameter naming, blocks, repeat, shared weights, symbolic dims, param overrides. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileSource } from '../../compiler/compile.js';

function compile(src: string, params?: Record<string, number>) {
  return compileSource(src, 'test.dnn', { verify: true, params });
}
function ok(src: string, params?: Record<string, number>) {
  const r = compile(src, params);
  assert.equal(
    r.diagnostics.map((d) => `${d.code} ${d.message}`),
    [],
  );
  return r.file!;
}
function codes(src: string) {
  return compile(src).diagnostics.map((d) => d.code);
}

test('parameters are named by their place, or by name:', () => {
  const f = ok(`model M { input x: f32[B, 4]  output y: f32[B, 2]
    y = x |> dense(8) |> relu |> dense(8, name: hidden) |> dense(2) }`);
  assert.equal(
    f.models[0].params.map((p) => `${p.path}:${p.shape.join('x')}`),
    ['M.dense_1.weight:4x8', 'M.dense_1.bias:8', 'M.hidden.weight:8x8', 'M.hidden.bias:8', 'M.dense_2.weight:8x2', 'M.dense_2.bias:2'],
  );
});

test('a layer named twice with equal shapes shares its weights', () => {
  const f = ok(`model Siamese { input a: f32[B, 4]  input b: f32[B, 4]  output d: f32[B, 3]
    d = dense(a, 3, name: enc) - dense(b, 3, name: enc) }`);
  assert.equal(f.models[0].params.map((p) => p.path), ['Siamese.enc.weight', 'Siamese.enc.bias']);
});

test('repeat gives each iteration its own weights; blocks bind dims from arguments', () => {
  const f = ok(`block Up(x: f32[B, D], k: int) -> f32[B, D * k] { return x |> dense(D * k) |> tanh }
    model M { param L = 3  input x: f32[B, 2]  output y: f32[B, 16]
      h = x
      repeat L as stage { h = Up(h, 2) }
      y = h |> dense(16) }`);
  const paths = f.models[0].params.map((p) => `${p.path}:${p.shape.join('x')}`);
  assert.equal(paths.slice(0, 6), [
    'M.stage.0.Up_1.dense_1.weight:2x4',
    'M.stage.0.Up_1.dense_1.bias:4',
    'M.stage.1.Up_1.dense_1.weight:4x8',
    'M.stage.1.Up_1.dense_1.bias:8',
    'M.stage.2.Up_1.dense_1.weight:8x16',
    'M.stage.2.Up_1.dense_1.bias:16',
  ]);
});

test('symbolic dims flow through shapes and into the signature', () => {
  const f = ok(`model Seq { input x: f32[B, T, 6]  output y: f32[B, T - 1, 6]  output z: f32[B, T * 6]  output w: f32[B, 3, T, 2]
    y = x[:, 1:, :]
    z = x |> flatten
    w = z |> reshape(3, -1, 2) }`);
  assert.equal(f.models[0].inputs, [{ name: 'x', dtype: 'f32', shape: ['B', 'T', 6] }]);
  assert.equal(f.models[0].outputs.map((o) => o.shape), [['B', 'T-1', 6], ['B', '6*T'], ['B', 3, 'T', 2]]);
});

test('param overrides change shapes; unknown overrides are reported', () => {
  const src = `model M { param HIDDEN = 8  input x: f32[B, 4]  output y: f32[B, 2]  y = x |> dense(HIDDEN) |> dense(2) }`;
  assert.equal(ok(src, { HIDDEN: 32 }).models[0].params[0].shape, [4, 32]);
  const r = compile(src, { HIDEN: 3 });
  assert.equal(r.diagnostics.map((d) => d.code), ['DNN0022']);
  assert.match(r.diagnostics[0].message, /did you mean 'HIDDEN'/);
});

test('declared output shapes are checked against what the model computes', () => {
  assert.equal(codes(`model M { input x: f32[B, 4]  output y: f32[B, 3]  y = x |> dense(2) }`), ['DNN0010']);
  assert.equal(codes(`model M { input x: f32[B, 4]  output y: i32[B, 2]  y = x |> dense(2) }`), ['DNN0010']);
});

test('a failed statement does not cascade into its users', () => {
  // 'h' fails once; its later uses stay silent
  assert.equal(codes(`model M { input x: f32[B, 4]  output y: f32[B, 2]  h = x |> nosuch  y = h |> dense(2) }`), ['DNN0004']);
});

test('train block checks: fields, unknown model, optimizer on, misspelt field', () => {
  const base = `model M { input x: f32[B, 4]  output y: f32[B, 2]  y = x |> dense(2) }\n`;
  assert.equal(codes(base + `train M { label: i32[B] }`), ['DNN0020']);
  assert.equal(codes(base + `train M on N { label: i32[B]  loss = cross_entropy(y, label) }`), ['DNN0013']);
  assert.equal(codes(base + `train M { label: i32[B]  loss = cross_entropy(y, label)  optimiser = adam() }`), ['DNN0040']);
  assert.equal(codes(base + `train M { label: i32[B]  loss = cross_entropy(y, label)  data = nosuch }`), ['DNN0019']);
  assert.equal(codes(base + `train M { label: f32[B]  loss = cross_entropy(y, label) }`), ['DNN0018']);
  assert.equal(codes(base + `train M { loss = mean(x) }`), ['DNN0027']);
  const f = ok(base + `train M { label: i32[B]  loss = cross_entropy(y, label)  optimizer = momentum(lr: 0.1) on M  schedule = cosine(warmup: 10)  clip = norm(1.0)  batch = 16  epochs = 2 }`);
  const t = f.models[0].train!;
  assert.equal([t.optimizer.kind, t.optimizer.lr, t.schedule.kind, t.batch, t.epochs], ['momentum', 0.1, 'cosine', 16, 2]);
  assert.equal(t.trainInputs, [{ name: 'label', dtype: 'i32', shape: ['B'] }]);
});

test('constructs of later work are located "not supported yet" diagnostics, never crashes', () => {
  const cases = [
    `model M { input x: f32[B, T, 4]  output y: f32[B, T, 16]  y = x |> lstm(units: 16) }`,
    `model H { input x: f16[B, 4]  output y: f32[B, 4]  y = x |> dense(4) }`,
  ];
  for (const src of cases) assert.equal(codes(src), ['DNN0015'], src);
});

test('a top-level param or const cannot call anything: DNN0017 at the call, saying what it must be', () => {
  const where = (src: string) => compile(src).diagnostics.map((d) => `${d.span.line}:${d.span.col} ${d.code} ${d.message}`);
  const model = `model M { input x: f32[B, 2]  output y: f32[B, 2]  y = x * E }`;
  // found by the fuzzer: a builtin returning a value that is not a tensor (an optimizer) was a TypeError
  assert.equal(where(`const E = adam(3)\n${model}`), [
    "1:11 DNN0017 a top-level param or const must be a compile-time value (a number, a dim, a name), not a call of 'adam'",
  ]);
  assert.equal(where(`const E = 2 * relu(3)\n${model}`), [
    "1:15 DNN0017 a top-level param or const must be a compile-time value (a number, a dim, a name), not a call of 'relu'",
  ]);
  assert.equal(where(`block R(x: f32[B, 2]) -> f32[B, 2] { return x }\nparam E = R(1), F = scan(2)\n${model}`), [
    "2:11 DNN0017 a top-level param or const must be a compile-time value (a number, a dim, a name), not a call of block 'R'",
    "2:21 DNN0017 a top-level param or const must be a compile-time value (a number, a dim, a name), not a call of 'scan'",
  ]);
  assert.equal(where(`const E = M(1)\n${model}`), [
    "1:11 DNN0017 a top-level param or const must be a compile-time value (a number, a dim, a name), not a call of model 'M'",
  ]);
  // inside a body the call runs; an optimizer in arithmetic is the usual DNN0017
  assert.equal(codes(`model M { input x: f32[B, 2]  output y: f32[B, 2]  const E = adam(3)  y = x * E }`), ['DNN0017']);
  ok(`const E = 3, N = 2\nmodel M { input x: f32[B, N]  output y: f32[B, N]  y = x * E }`);
});

test('indexing: picks with integer tensors, slices with negatives', () => {
  const f = ok(`model P { input logits: f32[B, 5]  output lp: f32[B]  output last: f32[B, 2]
    lp = log_softmax(logits)[argmax(logits)]
    last = logits[:, -2:] }`);
  assert.equal(f.models[0].outputs.map((o) => o.shape), [['B'], ['B', 2]]);
});

test('top-k accuracy and plain accuracy are metrics with their own names', () => {
  const f = ok(`model M { input x: f32[B, 4]  output y: f32[B, 5]  y = x |> dense(5) }
    train M { label: i32[B]  loss = cross_entropy(y, label)  metrics = [accuracy(y, label), accuracy(y, label, k: 3)] }`);
  assert.equal(f.models[0].train!.metrics.map((m) => m.name), ['accuracy', 'top3_accuracy']);
});

test('a CSV label column that the file lacks is a located diagnostic', () => {
  mkdirSync('test/.out/csvcheck', { recursive: true });
  writeFileSync('test/.out/csvcheck/d.csv', 'a,b,outcome\n1,2,0\n');
  const src = (label: string) => `model M { input x: f32[B, 2]  output y: f32[B, 2]  y = x |> dense(2) }
    train M { data = csv("d.csv", label: "${label}")  label: i32[B]  loss = cross_entropy(y, label) }`;
  const good = compileSource(src('outcome'), 'm.dnn', { sourceDir: 'test/.out/csvcheck' });
  assert.equal(good.diagnostics, []);
  const bad = compileSource(src('outcme'), 'm.dnn', { sourceDir: 'test/.out/csvcheck' });
  assert.equal(bad.diagnostics.map((d) => d.code), ['DNN0029']);
  assert.match(bad.diagnostics[0].message, /no column 'outcme'; did you mean 'outcome'\?/);
  assert.is(bad.diagnostics[0].span.line, 2);
});

test.run();
