/**
 * 2-D pooling in NCHW layout and its gradient ops:
 *
 *   maxpool2d(x [N, C, H, W])        attrs kernel [kh, kw], strides (= kernel), pads [t, l, b, r] -> [N, C, OH, OW]
 *   maxpool2d_grad(x, dy)            routes each dy to the arg-max of its window (first on ties) -> [N, C, H, W]
 *   avgpool2d(x)                     mean over the in-bounds part of each window (padding is not counted)
 *   avgpool2d_grad(dy)               attrs + inputSize [H, W]: spreads dy / count over the window -> [N, C, H, W]
 *
 * OH = floor((H + t + b - kh) / sh) + 1. Pads must be smaller than the
 * kernel, so every window holds at least one input element. C, H, W must be
 * static; N may be symbolic. Global average pooling is reduce_mean over
 * axes [2, 3] and needs no op here.
 *
 * CPU kernels: one pass over the (n, c) planes; each window's row and column
 * bounds are clipped once (no per-element bounds test), nothing allocated.
 */
import { shapeToString, type Dim } from '../dims.js';
import type { Attrs, TensorType } from '../ir.js';
import { ShapeError, type OpDef, type OpSample } from './types.js';
import { refTensor } from './util.js';
import { expectArity, expectDtype, numsAttr } from './kernel-util.js';
import { outExtent, windowGeometry } from './conv.js';

export interface PoolProblem {
  C: number;
  H: number;
  W: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  pt: number;
  pl: number;
  pb: number;
  pr: number;
  OH: number;
  OW: number;
}

const ts = (t: TensorType) => `${t.dtype}${shapeToString(t.shape)}`;

function poolProblem(op: string, x: TensorType | { C: number; H: number; W: number }, attrs: Attrs): PoolProblem {
  const k = numsAttr(attrs, 'kernel');
  if (!k || k.length !== 2 || k.some((v) => !Number.isInteger(v) || v < 1))
    throw new ShapeError(`${op}: 'kernel' must be two integers >= 1 [kh, kw], got ${k ? `[${k.join(', ')}]` : 'nothing'}`, 'DNN0022');
  const [kh, kw] = k;
  const g = windowGeometry(op, { pads: attrs.pads ?? null, strides: attrs.strides ?? [kh, kw] });
  let C: number, H: number, W: number;
  let what: string;
  if ('shape' in x) {
    if (x.shape.length !== 4) throw new ShapeError(`${op} expects [N, C, H, W]; got ${ts(x)} of rank ${x.shape.length}`, 'DNN0008');
    const rest = x.shape.slice(1);
    if (rest.some((d) => typeof d !== 'number'))
      throw new ShapeError(`${op}: needs static C, H, W, got ${ts(x)}`, 'DNN0011');
    [C, H, W] = rest as number[];
    what = ts(x);
  } else {
    ({ C, H, W } = x);
    what = `[N, ${C}, ${H}, ${W}]`;
  }
  if (g.pt >= kh || g.pb >= kh || g.pl >= kw || g.pr >= kw)
    throw new ShapeError(`${op}: padding [${g.pt}, ${g.pl}, ${g.pb}, ${g.pr}] must be smaller than the ${kh}x${kw} window`, 'DNN0022');
  if (kh > H + g.pt + g.pb || kw > W + g.pl + g.pr)
    throw new ShapeError(`${op}: the ${kh}x${kw} window is larger than the padded ${H + g.pt + g.pb}x${W + g.pl + g.pr} input ${what}`);
  const OH = outExtent(H, kh, g.sh, 1, g.pt, g.pb);
  const OW = outExtent(W, kw, g.sw, 1, g.pl, g.pr);
  return { C, H, W, kh, kw, sh: g.sh, sw: g.sw, pt: g.pt, pl: g.pl, pb: g.pb, pr: g.pr, OH, OW };
}

/** A pooling op's window over an H x W image (the kernel renderers' geometry; the same checks as shape inference). */
export function poolGeometry(op: string, H: number, W: number, attrs: Attrs): PoolProblem {
  return poolProblem(op, { C: 0, H, W }, attrs);
}

export function inferPool(op: string, inputs: TensorType[], attrs: Attrs): { p: PoolProblem; N: Dim } {
  expectArity(op, inputs, 1);
  expectDtype(op, inputs[0], ['f32']);
  return { p: poolProblem(op, inputs[0], attrs), N: inputs[0].shape[0] };
}

function windowAttrs(a: Attrs): Attrs {
  const out: Attrs = {};
  for (const k of ['kernel', 'strides', 'pads']) if (a[k] !== undefined) out[k] = a[k];
  return out;
}

// ------------------------------------------------------------------ reference

/** For each window (plane, oh, ow): its output index and the flat input indices of its in-bounds elements. */
function forEachWindow(p: PoolProblem, N: number, f: (yi: number, xs: number[]) => void): void {
  const xs: number[] = [];
  for (let nc = 0; nc < N * p.C; nc++)
    for (let oh = 0; oh < p.OH; oh++)
      for (let ow = 0; ow < p.OW; ow++) {
        xs.length = 0;
        for (let i = 0; i < p.kh; i++) {
          const ih = oh * p.sh - p.pt + i;
          if (ih < 0 || ih >= p.H) continue;
          for (let j = 0; j < p.kw; j++) {
            const iw = ow * p.sw - p.pl + j;
            if (iw < 0 || iw >= p.W) continue;
            xs.push((nc * p.H + ih) * p.W + iw);
          }
        }
        f((nc * p.OH + oh) * p.OW + ow, xs);
      }
}

function argmaxOf(data: ArrayLike<number>, xs: number[]): number {
  let best = -1;
  let m = -Infinity;
  for (const i of xs)
    if (data[i] > m) {
      m = data[i];
      best = i;
    }
  return best;
}

// ------------------------------------------------------------------ CPU kernels

export function avgGradProblem(dy: TensorType, attrs: Attrs): PoolProblem {
  const op = 'avgpool2d_grad';
  expectDtype(op, dy, ['f32']);
  if (dy.shape.length !== 4) throw new ShapeError(`${op} expects dy as [N, C, OH, OW]; got ${ts(dy)}`, 'DNN0008');
  const size = numsAttr(attrs, 'inputSize');
  if (!size || size.length !== 2) throw new ShapeError(`${op}: needs the attribute inputSize [H, W]`, 'DNN0022');
  const C = dy.shape[1];
  if (typeof C !== 'number') throw new ShapeError(`${op}: needs static channels, got ${ts(dy)}`, 'DNN0011');
  const p = poolProblem(op, { C, H: size[0], W: size[1] }, attrs);
  if (p.OH !== dy.shape[2] || p.OW !== dy.shape[3])
    throw new ShapeError(`${op}: dy ${ts(dy)} does not match the ${p.OH}x${p.OW} output of a ${size[0]}x${size[1]} input`);
  return p;
}

// ------------------------------------------------------------------ ops

const poolSamples: OpSample[] = [
  { inputs: [{ shape: [2, 3, 4, 4] }], attrs: { kernel: [2, 2] }, note: '2x2 stride 2' },
  { inputs: [{ shape: [2, 3, 5, 5] }], attrs: { kernel: [2, 2] }, note: 'odd size: the last row/column is dropped' },
  { inputs: [{ shape: [2, 3, 5, 5] }], attrs: { kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, note: 'padding 1, stride 2' },
  { inputs: [{ shape: [1, 2, 5, 6] }], attrs: { kernel: [3, 2], strides: [1, 1], pads: [0, 1, 2, 0] }, note: 'overlapping, asymmetric padding' },
];

export const maxpool2d: OpDef = {
  name: 'maxpool2d',
  kind: 'out-elementwise-fusable', // one output element per thread: an elementwise consumer fuses into its store
  doc: 'max over kh x kw windows of x [N, C, H, W]; attrs kernel [kh, kw], strides (default kernel), pads [t, l, b, r] (padding never wins)',
  arity: 1,
  attrNames: ['kernel', 'strides', 'pads'],
  infer(inputs, attrs) {
    const { p, N } = inferPool('maxpool2d', inputs, attrs);
    return [{ dtype: 'f32', shape: [N, p.C, p.OH, p.OW] }];
  },
  reference(inputs, attrs) {
    const x = inputs[0];
    const p = poolProblem('maxpool2d', x, attrs);
    const y = refTensor('f32', [x.shape[0], p.C, p.OH, p.OW]);
    forEachWindow(p, x.shape[0], (yi, xs) => {
      const best = argmaxOf(x.data, xs);
      y.data[yi] = best < 0 ? -Infinity : x.data[best];
    });
    return [y];
  },
  grad({ b, node, dy }) {
    if (!dy[0]) return [undefined];
    return [b.op('maxpool2d_grad', [node.inputs[0], dy[0]], windowAttrs(node.attrs))];
  },
  samples: poolSamples,
};

export const maxpool2d_grad: OpDef = {
  name: 'maxpool2d_grad',
  kind: 'out-elementwise-fusable', // one output element per thread: an elementwise consumer fuses into its store
  doc: 'gradient of maxpool2d: x [N, C, H, W], dy [N, C, OH, OW] -> dx, each dy added at the arg-max of its window (first on ties)',
  arity: 2,
  attrNames: ['kernel', 'strides', 'pads'],
  infer(inputs, attrs) {
    expectArity('maxpool2d_grad', inputs, 2);
    const { p } = inferPool('maxpool2d_grad', [inputs[0]], attrs);
    const dy = inputs[1];
    const want = [inputs[0].shape[0], p.C, p.OH, p.OW];
    if (dy.shape.length !== 4 || !want.every((d, i) => String(d) === String(dy.shape[i])))
      throw new ShapeError(`maxpool2d_grad: dy ${ts(dy)} does not match the pooled shape ${shapeToString(want)} of x ${ts(inputs[0])}`);
    return [{ dtype: 'f32', shape: [...inputs[0].shape] }];
  },
  reference(inputs, attrs) {
    const [x, dy] = inputs;
    const p = poolProblem('maxpool2d_grad', x, attrs);
    const dx = refTensor('f32', x.shape);
    forEachWindow(p, x.shape[0], (yi, xs) => {
      const best = argmaxOf(x.data, xs);
      if (best >= 0) dx.data[best] += dy.data[yi];
    });
    return [dx];
  },
  samples: [
    { inputs: [{ shape: [2, 3, 4, 4] }, { shape: [2, 3, 2, 2] }], attrs: { kernel: [2, 2] } },
    { inputs: [{ shape: [2, 3, 5, 5] }, { shape: [2, 3, 3, 3] }], attrs: { kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, note: 'overlapping windows accumulate' },
  ],
};

export const avgpool2d: OpDef = {
  name: 'avgpool2d',
  kind: 'out-elementwise-fusable', // one output element per thread: an elementwise consumer fuses into its store
  doc: 'mean over kh x kw windows of x [N, C, H, W] (padding not counted); attrs kernel [kh, kw], strides (default kernel), pads [t, l, b, r]',
  arity: 1,
  attrNames: ['kernel', 'strides', 'pads'],
  infer(inputs, attrs) {
    const { p, N } = inferPool('avgpool2d', inputs, attrs);
    return [{ dtype: 'f32', shape: [N, p.C, p.OH, p.OW] }];
  },
  reference(inputs, attrs) {
    const x = inputs[0];
    const p = poolProblem('avgpool2d', x, attrs);
    const y = refTensor('f32', [x.shape[0], p.C, p.OH, p.OW]);
    forEachWindow(p, x.shape[0], (yi, xs) => {
      let s = 0;
      for (const i of xs) s += x.data[i];
      y.data[yi] = s / xs.length;
    });
    return [y];
  },
  grad({ b, node, dy }) {
    if (!dy[0]) return [undefined];
    const [, , H, W] = node.inputs[0].type.shape as number[];
    return [b.op('avgpool2d_grad', [dy[0]], { ...windowAttrs(node.attrs), inputSize: [H, W] })];
  },
  samples: poolSamples,
};

export const avgpool2d_grad: OpDef = {
  name: 'avgpool2d_grad',
  kind: 'out-elementwise-fusable', // one output element per thread: an elementwise consumer fuses into its store
  doc: 'gradient of avgpool2d: dy [N, C, OH, OW] -> dx [N, C, H, W] (attrs as avgpool2d plus inputSize [H, W])',
  arity: 1,
  attrNames: ['kernel', 'strides', 'pads', 'inputSize'],
  infer(inputs, attrs) {
    expectArity('avgpool2d_grad', inputs, 1);
    const p = avgGradProblem(inputs[0], attrs);
    return [{ dtype: 'f32', shape: [inputs[0].shape[0], p.C, p.H, p.W] }];
  },
  reference(inputs, attrs) {
    const dy = inputs[0];
    const p = avgGradProblem({ dtype: 'f32', shape: dy.shape }, attrs);
    const dx = refTensor('f32', [dy.shape[0], p.C, p.H, p.W]);
    forEachWindow(p, dy.shape[0], (yi, xs) => {
      for (const i of xs) dx.data[i] += dy.data[yi] / xs.length;
    });
    return [dx];
  },
  grad({ b, node, dy }) {
    // linear, and its adjoint is avgpool2d itself
    if (!dy[0]) return [undefined];
    return [b.op('avgpool2d', [dy[0]], windowAttrs(node.attrs))];
  },
  samples: [
    { inputs: [{ shape: [2, 3, 2, 2] }], attrs: { kernel: [2, 2], inputSize: [4, 4] } },
    { inputs: [{ shape: [2, 3, 3, 3] }], attrs: { kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], inputSize: [5, 5] }, note: 'padding 1, stride 2' },
  ],
};
