/**
 * Reductions (pattern kind 'reduce'): reduce_sum / reduce_mean / reduce_max
 * over a set of axes, argmax, and softmax / log_softmax along one axis.
 * CPU kernels merge runs of adjacent reduced/kept axes and walk the input
 * once in memory order; a reduction over trailing axes is a tight loop with
 * a local accumulator.
 */
import { dimProduct, shapeToString, type Dim, type Shape } from '../dims.js';
import type { Attrs, DType, TensorType } from '../ir.js';
import { ShapeError, type OpDef, type OpSample, type RefTensor } from './types.js';
import { normAxis, refTensor, sizeOf, stridesOf } from './util.js';
import { boolAttr, expectArity, expectDtype, numAttr, numsAttr } from './kernel-util.js';

/** Sorted, de-duplicated, normalized axes; empty or absent = all axes. */
export function reduceAxes(attrs: Attrs, rank: number, op: string): number[] {
  const raw = numsAttr(attrs, 'axes');
  if (!raw || raw.length === 0) return Array.from({ length: rank }, (_, i) => i);
  const set = new Set<number>();
  for (const a of raw) {
    const n = normAxis(a, rank, op);
    if (set.has(n)) throw new ShapeError(`${op}: axis ${a} is listed twice in axes [${raw.join(', ')}]`, 'DNN0022');
    set.add(n);
  }
  return [...set].sort((x, y) => x - y);
}

function reducedShape<T>(shape: readonly T[], axes: readonly number[], keepdims: boolean, one: T): T[] {
  const out: T[] = [];
  shape.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keepdims) out.push(one);
  });
  return out;
}

/** Shape `shape` with the reduced axes set to 1 (keepdims form). */
function keptShape(shape: Shape, axes: readonly number[]): Shape {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

// ---------------------------------------------------------------- reference

export type Mode = 'sum' | 'mean' | 'max';

function refReduce(x: RefTensor, attrs: Attrs, mode: Mode, op: string): RefTensor {
  const rank = x.shape.length;
  const axes = reduceAxes(attrs, rank, op);
  const keep = boolAttr(attrs, 'keepdims', false);
  const outShape = reducedShape(x.shape, axes, keep, 1);
  const out = refTensor(x.dtype, outShape);
  const init = mode === 'max' ? -Infinity : 0;
  const acc = new Float64Array(out.data.length).fill(init);
  const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const keptStrides = stridesOf(kept);
  const inStrides = stridesOf(x.shape);
  for (let i = 0; i < x.data.length; i++) {
    let rem = i;
    let o = 0;
    for (let d = 0; d < rank; d++) {
      const idx = Math.floor(rem / inStrides[d]);
      rem -= idx * inStrides[d];
      if (!axes.includes(d)) o += idx * keptStrides[d];
    }
    const v = x.data[i];
    if (mode === 'max') {
      if (v > acc[o] || Number.isNaN(v)) acc[o] = v;
    } else acc[o] += v;
  }
  const count = axes.reduce((n, a) => n * x.shape[a], 1);
  for (let o = 0; o < acc.length; o++) out.data[o] = mode === 'mean' ? acc[o] / count : acc[o];
  return out;
}

// ---------------------------------------------------------------- CPU kernels
// ---------------------------------------------------------------- WGSL kernels
// ---------------------------------------------------------------- gpu.js kernels
// One thread per output element, which loops over what it reduces (constant
// bounds: dims are bound before the kernel is made).
// ---------------------------------------------------------------- reduce_*

function reduceInfer(op: string, dtypes: DType[]) {
  return (inputs: TensorType[], attrs: Attrs): TensorType[] => {
    expectArity(op, inputs, 1);
    expectDtype(op, inputs[0], dtypes);
    const axes = reduceAxes(attrs, inputs[0].shape.length, op);
    const keep = boolAttr(attrs, 'keepdims', false);
    return [{ dtype: inputs[0].dtype, shape: reducedShape<Dim>(inputs[0].shape, axes, keep, 1) }];
  };
}

const reduceSamples: OpSample[] = [
  { inputs: [{ shape: [2, 3] }], attrs: { axes: [1] } },
  { inputs: [{ shape: [2, 3, 4] }], attrs: { axes: [0, 2], keepdims: true } },
  { inputs: [{ shape: [2, 3, 4] }], attrs: { axes: [-2] } },
  { inputs: [{ shape: [2, 3] }], note: 'all axes' },
];

export const reduce_sum: OpDef = {
  name: 'reduce_sum',
  kind: 'reduce',
  doc: 'sum over attrs.axes (negative allowed; empty/absent = all), keepdims (default false)',
  arity: 1,
  attrNames: ['axes', 'keepdims'],
  infer: reduceInfer('reduce_sum', ['f32', 'i32']),
  reference: (inputs, attrs) => [refReduce(inputs[0], attrs, 'sum', 'reduce_sum')],
  sumOf: (node) => [...reduceAxes(node.attrs, node.inputs[0].type.shape.length, 'reduce_sum')].sort((a, b) => a - b),
  grad({ b, node, dy }) {
    const x = node.inputs[0];
    if (!dy[0] || x.type.dtype !== 'f32') return [undefined];
    const axes = reduceAxes(node.attrs, x.type.shape.length, 'reduce_sum');
    return [b.broadcastTo(b.reshape(dy[0], keptShape(x.type.shape, axes)), x.type.shape)];
  },
  samples: reduceSamples,
};

export const reduce_mean: OpDef = {
  name: 'reduce_mean',
  kind: 'reduce',
  doc: 'mean over attrs.axes (empty/absent = all), keepdims (default false); divides by the run-time count',
  arity: 1,
  attrNames: ['axes', 'keepdims'],
  infer: reduceInfer('reduce_mean', ['f32']),
  reference: (inputs, attrs) => [refReduce(inputs[0], attrs, 'mean', 'reduce_mean')],
  grad({ b, node, dy }) {
    const x = node.inputs[0];
    if (!dy[0]) return [undefined];
    const shape = x.type.shape;
    const axes = reduceAxes(node.attrs, shape.length, 'reduce_mean');
    const count = dimProduct(axes.map((a) => shape[a]));
    // 1/count: a literal when static, else the count of the reduced dims at run time (no kernel of its own)
    const scaled =
      typeof count === 'number' ? b.mul(dy[0], b.scalar(1 / count)) : b.div(dy[0], b.op('element_count', [], { shape: axes.map((a) => shape[a]) }));
    // a scalar broadcasts as it is (no reshape: the chain stays one elementwise producer)
    return [b.broadcastTo(scaled.type.shape.length === 0 ? scaled : b.reshape(scaled, keptShape(shape, axes)), shape)];
  },
  samples: reduceSamples,
};

export const reduce_max: OpDef = {
  name: 'reduce_max',
  kind: 'reduce',
  doc: 'max over attrs.axes (empty/absent = all), keepdims (default false); tied maxima share the gradient',
  arity: 1,
  attrNames: ['axes', 'keepdims'],
  infer: reduceInfer('reduce_max', ['f32', 'i32']),
  reference: (inputs, attrs) => [refReduce(inputs[0], attrs, 'max', 'reduce_max')],
  grad({ b, node, dy }) {
    const x = node.inputs[0];
    if (!dy[0] || x.type.dtype !== 'f32') return [undefined];
    const shape = x.type.shape;
    const axes = reduceAxes(node.attrs, shape.length, 'reduce_max');
    const keep = keptShape(shape, axes);
    const yk = b.broadcastTo(b.reshape(node.outputs[0], keep), shape);
    const mask = b.op('cast', [b.op('equal', [x, yk])], { dtype: 'f32' });
    const count = b.op('reduce_sum', [mask], { axes, keepdims: true });
    const gk = b.div(b.reshape(dy[0], keep), count);
    return [b.mul(mask, b.broadcastTo(gk, shape))];
  },
  samples: reduceSamples,
};

// ---------------------------------------------------------------- argmax

export const argmax: OpDef = {
  name: 'argmax',
  kind: 'reduce',
  doc: 'index of the largest element along attrs.axis (default -1; first on ties), keepdims (default false) -> i32',
  arity: 1,
  attrNames: ['axis', 'keepdims'],
  infer(inputs, attrs) {
    expectArity('argmax', inputs, 1);
    expectDtype('argmax', inputs[0], ['f32', 'i32']);
    const axis = normAxis(numAttr(attrs, 'axis', -1), inputs[0].shape.length, 'argmax');
    return [{ dtype: 'i32', shape: reducedShape<Dim>(inputs[0].shape, [axis], boolAttr(attrs, 'keepdims', false), 1) }];
  },
  reference(inputs, attrs) {
    const x = inputs[0];
    const axis = normAxis(numAttr(attrs, 'axis', -1), x.shape.length, 'argmax');
    const out = refTensor('i32', reducedShape(x.shape, [axis], boolAttr(attrs, 'keepdims', false), 1));
    const O = sizeOf(x.shape.slice(0, axis));
    const R = x.shape[axis];
    const I = sizeOf(x.shape.slice(axis + 1));
    for (let o = 0; o < O; o++)
      for (let i = 0; i < I; i++) {
        let best = -Infinity;
        let bi = 0;
        for (let r = 0; r < R; r++) {
          const v = x.data[(o * R + r) * I + i];
          if (v > best) {
            best = v;
            bi = r;
          }
        }
        out.data[o * I + i] = bi;
      }
    return [out];
  },
  samples: [
    { inputs: [{ shape: [2, 3] }] },
    { inputs: [{ shape: [2, 3, 4] }], attrs: { axis: 1, keepdims: true } },
  ],
};

// ---------------------------------------------------------------- softmax

function softmaxInfer(op: string) {
  return (inputs: TensorType[], attrs: Attrs): TensorType[] => {
    expectArity(op, inputs, 1);
    expectDtype(op, inputs[0], ['f32']);
    if (inputs[0].shape.length === 0) throw new ShapeError(`${op}: needs a tensor of rank >= 1, got ${shapeToString(inputs[0].shape)}`, 'DNN0008');
    normAxis(numAttr(attrs, 'axis', -1), inputs[0].shape.length, op);
    return [{ dtype: 'f32', shape: [...inputs[0].shape] }];
  };
}

function refSoftmax(x: RefTensor, attrs: Attrs, log: boolean, op: string): RefTensor {
  const axis = normAxis(numAttr(attrs, 'axis', -1), x.shape.length, op);
  const out = refTensor('f32', x.shape);
  const O = sizeOf(x.shape.slice(0, axis));
  const R = x.shape[axis];
  const I = sizeOf(x.shape.slice(axis + 1));
  for (let o = 0; o < O; o++)
    for (let i = 0; i < I; i++) {
      const at = (r: number) => (o * R + r) * I + i;
      let m = -Infinity;
      for (let r = 0; r < R; r++) m = Math.max(m, x.data[at(r)]);
      let s = 0;
      for (let r = 0; r < R; r++) s += Math.exp(x.data[at(r)] - m);
      const ls = Math.log(s);
      for (let r = 0; r < R; r++) {
        const z = x.data[at(r)] - m;
        out.data[at(r)] = log ? z - ls : Math.exp(z) / s;
      }
    }
  return out;
}

const softmaxSamples: OpSample[] = [
  { inputs: [{ shape: [2, 3], range: [-2, 2] }] },
  { inputs: [{ shape: [2, 3, 4], range: [-2, 2] }], attrs: { axis: 1 } },
];

export const softmax: OpDef = {
  name: 'softmax',
  kind: 'reduce',
  doc: 'exp(x - max) / sum(exp(x - max)) along attrs.axis (default -1)',
  arity: 1,
  attrNames: ['axis'],
  infer: softmaxInfer('softmax'),
  reference: (inputs, attrs) => [refSoftmax(inputs[0], attrs, false, 'softmax')],
  grad({ b, node, dy }) {
    const g = dy[0];
    if (!g) return [undefined];
    const y = node.outputs[0];
    const axis = normAxis(numAttr(node.attrs, 'axis', -1), y.type.shape.length, 'softmax');
    const s = b.op('reduce_sum', [b.mul(g, y)], { axes: [axis], keepdims: true });
    return [b.mul(y, b.sub(g, s))];
  },
  samples: softmaxSamples,
};

export const log_softmax: OpDef = {
  name: 'log_softmax',
  kind: 'reduce',
  doc: 'x - max - log(sum(exp(x - max))) along attrs.axis (default -1)',
  arity: 1,
  attrNames: ['axis'],
  infer: softmaxInfer('log_softmax'),
  reference: (inputs, attrs) => [refSoftmax(inputs[0], attrs, true, 'log_softmax')],
  grad({ b, node, dy }) {
    const g = dy[0];
    if (!g) return [undefined];
    const y = node.outputs[0];
    const axis = normAxis(numAttr(node.attrs, 'axis', -1), y.type.shape.length, 'log_softmax');
    const s = b.op('reduce_sum', [g], { axes: [axis], keepdims: true });
    return [b.sub(g, b.mul(b.op('exp', [y]), s))];
  },
  samples: softmaxSamples,
};
