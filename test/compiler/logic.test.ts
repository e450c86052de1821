/**
 * The comparison and logical operators, where, number literals typed by the
 * tensor next to them, and dim(B): compiled and run on the CPU backend, and
 * their located diagnostics.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { programFromModel } from '../../codegen/module/plan-model.js';
import { compileSource } from '../../compiler/compile.js';
import { instantiate } from '../../runtime/index.js';

async function run(src: string, inputs: Record<string, { data: Float32Array | Int32Array; shape: number[] }>) {
  const r = compileSource(src, 'm.dnn', { verify: true });
  assert.equal(r.diagnostics.map((d) => d.message), []);
  const model = await instantiate(programFromModel(r.file!.models[0]), { seed: 1 });
  return model.predict(inputs);
}

function errors(src: string) {
  return compileSource(src, 'm.dnn').diagnostics;
}

test('comparisons give bool tensors; and, or, not combine them; literals take the i32 dtype', async () => {
  const out = await run(
    `model M {
      input tokens: i32[B, T]
      output mask: bool[B, T]
      output inner: bool[B, T]
      output count: f32[B]
      mask = tokens > 0
      inner = (tokens >= 2 and tokens <= 4) or tokens == 9 and not (tokens != 9)
      count = sum(where(mask, 1, 0), axis: 1)
    }`,
    { tokens: { data: Int32Array.from([3, 0, 9, 0, 2, 5, 0, 0]), shape: [2, 4] } },
  );
  assert.is(out.mask.dtype, 'bool');
  assert.equal(Array.from(out.mask.data), [1, 0, 1, 0, 1, 1, 0, 0]);
  assert.equal(Array.from(out.inner.data), [1, 0, 1, 0, 1, 0, 0, 0]);
  assert.equal(Array.from(out.count.data), [2, 2]);
});

test('where picks elementwise with broadcasting; minimum(tokens, 1) is i32', async () => {
  const out = await run(
    `model M {
      input x: f32[B, 3]
      input tokens: i32[B, 3]
      output y: f32[B, 3]
      output clipped: i32[B, 3]
      output mean_x: f32[3]
      y = where(x < 0, 0, x) + where(x == 2, 10, 0)
      clipped = minimum(tokens, 1) + tokens * 2 - 1
      mean_x = sum(x, axis: 0) / dim(B)
    }`,
    {
      x: { data: Float32Array.from([-1, 2, 0.5, 3, -2, 2]), shape: [2, 3] },
      tokens: { data: Int32Array.from([0, 4, 1, 7, 0, 2]), shape: [2, 3] },
    },
  );
  assert.equal(Array.from(out.y.data), [0, 12, 0.5, 3, 0, 12]);
  assert.is(out.clipped.dtype, 'i32');
  assert.equal(Array.from(out.clipped.data), [-1, 8, 2, 14, -1, 4]);
  assert.equal(Array.from(out.mean_x.data), [1, 0, 1.25]);
});

test('compile-time numbers and bools compare and combine to bools', () => {
  const r = compileSource(
    `param D = 4
     model M { input x: f32[B, D]  output y: f32[B, D]
       y = where(x > 0, x, x * 0.5) }`,
    'm.dnn',
  );
  assert.equal(r.diagnostics, []);
});

test('a loss through where and a comparison differentiates (the comparison has no gradient)', () => {
  const ok = compileSource(
    `model M { input x: f32[B, 4]  output y: f32[B, 1]
       h = x |> dense(8)
       y = where(h > 0, h, h * 0.1) |> dense(1) }
     train T on M { target: f32[B, 1]  loss = mse(y, target)  optimizer = sgd(lr: 0.1) }`,
    'm.dnn',
  );
  assert.equal(ok.diagnostics.map((d) => d.message), []);
});

test('and/or/not on non-bools is DNN0050 with a hint to compare first', () => {
  const [d] = errors(`model M { input tokens: i32[B, T]  output m: bool[B, T]  m = tokens and tokens > 3 }`);
  assert.is(d.code, 'DNN0050');
  assert.match(d.message, "'and' needs bool operands, got a tensor i32[B, T]");
  assert.match(d.help ?? '', "'x != 0'");
  const [n] = errors(`model M { input x: f32[B]  output m: bool[B]  m = not x }`);
  assert.is(n.code, 'DNN0050');
});

test('a dim in tensor arithmetic is DNN0051 with the hint to write dim(B)', () => {
  const [d] = errors(`model M { input x: f32[B, 4]  output y: f32[4]  y = sum(x, axis: 0) / B }`);
  assert.is(d.code, 'DNN0051');
  assert.match(d.message, 'the dimension B');
  assert.match(d.help ?? '', 'dim(B)');
  assert.is(d.span.col, 71);
  const [e] = errors(`model M { input x: f32[B, T]  output y: f32[B, T]  y = maximum(x, B * T) }`);
  assert.is(e.code, 'DNN0051');
  assert.match(e.help ?? '', 'dim((B*T))');
});

test('a fraction next to an i32 tensor is a dtype error with the cast hint', () => {
  const [d] = errors(`model M { input t: i32[B]  output y: i32[B]  y = minimum(t, 1.5) }`);
  assert.is(d.code, 'DNN0018');
  assert.match(d.help ?? '', 'cast');
});

test.run();
