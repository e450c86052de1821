/**
 * Reference implementations and shape rules of the op registry: hand-computed
 * cases for the important ops, symbolic shape inference, shape errors, the
 * reference interpreter, and registry-wide consistency (infer vs reference).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GraphBuilder } from '../../compiler/builder.js';
import { shapeEq, shapeToString, type Dim } from '../../compiler/dims.js';
import { evaluate } from '../../compiler/interp.js';
import { Graph, type Attrs, type DType, type TensorType } from '../../compiler/ir.js';
import { allOps, getOp } from '../../compiler/ops/index.js';
import { ShapeError, type RefTensor } from '../../compiler/ops/types.js';
import { refTensor } from '../../compiler/ops/util.js';

const t = (shape: number[], data: number[], dtype: DType = 'f32'): RefTensor => refTensor(dtype, shape, data);
const arange = (shape: number[]) => t(shape, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i));
const run = (op: string, inputs: RefTensor[], attrs: Attrs = {}) => getOp(op).reference(inputs, attrs, {})[0];
const infer = (op: string, inputs: TensorType[], attrs: Attrs = {}) => getOp(op).infer(inputs, attrs)[0];
const f32 = (...shape: Dim[]): TensorType => ({ dtype: 'f32', shape });

function close(actual: RefTensor, shape: number[], expected: number[], tol = 1e-9) {
  assert.equal(actual.shape, shape, 'shape');
  assert.is(actual.data.length, expected.length, 'element count');
  expected.forEach((e, i) => {
    if (!(Math.abs(actual.data[i] - e) <= tol)) assert.unreachable(`element ${i}: ${actual.data[i]} vs expected ${e}`);
  });
}

function shapeError(fn: () => unknown, code: string, ...mentions: string[]) {
  try {
    fn();
  } catch (e) {
    assert.instance(e, ShapeError);
    const err = e as ShapeError;
    assert.is(err.code, code, `code of: ${err.message}`);
    for (const m of mentions) assert.ok(err.message.includes(m), `'${err.message}' mentions '${m}'`);
    return;
  }
  assert.unreachable('expected a ShapeError');
}

const A = t([2, 3], [1, 2, 3, 4, 5, 6]);
const B = t([3, 2], [7, 8, 9, 10, 11, 12]);
const AB = [58, 64, 139, 154];

test('matmul 2x3 @ 3x2', () => {
  close(run('matmul', [A, B]), [2, 2], AB);
});

test('matmul transA / transB', () => {
  const At = t([3, 2], [1, 4, 2, 5, 3, 6]);
  const Bt = t([2, 3], [7, 9, 11, 8, 10, 12]);
  close(run('matmul', [At, B], { transA: true }), [2, 2], AB);
  close(run('matmul', [A, Bt], { transB: true }), [2, 2], AB);
  close(run('matmul', [At, Bt], { transA: true, transB: true }), [2, 2], AB);
});

test('matmul broadcasts batch dims (N-D @ 2-D)', () => {
  const a = t([2, 2, 3], [1, 2, 3, 4, 5, 6, 0, 0, 0, 1, 1, 1]);
  close(run('matmul', [a, B]), [2, 2, 2], [...AB, 0, 0, 27, 30]);
  assert.equal(infer('matmul', [f32(4, 1, 5, 3), f32(2, 3, 7)]).shape, [4, 2, 5, 7]);
});

test('broadcast add [2,3] + [3]', () => {
  close(run('add', [A, t([3], [10, 20, 30])]), [2, 3], [11, 22, 33, 14, 25, 36]);
  close(run('sub', [A, t([2, 1], [1, 2])]), [2, 3], [0, 1, 2, 2, 3, 4]);
});

test('comparisons give bool, where selects', () => {
  const c = run('greater', [A, t([], [3])]);
  assert.is(c.dtype, 'bool');
  close(c, [2, 3], [0, 0, 0, 1, 1, 1]);
  close(run('where', [c, A, t([], [-1])]), [2, 3], [-1, -1, -1, 4, 5, 6]);
});

test('softmax: known values, rows sum to 1', () => {
  close(run('softmax', [t([3], [1, 2, 3])]), [3], [0.09003057317038046, 0.24472847105479767, 0.6652409557748219], 1e-12);
  const s = run('softmax', [t([2, 3], [1, 2, 3, 1000, 1000, -1000])]);
  for (let r = 0; r < 2; r++) assert.ok(Math.abs(s.data[r * 3] + s.data[r * 3 + 1] + s.data[r * 3 + 2] - 1) < 1e-12);
  close(s, [2, 3], [0.09003057317038046, 0.24472847105479767, 0.6652409557748219, 0.5, 0.5, 0], 1e-12);
  // along axis 0
  close(run('softmax', [t([2, 1], [0, 0])], { axis: 0 }), [2, 1], [0.5, 0.5]);
});

test('log_softmax', () => {
  close(run('log_softmax', [t([3], [1, 2, 3])]), [3], [-2.4076059644443806, -1.4076059644443806, -0.4076059644443806], 1e-12);
  close(run('log_softmax', [t([1, 2], [1000, 1000])]), [1, 2], [-Math.LN2, -Math.LN2], 1e-12);
});

test('reduce_mean with axes and keepdims', () => {
  const x = arange([2, 3, 4]);
  close(run('reduce_mean', [x], { axes: [0, 2], keepdims: true }), [1, 3, 1], [7.5, 11.5, 15.5]);
  close(run('reduce_mean', [x], { axes: [-1] }), [2, 3], [1.5, 5.5, 9.5, 13.5, 17.5, 21.5]);
  close(run('reduce_mean', [x]), [], [11.5]);
  close(run('reduce_sum', [x], { axes: [1] }), [2, 4], [12, 15, 18, 21, 48, 51, 54, 57]);
  close(run('reduce_max', [t([2, 2], [1, -3, 2, 0])], { axes: [0] }), [2], [2, 0]);
  assert.equal(infer('reduce_sum', [f32('B', 3)], { axes: [1], keepdims: true }).shape, ['B', 1]);
});

test('argmax (first index on ties)', () => {
  const a = run('argmax', [t([2, 3], [1, 5, 2, 7, 0, 7])]);
  assert.is(a.dtype, 'i32');
  close(a, [2], [1, 0]);
  close(run('argmax', [t([2, 2], [1, 5, 2, 3])], { axis: 0, keepdims: true }), [1, 2], [1, 0]);
});

test('slice with negative starts/ends and steps', () => {
  const x = arange([2, 5]);
  close(run('slice', [x], { axes: [1], starts: [-3], ends: [-1] }), [2, 2], [2, 3, 7, 8]);
  close(run('slice', [x], { axes: [1], starts: [1] }), [2, 4], [1, 2, 3, 4, 6, 7, 8, 9]);
  close(run('slice', [x], { axes: [0, 1], starts: [1, 0], ends: [2, 5], steps: [1, 2] }), [1, 3], [5, 7, 9]);
  close(run('slice_grad', [t([2, 2], [1, 2, 3, 4])], { shape: [2, 5], axes: [1], starts: [-3], ends: [-1] }), [2, 5], [0, 0, 1, 2, 0, 0, 0, 3, 4, 0]);
});

test('concat', () => {
  close(run('concat', [t([1, 2], [1, 2]), t([2, 2], [3, 4, 5, 6])]), [3, 2], [1, 2, 3, 4, 5, 6]);
  close(run('concat', [t([2, 1], [1, 2]), t([2, 2], [3, 4, 5, 6])], { axis: 1 }), [2, 3], [1, 3, 4, 2, 5, 6]);
  assert.equal(infer('concat', [f32('B', 3), f32('B', 'T')], { axis: -1 }).shape, ['B', 'T+3']);
  assert.equal(infer('concat', [f32('B', 3), f32('B', 3)], { axis: 0 }).shape, ['2*B', 3]);
});

test('one_hot', () => {
  const y = run('one_hot', [t([4], [2, 0, 1, 5], 'i32')], { depth: 3 });
  assert.is(y.dtype, 'f32');
  close(y, [4, 3], [0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0]);
});

test('transpose and broadcast_to', () => {
  close(run('transpose', [A]), [3, 2], [1, 4, 2, 5, 3, 6]);
  close(run('broadcast_to', [t([2, 1], [1, 2])], { shape: [2, 2, 3] }), [2, 2, 3], [1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2]);
});

test('unary ops', () => {
  close(run('relu', [t([3], [-1, 0, 2])]), [3], [0, 0, 2]);
  close(run('leaky_relu', [t([2], [-1, 2])], { alpha: 0.1 }), [2], [-0.1, 2]);
  close(run('sigmoid', [t([1], [0])]), [1], [0.5]);
  close(run('gelu', [t([1], [1])]), [1], [0.8411919906082768], 1e-12);
  const c = run('cast', [t([3], [-1.7, 2.9, 0])], { dtype: 'i32' });
  assert.is(c.dtype, 'i32');
  close(c, [3], [-1, 2, 0]);
});

test('reshape: -1 inference', () => {
  close(run('reshape', [arange([2, 3, 4])], { shape: [-1, 4] }), [6, 4], Array.from({ length: 24 }, (_, i) => i));
  assert.equal(infer('reshape', [f32(2, 3, 4)], { shape: [3, -1] }).shape, [3, 8]);
});

test('symbolic shapes: matmul, reshape, slice, broadcast', () => {
  assert.equal(infer('matmul', [f32('B', 784), f32(784, 128)]).shape, ['B', 128]);
  assert.equal(infer('reshape', [f32('B', 1, 28, 28)], { shape: ['B', 784] }).shape, ['B', 784]);
  assert.equal(infer('reshape', [f32('B', 1, 28, 28)], { shape: [-1, 784] }).shape, ['B', 784]);
  assert.equal(infer('reshape', [f32('B', 'T', 4)], { shape: ['B*T', 4] }).shape, ['B*T', 4]);
  assert.equal(infer('slice', [f32('B', 'T')], { axes: [1], starts: [1] }).shape, ['B', 'T-1']);
  assert.equal(infer('slice', [f32('B', 'T')], { axes: [1], starts: [0], ends: [-1] }).shape, ['B', 'T-1']);
  assert.equal(infer('add', [f32('B', 10), f32(10)]).shape, ['B', 10]);
  assert.equal(infer('add', [f32('B', 1), f32(1, 'T')]).shape, ['B', 'T']);
});

test('shape errors name the op and both shapes', () => {
  shapeError(() => infer('matmul', [f32('B', 784), f32(128, 10)]), 'DNN0007', 'matmul', '[B, 784]', '[128, 10]', '784 vs 128');
  shapeError(() => infer('add', [f32(2, 3), f32(4)]), 'DNN0007', 'add', '[2, 3]', '[4]');
  shapeError(() => infer('reshape', [f32(2, 3)], { shape: [4] }), 'DNN0007', 'reshape', '[2, 3]', '[4]');
  shapeError(() => infer('reshape', [f32('B', 3)], { shape: ['B', 2] }), 'DNN0007', '[B, 3]', '[B, 2]');
  shapeError(() => infer('concat', [f32(2, 3), f32(2, 4)]), 'DNN0007', '[2, 3]', '[2, 4]');
  shapeError(() => infer('broadcast_to', [f32(2, 3)], { shape: [3, 3] }), 'DNN0007', '[2, 3]', '[3, 3]');
  shapeError(() => infer('slice', [f32('B', 'T')], { axes: [1], starts: [0], steps: [2] }), 'DNN0015', '[B, T]');
});

test('dtype mismatch is DNN0018 and names both dtypes', () => {
  shapeError(() => infer('add', [f32(2, 3), { dtype: 'i32', shape: [2, 3] }]), 'DNN0018', 'add', 'f32', 'i32');
  shapeError(() => infer('exp', [{ dtype: 'i32', shape: [2] }]), 'DNN0018', 'exp', 'i32');
  shapeError(() => infer('where', [f32(2), f32(2), f32(2)]), 'DNN0018', 'where');
});

test('interp: evaluates a graph and binds symbolic dims from inputs', () => {
  const g = new Graph('m');
  const b = new GraphBuilder(g);
  const x = b.input('x', 'f32', ['B', 3]);
  const w = b.param('w', 'f32', [3, 2], { kind: 'zeros' });
  const y = b.op('relu', [b.add(b.op('matmul', [x, w]), b.fill(-60, [2]))]);
  const m = b.op('reduce_mean', [y], { axes: [0] });
  const flat = b.reshape(x, [-1]);
  g.outputs.push({ name: 'y', value: y }, { name: 'm', value: m }, { name: 'flat', value: flat });
  g.updates.push({ path: 'w', value: b.mul(w, b.scalar(2)) });
  assert.equal(flat.type.shape, ['3*B']);
  const res = evaluate(g, { inputs: { x: A }, params: { w: B } });
  close(res.outputs.y, [2, 2], [0, 4, 79, 94]);
  close(res.outputs.m, [2], [39.5, 49]);
  close(res.outputs.flat, [6], [1, 2, 3, 4, 5, 6]);
  close(res.updates.w, [3, 2], [14, 16, 18, 20, 22, 24]);
  assert.ok(res.values.get(y.id));
  assert.throws(() => evaluate(g, { inputs: { x: t([2, 4], [1, 2, 3, 4, 5, 6, 7, 8]) }, params: { w: B } }), /declared/);
});

test('registry: every non-leaf op has attrs, and samples whose shapes match the reference', () => {
  for (const def of allOps()) {
    if (def.kind === 'leaf') continue;
    assert.ok(Array.isArray(def.attrNames), `${def.name} lists attrNames`);
    assert.ok(def.samples.length > 0, `${def.name} has samples`);
    for (const s of def.samples) {
      const types = s.inputs.map((i) => ({ dtype: i.dtype ?? 'f32', shape: i.shape }));
      const inferred = def.infer(types, s.attrs ?? {});
      const outs = def.reference(
        s.inputs.map((i) => refTensor(i.dtype ?? 'f32', i.shape)),
        s.attrs ?? {},
        {},
      );
      assert.is(outs.length, inferred.length, `${def.name}: output count`);
      outs.forEach((o, k) => {
        assert.ok(shapeEq(o.shape, inferred[k].shape), `${def.name}: reference ${shapeToString(o.shape)} vs infer ${shapeToString(inferred[k].shape)}`);
        assert.is(o.dtype, inferred[k].dtype, `${def.name}: dtype`);
      });
    }
  }
});

test.run();
