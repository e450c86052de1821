/**
 * Spatial upsampling of NCHW images by integer factors, and its adjoint:
 *
 *   upsample2d(x [N, C, H, W])              attrs scale [sh, sw], mode -> [N, C, H*sh, W*sw]
 *   upsample2d_grad(dy [N, C, H*sh, W*sw])  same attrs                -> [N, C, H, W]
 *
 * mode nearest:  y[i, j] = x[floor(i / sh), floor(j / sw)]
 * mode bilinear: align_corners = false (PyTorch's default, and TF2's
 *   half-pixel centres): the source coordinate of output row i is
 *   s = max((i + 0.5) / sh - 0.5, 0), i0 = floor(s), i1 = min(i0 + 1, H - 1),
 *   weights (1 - (s - i0), s - i0); columns likewise, and
 *   y[i, j] = sum of the 2x2 source pixels times the products of the weights.
 * Both modes are linear in x: y = U x, so the gradient of upsample2d is
 * upsample2d_grad (U^T dy) and the gradient of upsample2d_grad is upsample2d.
 *
 * N and C may be symbolic (the kernels loop over N*C planes); H and W must be
 * static. CPU kernels: the per-axis source indices and weights are literal
 * tables; nearest writes each source pixel to its sh x sw block (large
 * factors: sw times along the row, then the row copied with copyWithin); bilinear gathers 4 taps per output pixel;
 * the gradients sum blocks (nearest) or scatter into a float64 plane (bilinear).
 */
import { shapeToString, type Dim } from '../dims.js';
import type { Attrs, TensorType } from '../ir.js';
import { ShapeError, type OpDef } from './types.js';
import { refTensor } from './util.js';
import { expectArity, expectDtype, numsAttr } from './kernel-util.js';

export const UPSAMPLE_MODES = ['nearest', 'bilinear'] as const;
export type UpsampleMode = (typeof UPSAMPLE_MODES)[number];

export function upAttrs(op: string, attrs: Attrs): { sh: number; sw: number; mode: UpsampleMode } {
  const s = numsAttr(attrs, 'scale');
  if (!s || s.length !== 2 || s.some((v) => !Number.isInteger(v) || v < 1))
    throw new ShapeError(`${op}: 'scale' must be two integers >= 1 [sh, sw], got ${s ? `[${s.join(', ')}]` : 'nothing'}`, 'DNN0022');
  const mode = attrs.mode ?? 'nearest';
  if (mode !== 'nearest' && mode !== 'bilinear') throw new ShapeError(`${op}: mode must be nearest or bilinear, got '${String(mode)}'`, 'DNN0022');
  return { sh: s[0], sw: s[1], mode };
}

const ts = (t: TensorType) => `${t.dtype}${shapeToString(t.shape)}`;

export function spatial(op: string, t: TensorType, what: string): [number, number] {
  if (t.shape.length !== 4) throw new ShapeError(`${op} expects ${what} as [N, C, H, W]; got ${ts(t)} of rank ${t.shape.length}`, 'DNN0008');
  expectDtype(op, t, ['f32']);
  const [, , H, W] = t.shape;
  if (typeof H !== 'number' || typeof W !== 'number') throw new ShapeError(`${op} needs a static height and width, got ${ts(t)}`, 'DNN0011');
  return [H, W];
}

/** Per output index along one axis: source indices i0, i1 and weights l0, l1 (align_corners = false). */
export function bilinearTaps(n: number, scale: number): { i0: number[]; i1: number[]; l0: number[]; l1: number[] } {
  const i0: number[] = [];
  const i1: number[] = [];
  const l0: number[] = [];
  const l1: number[] = [];
  for (let o = 0; o < n * scale; o++) {
    const s = Math.max((o + 0.5) / scale - 0.5, 0);
    const a = Math.min(Math.floor(s), n - 1);
    const f = s - a;
    i0.push(a);
    i1.push(Math.min(a + 1, n - 1));
    l0.push(1 - f);
    l1.push(f);
  }
  return { i0, i1, l0, l1 };
}

interface Geometry {
  H: number;
  W: number;
  sh: number;
  sw: number;
  mode: UpsampleMode;
}

/** The linear map U as (output index, input index, weight) triples per plane; U^T for the gradient. */
function forEachWeight(g: Geometry, f: (oi: number, ii: number, wgt: number) => void): void {
  const OH = g.H * g.sh;
  const OW = g.W * g.sw;
  if (g.mode === 'nearest') {
    for (let i = 0; i < OH; i++) for (let j = 0; j < OW; j++) f(i * OW + j, Math.floor(i / g.sh) * g.W + Math.floor(j / g.sw), 1);
    return;
  }
  const th = bilinearTaps(g.H, g.sh);
  const tw = bilinearTaps(g.W, g.sw);
  for (let i = 0; i < OH; i++)
    for (let j = 0; j < OW; j++) {
      const o = i * OW + j;
      f(o, th.i0[i] * g.W + tw.i0[j], th.l0[i] * tw.l0[j]);
      f(o, th.i0[i] * g.W + tw.i1[j], th.l0[i] * tw.l1[j]);
      f(o, th.i1[i] * g.W + tw.i0[j], th.l1[i] * tw.l0[j]);
      f(o, th.i1[i] * g.W + tw.i1[j], th.l1[i] * tw.l1[j]);
    }
}

const passAttrs = (a: Attrs): Attrs => ({ scale: a.scale, mode: a.mode ?? 'nearest' });

export const upsample2d: OpDef = {
  name: 'upsample2d',
  kind: 'opaque',
  doc: 'x [N, C, H, W] -> [N, C, H*sh, W*sw]; attrs scale [sh, sw] (integers), mode nearest | bilinear (align_corners = false)',
  arity: 1,
  attrNames: ['scale', 'mode'],
  infer(inputs, attrs) {
    expectArity('upsample2d', inputs, 1);
    const [H, W] = spatial('upsample2d', inputs[0], 'its input');
    const { sh, sw } = upAttrs('upsample2d', attrs);
    const [N, C] = inputs[0].shape;
    return [{ dtype: 'f32', shape: [N, C, H * sh, W * sw] as Dim[] }];
  },
  reference(inputs, attrs) {
    const x = inputs[0];
    const [N, C, H, W] = x.shape;
    const { sh, sw, mode } = upAttrs('upsample2d', attrs);
    const y = refTensor('f32', [N, C, H * sh, W * sw]);
    const HW = H * W;
    const OHW = HW * sh * sw;
    for (let p = 0; p < N * C; p++) forEachWeight({ H, W, sh, sw, mode }, (oi, ii, wgt) => (y.data[p * OHW + oi] += wgt * x.data[p * HW + ii]));
    return [y];
  },
  grad({ b, node, dy }) {
    if (!dy[0]) return [undefined];
    return [b.op('upsample2d_grad', [dy[0]], passAttrs(node.attrs))];
  },
  samples: [
    { inputs: [{ shape: [2, 3, 3, 4] }], attrs: { scale: [2, 2], mode: 'nearest' }, note: 'nearest x2' },
    { inputs: [{ shape: [1, 2, 2, 3] }], attrs: { scale: [3, 1], mode: 'nearest' }, note: 'nearest [3, 1]' },
    { inputs: [{ shape: [2, 1, 2, 2] }], attrs: { scale: [3, 6], mode: 'nearest' }, note: 'nearest [3, 6] (row copies)' },
    { inputs: [{ shape: [2, 3, 3, 4] }], attrs: { scale: [2, 2], mode: 'bilinear' }, note: 'bilinear x2' },
    { inputs: [{ shape: [1, 2, 4, 3] }], attrs: { scale: [3, 2], mode: 'bilinear' }, note: 'bilinear [3, 2]' },
    { inputs: [{ shape: [2, 1, 1, 2] }], attrs: { scale: [2, 3], mode: 'bilinear' }, note: 'bilinear from one row' },
  ],
};

export const upsample2d_grad: OpDef = {
  name: 'upsample2d_grad',
  kind: 'opaque',
  doc: 'the adjoint of upsample2d: dy [N, C, H*sh, W*sw] -> dx [N, C, H, W]; attrs scale [sh, sw], mode nearest | bilinear',
  arity: 1,
  attrNames: ['scale', 'mode'],
  infer(inputs, attrs) {
    expectArity('upsample2d_grad', inputs, 1);
    const [OH, OW] = spatial('upsample2d_grad', inputs[0], 'dy');
    const { sh, sw } = upAttrs('upsample2d_grad', attrs);
    if (OH % sh !== 0 || OW % sw !== 0)
      throw new ShapeError(`upsample2d_grad: dy ${ts(inputs[0])} is not a multiple of the scale [${sh}, ${sw}]`, 'DNN0007');
    const [N, C] = inputs[0].shape;
    return [{ dtype: 'f32', shape: [N, C, OH / sh, OW / sw] as Dim[] }];
  },
  reference(inputs, attrs) {
    const dy = inputs[0];
    const { sh, sw, mode } = upAttrs('upsample2d_grad', attrs);
    const [N, C, OH, OW] = dy.shape;
    const H = OH / sh;
    const W = OW / sw;
    const dx = refTensor('f32', [N, C, H, W]);
    const HW = H * W;
    const OHW = OH * OW;
    for (let p = 0; p < N * C; p++) forEachWeight({ H, W, sh, sw, mode }, (oi, ii, wgt) => (dx.data[p * HW + ii] += wgt * dy.data[p * OHW + oi]));
    return [dx];
  },
  grad({ b, node, dy }) {
    if (!dy[0]) return [undefined];
    return [b.op('upsample2d', [dy[0]], passAttrs(node.attrs))];
  },
  samples: [
    { inputs: [{ shape: [2, 3, 6, 8] }], attrs: { scale: [2, 2], mode: 'nearest' }, note: 'nearest x2' },
    { inputs: [{ shape: [1, 2, 6, 3] }], attrs: { scale: [3, 1], mode: 'nearest' }, note: 'nearest [3, 1]' },
    { inputs: [{ shape: [2, 3, 6, 8] }], attrs: { scale: [2, 2], mode: 'bilinear' }, note: 'bilinear x2' },
    { inputs: [{ shape: [1, 2, 12, 6] }], attrs: { scale: [3, 2], mode: 'bilinear' }, note: 'bilinear [3, 2]' },
    { inputs: [{ shape: [2, 1, 2, 6] }], attrs: { scale: [2, 3], mode: 'bilinear' }, note: 'bilinear to one row' },
  ],
};
