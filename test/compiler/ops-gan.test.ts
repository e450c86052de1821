/**
 * The GAN / autoencoder ops beyond the registry-wide checks (which gradient-
 * check and CPU-check their samples): conv2d_transpose is the adjoint of
 * conv2d and has PyTorch's output extents; upsample2d gives PyTorch's values
 * (bilinear with align_corners = false) and upsample2d_grad is its adjoint;
 * random_normal is deterministic per (seed, step, salt) and standard normal;
 * stop_gradient blocks autodiff; shape errors name the shapes.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GraphBuilder } from '../../compiler/builder.js';
import { evaluate } from '../../compiler/interp.js';
import { Graph, type Attrs } from '../../compiler/ir.js';
import { getOp } from '../../compiler/ops/index.js';
import { ShapeError, type RefTensor } from '../../compiler/ops/types.js';
import { gradients } from '../../compiler/passes/autodiff.js';

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

const rand = (shape: number[], r: () => number): RefTensor => ({ dtype: 'f32', shape, data: Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r() * 2 - 1) });
const of = (shape: number[], values: number[]): RefTensor => ({ dtype: 'f32', shape, data: Float64Array.from(values) });
const scalar = (v: number): RefTensor => ({ dtype: 'f32', shape: [], data: Float64Array.of(v) });
const dot = (a: RefTensor, b: RefTensor) => Array.from(a.data).reduce((s, v, i) => s + v * b.data[i], 0);
const ref = (op: string, ins: RefTensor[], attrs: Attrs) => getOp(op).reference(ins, attrs, {})[0];
const inferShape = (op: string, shapes: number[][], attrs: Attrs) => getOp(op).infer(shapes.map((shape) => ({ dtype: 'f32', shape })), attrs)[0].shape;

function shapeError(f: () => unknown): ShapeError {
  try {
    f();
  } catch (e) {
    if (e instanceof ShapeError) return e;
    throw e;
  }
  throw new Error('expected a ShapeError');
}

test('conv2d_transpose: PyTorch output extents', () => {
  // (H - 1) s - pt - pb + d (K - 1) + op + 1
  assert.equal(inferShape('conv2d_transpose', [[8, 64, 7, 7], [64, 32, 4, 4]], { strides: [2, 2], pads: [1, 1, 1, 1] }), [8, 32, 14, 14]);
  assert.equal(inferShape('conv2d_transpose', [[1, 3, 5, 5], [3, 2, 3, 3]], {}), [1, 2, 7, 7]);
  assert.equal(inferShape('conv2d_transpose', [[1, 3, 5, 6], [3, 2, 3, 3]], { strides: [2, 3], pads: [1, 0, 1, 2], output_padding: [1, 2] }), [1, 2, 10, 18]);
  assert.equal(inferShape('conv2d_transpose', [[1, 4, 5, 5], [4, 3, 3, 3]], { groups: 2, dilations: [2, 1] }), [1, 6, 9, 7]);
  const sym = getOp('conv2d_transpose').infer([{ dtype: 'f32', shape: ['B', 4, 3, 3] }, { dtype: 'f32', shape: [4, 1, 2, 2] }], { strides: [2, 2] });
  assert.equal(sym[0].shape, ['B', 1, 6, 6]);
});

test('conv2d_transpose: a stride-2 2x2 kernel of ones copies each pixel into a 2x2 block', () => {
  const y = ref('conv2d_transpose', [of([1, 1, 2, 2], [1, 2, 3, 4]), of([1, 1, 2, 2], [1, 1, 1, 1])], { strides: [2, 2] });
  assert.equal(y.shape, [1, 1, 4, 4]);
  assert.equal(Array.from(y.data), [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
  // stride 1: overlapping taps add up (a full convolution)
  const z = ref('conv2d_transpose', [of([1, 1, 2, 2], [1, 2, 3, 4]), of([1, 1, 2, 2], [1, 1, 1, 1])], {});
  assert.equal(Array.from(z.data), [1, 3, 2, 4, 10, 6, 3, 7, 4]);
});

test('conv2d_transpose is the adjoint of conv2d: <T(x), y> = <x, conv2d(y)>, and equals conv2d_backprop_input', () => {
  const r = rng(4);
  const cases: { x: number[]; w: number[]; attrs: Attrs }[] = [
    { x: [2, 4, 3, 3], w: [4, 3, 4, 4], attrs: { strides: [2, 2], pads: [1, 1, 1, 1] } },
    { x: [1, 2, 3, 4], w: [2, 3, 3, 2], attrs: { strides: [2, 3], pads: [0, 1, 2, 0], dilations: [2, 1], output_padding: [1, 2] } },
    { x: [2, 4, 3, 3], w: [4, 1, 3, 3], attrs: { groups: 2, strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 0] } },
  ];
  for (const c of cases) {
    const x = rand(c.x, r);
    const w = rand(c.w, r);
    const t = ref('conv2d_transpose', [x, w], c.attrs);
    const y = rand(t.shape, r);
    const { output_padding: _, ...convAttrs } = c.attrs;
    const cy = ref('conv2d', [y, w], convAttrs);
    assert.equal(cy.shape, x.shape);
    assert.ok(Math.abs(dot(t, y) - dot(x, cy)) < 1e-9 * (1 + Math.abs(dot(t, y))), `adjoint ${JSON.stringify(c)}`);
    const bpi = ref('conv2d_backprop_input', [x, w], { ...convAttrs, inputSize: t.shape.slice(2) });
    t.data.forEach((v, i) => assert.ok(Math.abs(v - bpi.data[i]) < 1e-12));
  }
});

test('conv2d_transpose: shape errors print the shapes', () => {
  let e = shapeError(() => inferShape('conv2d_transpose', [[2, 3, 4], [3, 2, 3, 3]], {}));
  assert.is(e.code, 'DNN0008');
  assert.match(e.message, 'conv2d_transpose expects its input as [N, C, H, W]; got f32[2, 3, 4] of rank 3');
  e = shapeError(() => inferShape('conv2d_transpose', [[2, 3, 4, 4], [4, 2, 3, 3]], {}));
  assert.match(e.message, 'expects 4 input channels but the input has 3: f32[2, 3, 4, 4] with weight f32[4, 2, 3, 3]');
  e = shapeError(() => inferShape('conv2d_transpose', [[2, 3, 4, 4], [3, 2, 3, 3]], { strides: [2, 2], output_padding: [2, 0] }));
  assert.is(e.code, 'DNN0022');
  assert.match(e.message, 'output_padding [2, 0] must be smaller than the strides [2, 2]');
  e = shapeError(() => inferShape('conv2d_transpose', [[2, 3, 1, 1], [3, 2, 1, 1]], { pads: [1, 0, 0, 0] }));
  assert.match(e.message, 'empty 0x1 output');
  e = shapeError(() => inferShape('conv2d_transpose', [[2, 4, 3, 3], [4, 2, 3, 3]], { groups: 3 }));
  assert.match(e.message, 'not divisible by groups = 3');
});

test('upsample2d: nearest and bilinear values (PyTorch, align_corners = false)', () => {
  const x = of([1, 1, 2, 2], [1, 2, 3, 4]);
  const near = ref('upsample2d', [x], { scale: [2, 2], mode: 'nearest' });
  assert.equal(near.shape, [1, 1, 4, 4]);
  assert.equal(Array.from(near.data), [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
  const bil = ref('upsample2d', [x], { scale: [2, 2], mode: 'bilinear' });
  // torch.nn.functional.interpolate(x, scale_factor=2, mode='bilinear')
  const want = [1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4];
  bil.data.forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-12, `bilinear ${i}: ${v} vs ${want[i]}`));
  // x3 along the width of [0, 3]: sources -1/3 (clamped), 0, 1/3, 2/3, 1, 4/3 (clamped to the last pixel)
  const w3 = ref('upsample2d', [of([1, 1, 1, 2], [0, 3])], { scale: [1, 3], mode: 'bilinear' });
  [0, 0, 1, 2, 3, 3].forEach((v, i) => assert.ok(Math.abs(w3.data[i] - v) < 1e-12, `x3 ${i}: ${w3.data[i]}`));
});

test('upsample2d_grad is the adjoint of upsample2d; infer errors name the shapes', () => {
  const r = rng(8);
  for (const mode of ['nearest', 'bilinear'])
    for (const scale of [[2, 2], [3, 2], [1, 4]]) {
      const x = rand([2, 3, 4, 5], r);
      const y = ref('upsample2d', [x], { scale, mode });
      const g = rand(y.shape, r);
      const gx = ref('upsample2d_grad', [g], { scale, mode });
      assert.equal(gx.shape, x.shape);
      assert.ok(Math.abs(dot(y, g) - dot(x, gx)) < 1e-9, `${mode} ${scale}`);
    }
  let e = shapeError(() => inferShape('upsample2d', [[2, 3, 4]], { scale: [2, 2] }));
  assert.is(e.code, 'DNN0008');
  assert.match(e.message, 'got f32[2, 3, 4] of rank 3');
  e = shapeError(() => inferShape('upsample2d', [[2, 3, 4, 4]], { scale: [2, 2], mode: 'bicubic' }));
  assert.match(e.message, "mode must be nearest or bilinear, got 'bicubic'");
  e = shapeError(() => inferShape('upsample2d', [[2, 3, 4, 4]], { scale: [0, 2] }));
  assert.match(e.message, "'scale' must be two integers >= 1");
  e = shapeError(() => inferShape('upsample2d_grad', [[2, 3, 5, 4]], { scale: [2, 2] }));
  assert.match(e.message, 'dy f32[2, 3, 5, 4] is not a multiple of the scale [2, 2]');
});

test('random_normal: deterministic per (seed, step, salt), standard normal, mean and std attributes', () => {
  const draw = (seed: number, step: number, salt: number, extra: Attrs = {}) => getOp('random_normal').reference([scalar(step), scalar(seed)], { shape: [200, 'B'], salt, ...extra }, { B: 100 })[0];
  const a = draw(7, 3, 11);
  assert.equal(a.shape, [200, 100]);
  assert.equal(Array.from(draw(7, 3, 11).data), Array.from(a.data), 'same key: same numbers');
  for (const [b, what] of [[draw(8, 3, 11), 'seed'], [draw(7, 4, 11), 'step'], [draw(7, 3, 12), 'salt']] as const) {
    let same = 0;
    for (let i = 0; i < a.data.length; i++) if (a.data[i] === b.data[i]) same++;
    assert.ok(same < 10, `another ${what} draws other numbers`);
  }
  const n = a.data.length;
  const mean = Array.from(a.data).reduce((s, v) => s + v, 0) / n;
  const std = Math.sqrt(Array.from(a.data).reduce((s, v) => s + (v - mean) ** 2, 0) / n);
  assert.ok(Math.abs(mean) < 0.03 && Math.abs(std - 1) < 0.03, `mean ${mean}, std ${std}`);
  const within1 = a.data.filter((v) => Math.abs(v) < 1).length / n;
  assert.ok(Math.abs(within1 - 0.6827) < 0.02, `P(|z| < 1) = ${within1}`);
  const c = draw(7, 3, 11, { mean: 3, std: 0.5 });
  c.data.forEach((v, i) => assert.ok(Math.abs(v - (3 + 0.5 * a.data[i])) < 1e-12));
  const e = shapeError(() => getOp('random_normal').infer([{ dtype: 'f32', shape: [2] }, { dtype: 'f32', shape: [] }], { shape: [2], salt: 0 }));
  assert.match(e.message, 'input 0 (step) must be an f32 scalar, got f32[2]');
});

test('stop_gradient: the identity forward, and autodiff sends nothing through it', () => {
  const g = new Graph('sg');
  const b = new GraphBuilder(g);
  const x = b.input('x', 'f32', [3]);
  const w = b.param('w', 'f32', [3], { kind: 'zeros' });
  const v = b.param('v', 'f32', [3], { kind: 'zeros' });
  const stopped = b.op('stop_gradient', [b.mul(x, w)]);
  const loss = b.op('reduce_sum', [b.add(b.mul(stopped, stopped), b.mul(x, v))], { axes: [], keepdims: false });
  const grads = gradients(b, loss, [w, v]);
  assert.is(grads.get(w), undefined, 'w is only reached through stop_gradient');
  assert.ok(grads.get(v), 'v still gets its gradient');
  g.outputs = [{ name: 'y', value: stopped }];
  const res = evaluate(g, { inputs: { x: of([3], [1, -2, 3]) }, params: { w: of([3], [2, 2, 2]), v: of([3], [0, 0, 0]) } });
  assert.equal(Array.from(res.outputs.y.data), [2, -4, 6]);
});

test.run();
