/**
 * Convolution, pooling and random ops beyond the registry-wide checks:
 * CPU kernels with a symbolic batch dim (N bound at run time), shape-rule
 * messages, the LeNet-sized shapes, and the counter-based random generator
 * (deterministic, uniform, independent across salts and steps).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GraphBuilder } from '../../compiler/builder.js';
import type { CompiledModel } from '../../compiler/compiled.js';
import type { Dim } from '../../compiler/dims.js';
import { Graph, type Attrs } from '../../compiler/ir.js';
import { getOp } from '../../compiler/ops/index.js';
import { ShapeError, type RefTensor } from '../../compiler/ops/types.js';
import { programFromModel } from '../../codegen/module/plan-model.js';
import { instantiate } from '../../runtime/index.js';

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function oneNode(op: string, shapes: Dim[][], attrs: Attrs): CompiledModel {
  const g = new Graph(op);
  const b = new GraphBuilder(g);
  b.scope = `T.${op}`;
  const ins = shapes.map((s, i) => b.input(`x${i}`, 'f32', s));
  const y = b.op(op, ins, attrs);
  g.outputs = [{ name: 'y', value: y }];
  return {
    name: op,
    inputs: ins.map((v, i) => ({ name: `x${i}`, dtype: 'f32', shape: v.type.shape })),
    outputs: [{ name: 'y', dtype: 'f32', shape: y.type.shape }],
    params: [],
    state: [],
    predict: g,
  };
}

/** The CPU kernel over inputs with a symbolic leading dim (only where `symbolic[i]`) against the reference. */
async function checkSymbolic(op: string, shapes: number[][], symbolic: boolean[], attrs: Attrs, batches: number[]) {
  const model = await instantiate(programFromModel(oneNode(op, shapes.map((s, i) => (symbolic[i] ? ['N', ...s.slice(1)] : s)), attrs)));
  for (const N of batches) {
    const r = rng(N * 31 + shapes.length);
    const ins: RefTensor[] = shapes.map((s, i) => {
      const shape = symbolic[i] ? [N, ...s.slice(1)] : s;
      const n = shape.reduce((a, c) => a * c, 1);
      return { dtype: 'f32', shape, data: Float64Array.from({ length: n }, () => Math.fround(r() * 2 - 1)) };
    });
    const want = getOp(op).reference(ins, attrs, { N })[0];
    const feed: Record<string, { data: Float32Array; shape: number[] }> = {};
    ins.forEach((t, i) => (feed[`x${i}`] = { data: Float32Array.from(t.data), shape: t.shape }));
    const got = (await model.predict(feed)).y;
    assert.equal(got.shape, want.shape, `${op} N=${N}: shape`);
    for (let i = 0; i < want.data.length; i++)
      if (!(Math.abs(got.data[i] - want.data[i]) <= 1e-5 * Math.max(1, Math.abs(want.data[i])))) assert.unreachable(`${op} N=${N}: element ${i} is ${got.data[i]}, reference ${want.data[i]}`);
  }
}

test('conv2d and its gradient ops run with a symbolic batch (several batch sizes on one model)', async () => {
  const attrs = { strides: [2, 1], pads: [1, 2, 0, 1], dilations: [1, 2] };
  await checkSymbolic('conv2d', [[2, 4, 7, 6], [5, 4, 3, 2]], [true, false], attrs, [1, 3, 2]);
  await checkSymbolic('conv2d', [[2, 4, 6, 6], [4, 2, 3, 3]], [true, false], { groups: 2, pads: [1, 1, 1, 1] }, [3, 1]);
  await checkSymbolic('conv2d_backprop_input', [[2, 5, 3, 7], [5, 4, 3, 2]], [true, false], { ...attrs, inputSize: [7, 6] }, [1, 3]);
  await checkSymbolic('conv2d_backprop_filter', [[2, 4, 7, 6], [2, 5, 3, 7]], [true, true], { ...attrs, kernel: [3, 2] }, [1, 3]);
  await checkSymbolic('maxpool2d', [[2, 3, 6, 6]], [true], { kernel: [2, 2] }, [1, 3]);
  await checkSymbolic('avgpool2d_grad', [[2, 3, 3, 3]], [true], { kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], inputSize: [5, 5] }, [4]);
});

test('LeNet-sized convolutions: CPU kernels agree with the reference', async () => {
  await checkSymbolic('conv2d', [[2, 1, 28, 28], [6, 1, 5, 5]], [true, false], { pads: [2, 2, 2, 2] }, [2]);
  await checkSymbolic('conv2d_backprop_input', [[2, 16, 10, 10], [16, 6, 5, 5]], [true, false], { inputSize: [14, 14] }, [2]);
  await checkSymbolic('conv2d_backprop_filter', [[2, 6, 14, 14], [2, 16, 10, 10]], [true, true], { kernel: [5, 5] }, [2]);
});

function shapeError(op: string, shapes: Dim[][], attrs: Attrs): ShapeError {
  try {
    getOp(op).infer(shapes.map((shape) => ({ dtype: 'f32', shape })), attrs);
  } catch (e) {
    if (e instanceof ShapeError) return e;
    throw e;
  }
  throw new Error(`${op}: expected a shape error`);
}

test('conv2d shape rules: output extents and messages that print the shapes', () => {
  const conv = getOp('conv2d');
  const out = (x: Dim[], w: Dim[], attrs: Attrs = {}) => conv.infer([{ dtype: 'f32', shape: x }, { dtype: 'f32', shape: w }], attrs)[0].shape;
  assert.equal(out(['B', 1, 28, 28], [6, 1, 5, 5], { pads: [2, 2, 2, 2] }), ['B', 6, 28, 28]);
  assert.equal(out(['B', 6, 14, 14], [16, 6, 5, 5]), ['B', 16, 10, 10]);
  assert.equal(out([2, 3, 32, 32], [8, 3, 3, 3], { strides: [2, 2], pads: [0, 0, 1, 1] }), [2, 8, 16, 16]);
  assert.equal(out([2, 3, 9, 9], [8, 3, 3, 3], { dilations: [2, 3] }), [2, 8, 5, 3]);
  assert.equal(out([2, 6, 9, 9], [4, 3, 3, 3], { groups: 2 }), [2, 4, 7, 7]);
  let e = shapeError('conv2d', [['B', 784], [6, 1, 5, 5]], {});
  assert.is(e.code, 'DNN0008');
  assert.match(e.message, 'conv2d expects its input as [N, C, H, W]; got f32[B, 784]');
  e = shapeError('conv2d', [['B', 3, 5, 5], [4, 3, 7, 7]], {});
  assert.match(e.message, 'the 7x7 window (kernel 7x7) is larger than the padded 5x5 input');
  e = shapeError('conv2d', [['B', 3, 5, 5], [4, 1, 3, 3]], { groups: 2 });
  assert.is(e.code, 'DNN0022');
  assert.match(e.message, 'not divisible by groups = 2');
  e = shapeError('conv2d', [['B', 4, 5, 5], [4, 3, 3, 3]], {});
  assert.match(e.message, 'the weight expects 3 input channels');
  assert.match(e.message, 'f32[B, 4, 5, 5] * f32[4, 3, 3, 3]');
  e = shapeError('conv2d', [['B', 'C', 5, 5], [4, 3, 3, 3]], {});
  assert.is(e.code, 'DNN0011');
  e = shapeError('conv2d_backprop_input', [['B', 4, 3, 3], [4, 3, 3, 3]], { inputSize: [7, 7] });
  assert.match(e.message, 'does not match the output extent 5x5');
  e = shapeError('maxpool2d', [['B', 3, 4, 4]], { kernel: [2, 2], pads: [2, 0, 0, 0] });
  assert.match(e.message, 'must be smaller than the 2x2 window');
});

test('random_uniform: deterministic, in [0, 1), roughly uniform, different per salt, step and seed', () => {
  const def = getOp('random_uniform');
  const scalar = (v: number): RefTensor => ({ dtype: 'f32', shape: [], data: Float64Array.of(v) });
  const draw = (step: number, seed: number, salt: number) => def.reference([scalar(step), scalar(seed)], { shape: [100, 'B'], salt }, { B: 100 })[0].data;
  const a = draw(1, 0, 7);
  assert.equal(Array.from(draw(1, 0, 7)), Array.from(a), 'same inputs, same draw');
  let sum = 0;
  const bins = new Array<number>(10).fill(0);
  for (const u of a) {
    assert.ok(u >= 0 && u < 1);
    assert.is(Math.fround(u), u, 'exact in f32');
    sum += u;
    bins[Math.floor(u * 10)]++;
  }
  assert.ok(Math.abs(sum / a.length - 0.5) < 0.01, `mean ${sum / a.length}`);
  for (const b of bins) assert.ok(Math.abs(b - 1000) < 120, `bins ${bins.join(', ')}`);
  for (const other of [draw(2, 0, 7), draw(1, 1, 7), draw(1, 0, 8)]) {
    let same = 0;
    for (let i = 0; i < a.length; i++) if (other[i] === a[i]) same++;
    assert.ok(same < 10, `${same} equal elements`);
  }
});

test.run();
