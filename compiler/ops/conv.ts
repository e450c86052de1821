/**
 * 2-D convolution in NCHW layout and its two gradient ops, each a registry
 * op with its own reference and CPU kernel:
 *
 *   conv2d(x [N, C, H, W], w [F, C/groups, KH, KW])            -> y  [N, F, OH, OW]
 *   conv2d_backprop_input(dy [N, F, OH, OW], w)   attrs + inputSize [H, W] -> dx [N, C, H, W]
 *   conv2d_backprop_filter(x, dy)                 attrs + kernel [KH, KW]  -> dw [F, C/groups, KH, KW]
 *
 * Attributes (all optional): strides [sh, sw] (1), pads [top, left, bottom,
 * right] (0), dilations [dh, dw] (1), groups (1).
 *   OH = floor((H + top + bottom - dh (KH - 1) - 1) / sh) + 1   (OW likewise)
 * C, H, W and the weight's dims must be static; N may be symbolic.
 *
 * The three ops are one bilinear form B(x, w, dy) = <conv2d(x, w), dy>:
 * backprop_input = dB/dx, backprop_filter = dB/dw. So every one of them has a
 * gradient made of the other two (second derivatives work).
 *
 * CPU kernels (implicit GEMM per image and group, K = C/groups * KH * KW,
 * P = OH * OW; scratch typed arrays (planned memory, CpuKernelContext.scratch), reused
 * across the batch):
 *   conv2d:          im2col(x_n) -> col [K, P];  y_n [F, P] = W [F, K] col
 *   backprop_filter: im2col(x_n) -> col;         acc [F, K] += dy_n [F, P] col^T   (float64 accumulator)
 *   backprop_input:  dcol [K, P] = W^T dy_n;     col2im(dcol) -> dx_n              (float64 accumulator)
 * The GEMMs are codegen/cpu/gemm.ts (B packed in float64 strips of 4
 * columns, 4x4 register-blocked micro-kernel, float64 accumulators); for
 * conv2d and backprop_filter, im2col writes col straight into that packed
 * layout, so there is no separate packing pass. All sizes are literals
 * except N.
 */
import { shapeToString, type Dim } from '../dims.js';
import type { Attrs, TensorType } from '../ir.js';
import { ShapeError, type OpDef, type OpSample } from './types.js';
import { refTensor } from './util.js';
import { expectArity, expectDtype, numAttr, numsAttr } from './kernel-util.js';

// ------------------------------------------------------------------ attributes

export interface ConvGeometry {
  sh: number;
  sw: number;
  pt: number;
  pl: number;
  pb: number;
  pr: number;
  dh: number;
  dw: number;
  groups: number;
}

/** A two-integer attribute (strides, dilations, output_padding), each at least `min`; [dflt, dflt] when absent. */
export function pair(op: string, attrs: Attrs, name: string, dflt: number, min: number): [number, number] {
  const v = numsAttr(attrs, name);
  if (!v) return [dflt, dflt];
  if (v.length !== 2 || v.some((x) => !Number.isInteger(x) || x < min))
    throw new ShapeError(`${op}: '${name}' must be two integers >= ${min}, got [${v.join(', ')}]`, 'DNN0022');
  return [v[0], v[1]];
}

/** Normalised window attributes shared by convolution and pooling. */
export function windowGeometry(op: string, attrs: Attrs): ConvGeometry {
  const [sh, sw] = pair(op, attrs, 'strides', 1, 1);
  const [dh, dw] = pair(op, attrs, 'dilations', 1, 1);
  const p = numsAttr(attrs, 'pads') ?? [0, 0, 0, 0];
  if (p.length !== 4 || p.some((x) => !Number.isInteger(x) || x < 0))
    throw new ShapeError(`${op}: 'pads' must be four integers >= 0 [top, left, bottom, right], got [${p.join(', ')}]`, 'DNN0022');
  const groups = numAttr(attrs, 'groups', 1);
  if (!Number.isInteger(groups) || groups < 1) throw new ShapeError(`${op}: 'groups' must be a positive integer, got ${groups}`, 'DNN0022');
  return { sh, sw, pt: p[0], pl: p[1], pb: p[2], pr: p[3], dh, dw, groups };
}

/** Output extent of a window of `k` taps (dilation d) over `n` (+ pads) at stride s. */
export function outExtent(n: number, k: number, s: number, d: number, p0: number, p1: number): number {
  return Math.floor((n + p0 + p1 - d * (k - 1) - 1) / s) + 1;
}

/** For window tap offset `off` (= k*d - pad) at stride s: the output range [lo, hi) whose input index lies in [0, n). */
export function validRange(n: number, OUT: number, s: number, off: number): [number, number] {
  let lo = 0;
  while (lo < OUT && lo * s + off < 0) lo++;
  let hi = OUT;
  while (hi > lo && (hi - 1) * s + off >= n) hi--;
  return [lo, hi];
}

function staticDims(op: string, what: string, t: TensorType, from: number): number[] {
  const out: number[] = [];
  for (let i = from; i < t.shape.length; i++) {
    const d = t.shape[i];
    if (typeof d !== 'number')
      throw new ShapeError(`${op}: ${what} needs static sizes after the batch axis, got ${t.dtype}${shapeToString(t.shape)} (dim ${i} is '${d}')`, 'DNN0011');
    out.push(d);
  }
  return out;
}

function expect4d(op: string, t: TensorType, what: string, layout: string): void {
  if (t.shape.length !== 4)
    throw new ShapeError(`${op} expects ${what} as ${layout}; got ${t.dtype}${shapeToString(t.shape)} of rank ${t.shape.length}`, 'DNN0008');
}

/** Full static description of one convolution (shapes + geometry). */
export interface ConvProblem extends ConvGeometry {
  C: number;
  H: number;
  W: number;
  F: number;
  KH: number;
  KW: number;
  OH: number;
  OW: number;
}

function describeConv(x: string, w: string, g: ConvGeometry): string {
  return `${x} * ${w} (strides [${g.sh}, ${g.sw}], pads [${g.pt}, ${g.pl}, ${g.pb}, ${g.pr}], dilations [${g.dh}, ${g.dw}]${g.groups > 1 ? `, groups ${g.groups}` : ''})`;
}

/** Checks channels, groups and window fit; returns the output extents. */
function convProblem(op: string, C: number, H: number, W: number, F: number, Cg: number, KH: number, KW: number, g: ConvGeometry, xs: string, ws: string): ConvProblem {
  if (C % g.groups !== 0)
    throw new ShapeError(`${op}: the input's ${C} channels are not divisible by groups = ${g.groups}: ${describeConv(xs, ws, g)}`, 'DNN0022');
  if (F % g.groups !== 0)
    throw new ShapeError(`${op}: the ${F} filters are not divisible by groups = ${g.groups}: ${describeConv(xs, ws, g)}`, 'DNN0022');
  if (Cg * g.groups !== C)
    throw new ShapeError(
      `${op}: the weight expects ${Cg * g.groups} input channels (${Cg} per group x ${g.groups} groups) but the input has ${C}: ${describeConv(xs, ws, g)}`,
    );
  const ekh = g.dh * (KH - 1) + 1;
  const ekw = g.dw * (KW - 1) + 1;
  if (ekh > H + g.pt + g.pb || ekw > W + g.pl + g.pr)
    throw new ShapeError(
      `${op}: the ${ekh}x${ekw} window (kernel ${KH}x${KW}${g.dh > 1 || g.dw > 1 ? ` dilated by [${g.dh}, ${g.dw}]` : ''}) is larger than the padded ${H + g.pt + g.pb}x${W + g.pl + g.pr} input: ${describeConv(xs, ws, g)}`,
    );
  const OH = outExtent(H, KH, g.sh, g.dh, g.pt, g.pb);
  const OW = outExtent(W, KW, g.sw, g.dw, g.pl, g.pr);
  return { ...g, C, H, W, F, KH, KW, OH, OW };
}

const ts = (t: TensorType) => `${t.dtype}${shapeToString(t.shape)}`;

export function inferConv(inputs: TensorType[], attrs: Attrs): { p: ConvProblem; N: Dim } {
  const op = 'conv2d';
  expectArity(op, inputs, 2);
  const [x, w] = inputs;
  expect4d(op, x, 'its input', '[N, C, H, W]');
  expect4d(op, w, 'its weight', '[F, C/groups, KH, KW]');
  expectDtype(op, x, ['f32']);
  expectDtype(op, w, ['f32'], 'weight');
  const g = windowGeometry(op, attrs);
  const [C, H, W] = staticDims(op, 'the input', x, 1);
  const [F, Cg, KH, KW] = staticDims(op, 'the weight', w, 0);
  return { p: convProblem(op, C, H, W, F, Cg, KH, KW, g, ts(x), ts(w)), N: x.shape[0] };
}

export function inferBackpropInput(inputs: TensorType[], attrs: Attrs): { p: ConvProblem; N: Dim } {
  const op = 'conv2d_backprop_input';
  expectArity(op, inputs, 2);
  const [dy, w] = inputs;
  expect4d(op, dy, 'dy', '[N, F, OH, OW]');
  expect4d(op, w, 'its weight', '[F, C/groups, KH, KW]');
  const g = windowGeometry(op, attrs);
  const size = numsAttr(attrs, 'inputSize');
  if (!size || size.length !== 2) throw new ShapeError(`${op}: needs the attribute inputSize [H, W]`, 'DNN0022');
  const [F, OH, OW] = staticDims(op, 'dy', dy, 1);
  const [Fw, Cg, KH, KW] = staticDims(op, 'the weight', w, 0);
  if (F !== Fw) throw new ShapeError(`${op}: dy ${ts(dy)} has ${F} channels but the weight ${ts(w)} has ${Fw} filters`);
  const p = convProblem(op, Cg * g.groups, size[0], size[1], F, Cg, KH, KW, g, `[N, ${Cg * g.groups}, ${size[0]}, ${size[1]}]`, ts(w));
  if (p.OH !== OH || p.OW !== OW) throw new ShapeError(`${op}: dy ${ts(dy)} does not match the output extent ${p.OH}x${p.OW} of a ${size[0]}x${size[1]} input`);
  return { p, N: dy.shape[0] };
}

export function inferBackpropFilter(inputs: TensorType[], attrs: Attrs): { p: ConvProblem; N: Dim } {
  const op = 'conv2d_backprop_filter';
  expectArity(op, inputs, 2);
  const [x, dy] = inputs;
  expect4d(op, x, 'its input', '[N, C, H, W]');
  expect4d(op, dy, 'dy', '[N, F, OH, OW]');
  const g = windowGeometry(op, attrs);
  const k = numsAttr(attrs, 'kernel');
  if (!k || k.length !== 2) throw new ShapeError(`${op}: needs the attribute kernel [KH, KW]`, 'DNN0022');
  const [C, H, W] = staticDims(op, 'the input', x, 1);
  const [F, OH, OW] = staticDims(op, 'dy', dy, 1);
  const p = convProblem(op, C, H, W, F, C / g.groups, k[0], k[1], g, ts(x), `[${F}, ${C / g.groups}, ${k[0]}, ${k[1]}]`);
  if (p.OH !== OH || p.OW !== OW) throw new ShapeError(`${op}: dy ${ts(dy)} does not match the output extent ${p.OH}x${p.OW} of the input ${ts(x)}`);
  return { p, N: x.shape[0] };
}

function geometryAttrs(a: Attrs): Attrs {
  const out: Attrs = {};
  for (const k of ['strides', 'pads', 'dilations', 'groups']) if (a[k] !== undefined) out[k] = a[k];
  return out;
}

// ------------------------------------------------------------------ reference

/**
 * Visits every (input element, weight element, output element) triple of the
 * convolution: f(xIndex, wIndex, yIndex) with flat row-major indices.
 */
function forEachTap(p: ConvProblem, N: number, f: (xi: number, wi: number, yi: number) => void): void {
  const Cg = p.C / p.groups;
  const Fg = p.F / p.groups;
  for (let n = 0; n < N; n++)
    for (let o = 0; o < p.F; o++) {
      const grp = Math.floor(o / Fg);
      for (let oh = 0; oh < p.OH; oh++)
        for (let ow = 0; ow < p.OW; ow++) {
          const yi = ((n * p.F + o) * p.OH + oh) * p.OW + ow;
          for (let c = 0; c < Cg; c++)
            for (let kh = 0; kh < p.KH; kh++) {
              const ih = oh * p.sh - p.pt + kh * p.dh;
              if (ih < 0 || ih >= p.H) continue;
              for (let kw = 0; kw < p.KW; kw++) {
                const iw = ow * p.sw - p.pl + kw * p.dw;
                if (iw < 0 || iw >= p.W) continue;
                const xi = ((n * p.C + grp * Cg + c) * p.H + ih) * p.W + iw;
                const wi = ((o * Cg + c) * p.KH + kh) * p.KW + kw;
                f(xi, wi, yi);
              }
            }
        }
    }
}

function shapeOf(t: TensorType): number[] {
  return t.shape as number[];
}

// ------------------------------------------------------------------ CPU kernels
// ------------------------------------------------------------------ ops

const convSamples: OpSample[] = [
  { inputs: [{ shape: [2, 3, 5, 5] }, { shape: [4, 3, 3, 3] }], note: '3x3 valid' },
  { inputs: [{ shape: [2, 3, 5, 5] }, { shape: [4, 3, 3, 3] }], attrs: { strides: [2, 2], pads: [1, 1, 1, 1] }, note: 'stride 2, padding 1' },
  { inputs: [{ shape: [1, 2, 6, 7] }, { shape: [5, 2, 3, 2] }], attrs: { pads: [1, 0, 2, 1] }, note: 'asymmetric padding, 3x2 kernel, 5 filters' },
  { inputs: [{ shape: [2, 3, 5, 5] }, { shape: [3, 3, 2, 2] }], attrs: { dilations: [2, 2], strides: [1, 2] }, note: 'dilation 2' },
  { inputs: [{ shape: [2, 3, 5, 5] }, { shape: [6, 1, 3, 3] }], attrs: { groups: 3, pads: [1, 1, 1, 1] }, note: 'groups 3 (depthwise x2)' },
];

export const conv2d: OpDef = {
  name: 'conv2d',
  kind: 'out-elementwise-fusable', // a GEMM: bias and activation fuse into its epilogue
  doc: 'x [N, C, H, W] (*) w [F, C/groups, KH, KW] -> [N, F, OH, OW]; attrs strides [sh, sw], pads [t, l, b, r], dilations [dh, dw], groups (cross-correlation, as in every framework)',
  arity: 2,
  attrNames: ['strides', 'pads', 'dilations', 'groups'],
  infer(inputs, attrs) {
    const { p, N } = inferConv(inputs, attrs);
    return [{ dtype: 'f32', shape: [N, p.F, p.OH, p.OW] }];
  },
  reference(inputs, attrs) {
    const [x, w] = inputs;
    const { p } = inferConv(
      inputs.map((t) => ({ dtype: t.dtype, shape: t.shape })),
      attrs,
    );
    const N = x.shape[0];
    const y = refTensor('f32', [N, p.F, p.OH, p.OW]);
    forEachTap(p, N, (xi, wi, yi) => (y.data[yi] += x.data[xi] * w.data[wi]));
    return [y];
  },
  grad({ b, node, dy }) {
    const g = dy[0];
    if (!g) return [undefined, undefined];
    const [x, w] = node.inputs;
    const [, , H, W] = shapeOf(x.type);
    const [, , KH, KW] = shapeOf(w.type);
    const a = geometryAttrs(node.attrs);
    return [
      b.op('conv2d_backprop_input', [g, w], { ...a, inputSize: [H, W] }),
      b.op('conv2d_backprop_filter', [x, g], { ...a, kernel: [KH, KW] }),
    ];
  },
  samples: convSamples,
};

export const conv2d_backprop_input: OpDef = {
  name: 'conv2d_backprop_input',
  kind: 'out-elementwise-fusable', // a GEMM: bias and activation fuse into its epilogue
  doc: 'gradient of conv2d w.r.t. its input: dy [N, F, OH, OW], w [F, C/groups, KH, KW] -> dx [N, C, H, W]; attrs as conv2d plus inputSize [H, W]',
  arity: 2,
  attrNames: ['strides', 'pads', 'dilations', 'groups', 'inputSize'],
  infer(inputs, attrs) {
    const { p, N } = inferBackpropInput(inputs, attrs);
    return [{ dtype: 'f32', shape: [N, p.C, p.H, p.W] }];
  },
  reference(inputs, attrs) {
    const [dy, w] = inputs;
    const { p } = inferBackpropInput(
      inputs.map((t) => ({ dtype: t.dtype, shape: t.shape })),
      attrs,
    );
    const N = dy.shape[0];
    const dx = refTensor('f32', [N, p.C, p.H, p.W]);
    forEachTap(p, N, (xi, wi, yi) => (dx.data[xi] += dy.data[yi] * w.data[wi]));
    return [dx];
  },
  grad({ b, node, dy }) {
    // y = B_x(dy, w): <y, G> = B(G, w, dy)
    const G = dy[0];
    if (!G) return [undefined, undefined];
    const [d, w] = node.inputs;
    const [, , KH, KW] = shapeOf(w.type);
    const a = geometryAttrs(node.attrs);
    return [b.op('conv2d', [G, w], a), b.op('conv2d_backprop_filter', [G, d], { ...a, kernel: [KH, KW] })];
  },
  samples: [
    { inputs: [{ shape: [2, 4, 3, 3] }, { shape: [4, 3, 3, 3] }], attrs: { inputSize: [5, 5] }, note: '3x3 valid' },
    { inputs: [{ shape: [2, 4, 3, 3] }, { shape: [4, 3, 3, 3] }], attrs: { strides: [2, 2], pads: [1, 1, 1, 1], inputSize: [5, 5] }, note: 'stride 2, padding 1' },
    { inputs: [{ shape: [2, 3, 3, 2] }, { shape: [3, 3, 2, 2] }], attrs: { dilations: [2, 2], strides: [1, 2], inputSize: [5, 5] }, note: 'dilation 2' },
    { inputs: [{ shape: [2, 6, 5, 5] }, { shape: [6, 1, 3, 3] }], attrs: { groups: 3, pads: [1, 1, 1, 1], inputSize: [5, 5] }, note: 'groups 3' },
  ],
};

export const conv2d_backprop_filter: OpDef = {
  name: 'conv2d_backprop_filter',
  kind: 'out-elementwise-fusable', // a GEMM: bias and activation fuse into its epilogue
  doc: 'gradient of conv2d w.r.t. its weight: x [N, C, H, W], dy [N, F, OH, OW] -> dw [F, C/groups, KH, KW]; attrs as conv2d plus kernel [KH, KW]',
  arity: 2,
  attrNames: ['strides', 'pads', 'dilations', 'groups', 'kernel'],
  infer(inputs, attrs) {
    const { p } = inferBackpropFilter(inputs, attrs);
    return [{ dtype: 'f32', shape: [p.F, p.C / p.groups, p.KH, p.KW] }];
  },
  reference(inputs, attrs) {
    const [x, dy] = inputs;
    const { p } = inferBackpropFilter(
      inputs.map((t) => ({ dtype: t.dtype, shape: t.shape })),
      attrs,
    );
    const dw = refTensor('f32', [p.F, p.C / p.groups, p.KH, p.KW]);
    forEachTap(p, x.shape[0], (xi, wi, yi) => (dw.data[wi] += x.data[xi] * dy.data[yi]));
    return [dw];
  },
  grad({ b, node, dy }) {
    // y = B_w(x, dy): <y, G> = B(x, G, dy)
    const G = dy[0];
    if (!G) return [undefined, undefined];
    const [x, d] = node.inputs;
    const [, , H, W] = shapeOf(x.type);
    const a = geometryAttrs(node.attrs);
    return [b.op('conv2d_backprop_input', [d, G], { ...a, inputSize: [H, W] }), b.op('conv2d', [x, G], a)];
  },
  // dy is summed over images and positions: the bias gradient is one more column of the GEMM
  contracts: () => [{ input: 1, axes: [0, 2, 3] }],
  samples: [
    { inputs: [{ shape: [2, 3, 5, 5] }, { shape: [2, 4, 3, 3] }], attrs: { kernel: [3, 3] }, note: '3x3 valid' },
    { inputs: [{ shape: [2, 3, 5, 5] }, { shape: [2, 4, 3, 3] }], attrs: { strides: [2, 2], pads: [1, 1, 1, 1], kernel: [3, 3] }, note: 'stride 2, padding 1' },
    { inputs: [{ shape: [2, 3, 5, 5] }, { shape: [2, 3, 3, 2] }], attrs: { dilations: [2, 2], strides: [1, 2], kernel: [2, 2] }, note: 'dilation 2' },
    { inputs: [{ shape: [2, 3, 5, 5] }, { shape: [2, 6, 5, 5] }], attrs: { groups: 3, pads: [1, 1, 1, 1], kernel: [3, 3] }, note: 'groups 3' },
  ],
};

