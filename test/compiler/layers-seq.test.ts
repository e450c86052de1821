/**
 * Sequence layers in .dnn: embedding, positional, rmsnorm, attention (causal
 * and padding masks, symbolic B and T), rnn / lstm / gru (return all | last,
 * bidirectional, stacked). Shapes and parameters as documented; autodiff
 * through each layer matches finite differences of the float64 reference
 * interpreter; the CPU program agrees with the reference, respects the
 * causal mask, and reports token ids outside the vocabulary; bad inputs get
 * located diagnostics.
 */
import '../../examples/dnnc.data.js'; // the examples' data sets (loans, ring, the sequence sets)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileSource } from '../../compiler/compile.js';
import type { CompiledModel } from '../../compiler/compiled.js';
import { evaluate } from '../../compiler/interp.js';
import type { RefTensor } from '../../compiler/ops/types.js';
import { programFromModel } from '../../codegen/module/plan-model.js';
import { instantiate } from '../../runtime/index.js';
import { checkStepGradients, rng, tensor } from '../helpers/numeric.js';

function compileOk(src: string, file = 'seq.dnn'): CompiledModel {
  const res = compileSource(src, file, { verify: true });
  assert.equal(res.diagnostics.map((d) => `${d.span.line}:${d.span.col} ${d.code} ${d.message}`), []);
  return res.file!.models[0];
}

function diagnostics(src: string): string[] {
  return compileSource(src, 'bad.dnn').diagnostics.map((d) => `${d.span.line}:${d.span.col} ${d.code} ${d.message}`);
}

/** Autodiff of the training step against finite differences (test/helpers/numeric.ts), 24 elements per parameter. */
function gradCheck(name: string, source: string, feeds: (r: () => number) => Record<string, RefTensor>, paramScale = 1) {
  test(`autodiff through ${name} matches finite differences`, () => {
    checkStepGradients(compileOk(source, `${name}.dnn`), { inputs: feeds(rng(11)), seed: 11, paramScale, perParam: 24, atLeast: 21 });
  });
}

gradCheck(
  'embedding + positional + causal attention with a padding mask + rmsnorm',
  `model M { input tokens: i32[B, T]  input mask: f32[B, T]  output y: f32[B, T, 5]
     h = embedding(tokens, vocab: 5, dim: 4) + positional(T, 4, max: 8)
     h = h + attention(h |> rmsnorm, heads: 2, causal: true, mask: mask)
     y = h |> dense(5) }
   train M { label: i32[B, T]  loss = cross_entropy(y, label)  optimizer = sgd(lr: 1) }`,
  (r) => ({
    tokens: tensor([2, 4], r, 'i32', 5),
    mask: { dtype: 'f32', shape: [2, 4], data: Float64Array.of(1, 1, 1, 1, 1, 1, 0, 0) },
    label: tensor([2, 4], r, 'i32', 5),
  }),
);

gradCheck(
  'lstm (return all) and a bidirectional gru (return last)',
  `model M { input x: f32[B, 4, 3]  output y: f32[B, 2]
     y = x |> lstm(units: 3) |> gru(units: 2, return: last, bidirectional: true) |> dense(2) }
   train M { target: f32[B, 2]  loss = mse(y, target)  optimizer = sgd(lr: 1) }`,
  (r) => ({ x: tensor([2, 4, 3], r), target: tensor([2, 2], r) }),
);

gradCheck(
  'stacked rnn layers after a learned positional table',
  `model M { input x: f32[B, 3, 2]  output y: f32[B, 3, 2]
     y = (x + positional(3, 2, kind: learned)) |> rnn(units: 3, layers: 2) |> dense(2) }
   train M { target: f32[B, 3, 2]  loss = mse(y, target)  optimizer = sgd(lr: 1) }`,
  (r) => ({ x: tensor([2, 3, 2], r), target: tensor([2, 3, 2], r) }),
);

test('recurrent layers: shapes of return all | last, bidirectional, stacked; parameters per direction and layer', () => {
  const m = compileOk(`
model R {
  input  x: f32[B, 6, 3]
  output a: f32[B, 6, 8]
  output b: f32[B, 10]
  output c: f32[B, 6, 4]
  a = x |> lstm(units: 4, bidirectional: true)
  b = x |> gru(units: 5, return: last, bidirectional: true)
  c = x |> rnn(units: 4, layers: 2, activation: relu)
}`);
  const params = Object.fromEntries(m.params.map((p) => [p.path, p.shape]));
  assert.equal(params['R.lstm_1.weight_ih'], [3, 16]);
  assert.equal(params['R.lstm_1.weight_hh'], [4, 16]);
  assert.equal(params['R.lstm_1.reverse.weight_ih'], [3, 16]);
  assert.equal(params['R.gru_1.weight_hh'], [5, 15]);
  assert.equal(params['R.gru_1.bias_hh'], [15]);
  assert.equal(params['R.rnn_1.l0.weight_ih'], [3, 4]);
  assert.equal(params['R.rnn_1.l1.weight_ih'], [4, 4]);
  assert.equal(m.predict.nodes.filter((n) => n.op === 'relu').length, 12);
});

test('attention and positional work for symbolic B and T; the causal mask hides later positions (CPU = reference)', async () => {
  const src = `
model A {
  input  tokens: i32[B, T]
  output y: f32[B, T, 6]
  h = embedding(tokens, vocab: 9, dim: 8) + positional(T, 8, max: 16)
  y = (h + attention(h, heads: 2, causal: true)) |> layernorm |> dense(6)
}`;
  const m = compileOk(src);
  assert.equal(m.outputs[0].shape, ['B', 'T', 6]);
  const model = await instantiate(programFromModel(m), { seed: 4 });
  const weights = model.getWeights();
  const r = rng(3);
  const run = async (ids: number[]) => (await model.predict({ tokens: { data: Int32Array.from(ids), shape: [2, 5] } })).y.data as Float32Array;
  const ids = Array.from({ length: 10 }, () => Math.floor(r() * 9));
  const y1 = await run(ids);
  // the reference interpreter (float64) agrees with the CPU program
  const params: Record<string, RefTensor> = {};
  for (const p of m.params) params[p.path] = { dtype: 'f32', shape: p.shape, data: Float64Array.from(weights[p.path]) };
  const ref = evaluate(m.predict, { inputs: { tokens: { dtype: 'i32', shape: [2, 5], data: Int32Array.from(ids) } }, params }).outputs.y;
  assert.equal(ref.shape, [2, 5, 6]);
  for (let i = 0; i < y1.length; i++) assert.ok(Math.abs(y1[i] - ref.data[i]) < 1e-4, `y[${i}]: cpu ${y1[i]} vs reference ${ref.data[i]}`);
  // changing the last token of each sequence changes only the last position's output
  const ids2 = [...ids];
  ids2[4] = (ids2[4] + 1) % 9;
  ids2[9] = (ids2[9] + 1) % 9;
  const y2 = await run(ids2);
  for (let b = 0; b < 2; b++)
    for (let t = 0; t < 5; t++) {
      const diff = Math.max(...Array.from({ length: 6 }, (_, k) => Math.abs(y1[(b * 5 + t) * 6 + k] - y2[(b * 5 + t) * 6 + k])));
      if (t < 4) assert.ok(diff < 1e-6, `position ${t} of sequence ${b} saw a later token (diff ${diff})`);
      else assert.ok(diff > 1e-4, `the changed position ${t} did not change`);
    }
});

test('a padding mask: padded keys do not change the output of real positions', async () => {
  const m = compileOk(`
model P {
  input  x: f32[B, 4, 6]
  input  mask: f32[B, 4]
  output y: f32[B, 4, 6]
  y = attention(x, heads: 3, mask: mask)
}`);
  const model = await instantiate(programFromModel(m), { seed: 2 });
  const r = rng(9);
  const x = Float32Array.from({ length: 24 }, () => r() * 2 - 1);
  const mask = Float32Array.of(1, 1, 1, 0);
  const y1 = (await model.predict({ x: { data: x, shape: [1, 4, 6] }, mask: { data: mask, shape: [1, 4] } })).y.data;
  const x2 = Float32Array.from(x);
  for (let k = 18; k < 24; k++) x2[k] += 5; // the padded position
  const y2 = (await model.predict({ x: { data: x2, shape: [1, 4, 6] }, mask: { data: mask, shape: [1, 4] } })).y.data;
  for (let i = 0; i < 18; i++) assert.ok(Math.abs(y1[i] - y2[i]) < 1e-5, `real position output ${i} changed`);
});

test('embedding: token ids outside the vocabulary are a run-time error naming the input and the position, on every backend', async () => {
  const m = compileOk(`model E { input ids: i32[B, 4]  output y: f32[B, 4, 3]  y = embedding(ids, vocab: 65, dim: 3) }`);
  const model = await instantiate(programFromModel(m));
  const ok = await model.predict({ ids: { data: Int32Array.of(0, 64, 3, 5), shape: [1, 4] } });
  assert.equal(ok.y.shape, [1, 4, 3]);
  try {
    await model.predict({ ids: { data: Int32Array.of(1, 2, 3, 70), shape: [1, 4] } });
    assert.unreachable('no error for token id 70');
  } catch (e) {
    assert.match((e as Error).message, "token id 70 at position 3 of 'ids' is outside the vocabulary [0, 65)");
  }
});

test('sinusoidal positions for a static T are a constant; learned ones a parameter; rmsnorm has a scale', () => {
  const m = compileOk(`
model S {
  input  x: f32[B, 5, 4]
  output y: f32[B, 5, 4]
  y = (x + positional(5, 4) + positional(5, 4, kind: learned)) |> rmsnorm
}`);
  const c = m.predict.nodes.find((n) => n.op === 'const' && Array.isArray(n.attrs.data) && (n.attrs.data as number[]).length === 20)!;
  assert.ok(c, 'the sinusoidal table is a constant');
  const data = c.attrs.data as number[];
  assert.ok(Math.abs(data[4 + 0] - Math.sin(1)) < 1e-12 && Math.abs(data[4 + 1] - Math.cos(1)) < 1e-12);
  assert.equal(m.params.map((p) => `${p.path} [${p.shape.join(', ')}]`), ['S.positional_2.weight [5, 4]', 'S.rmsnorm_1.scale [4]']);
});

test('diagnostics: symbolic T for recurrence, token dtype, heads, attention rank, mask shape', () => {
  assert.equal(diagnostics(`model M { input x: f32[B, T, 3]  output y: f32[B, 4]
  y = x |> lstm(units: 4, return: last) }`), [
    '2:12 DNN0015 lstm over a symbolic sequence length is not supported yet; give T a fixed size (the input is f32[B, T, 3])',
  ]);
  // a table with no rows (max: -1 was a RangeError while building it)
  for (const max of [0, -1])
    assert.equal(diagnostics(`model M { input x: f32[B, T, 4]  output y: f32[B, T, 4]\n  y = x + positional(T, 4, max: ${max}) }`), [
      `2:33 DNN0022 positional: max must be a positive integer, got ${max}`,
    ]);
  // found by the fuzzer (a TypeError in the dense after it): no time steps, no last state
  for (const layer of ['gru(units: 4, return: last)', 'lstm(units: 4, bidirectional: true)', 'rnn(units: 4, layers: 2)'])
    assert.equal(diagnostics(`model M { input x: f32[B, 0, 3]  output y: f32[B, 4]\n  y = x |> ${layer} |> dense(4) }`), [
      `2:7 DNN0022 ${layer.slice(0, layer.indexOf('('))} needs at least one time step, got x f32[B, 0, 3] (T = 0)`,
    ]);
  const emb = diagnostics(`model M { input x: f32[B, 3]  output y: f32[B, 3, 4]
  y = embedding(x, vocab: 5, dim: 4) }`);
  assert.is(emb.length, 1);
  assert.match(emb[0], 'DNN0018 embedding expects i32 token ids, got f32[B, 3]');
  const heads = diagnostics(`model M { input x: f32[B, 3, 6]  output y: f32[B, 3, 6]
  y = attention(x, heads: 4) }`);
  assert.match(heads[0], 'DNN0022 attention: dim 6 is not divisible by heads = 4');
  const rank = diagnostics(`model M { input x: f32[B, 6]  output y: f32[B, 6]
  y = attention(x, heads: 2) }`);
  assert.match(rank[0], 'DNN0008 attention expects f32[B, T, D]');
  const mask = diagnostics(`model M { input x: f32[B, 3, 6]  input m: f32[B, 4]  output y: f32[B, 3, 6]
  y = attention(x, heads: 2, mask: m) }`);
  assert.match(mask[0], 'DNN0007 attention: mask must be f32[B, 3]');
  const rnn = diagnostics(`model M { input x: i32[B, 3]  output y: f32[B, 3, 2]
  y = x |> rnn(units: 2) }`);
  assert.match(rnn[0], 'DNN0008 rnn expects f32[B, T, I] (batch, time, features), got i32[B, 3]');
});

test.run();
