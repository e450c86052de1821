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
import { ShapeError, type CpuKernelContext, type OpDef } from './types.js';
import { refTensor } from './util.js';
import { expectArity, expectDtype, mulExpr, numsAttr } from './kernel-util.js';
import { upsample2dGradWgsl, upsample2dWgsl } from '../../codegen/wgsl/ops/resize.js';
import { upsample2dGpujs, upsample2dGradGpujs } from '../../codegen/gpujs/ops/resize.js';

export const UPSAMPLE_MODES = ['nearest', 'bilinear'] as const;
export type UpsampleMode = (typeof UPSAMPLE_MODES)[number];

function upAttrs(op: string, attrs: Attrs): { sh: number; sw: number; mode: UpsampleMode } {
  const s = numsAttr(attrs, 'scale');
  if (!s || s.length !== 2 || s.some((v) => !Number.isInteger(v) || v < 1))
    throw new ShapeError(`${op}: 'scale' must be two integers >= 1 [sh, sw], got ${s ? `[${s.join(', ')}]` : 'nothing'}`, 'DNN0022');
  const mode = attrs.mode ?? 'nearest';
  if (mode !== 'nearest' && mode !== 'bilinear') throw new ShapeError(`${op}: mode must be nearest or bilinear, got '${String(mode)}'`, 'DNN0022');
  return { sh: s[0], sw: s[1], mode };
}

const ts = (t: TensorType) => `${t.dtype}${shapeToString(t.shape)}`;

function spatial(op: string, t: TensorType, what: string): [number, number] {
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

const lit = (xs: number[]) => xs.map((v) => String(v)).join(', ');

function planesOf(shape: string[]): string {
  return mulExpr([shape[0], shape[1]]);
}

/**
 * The per-axis tap tables of a bilinear kernel (rows h0/h1 pre-multiplied by
 * W, their weights hl0/hl1; columns w0/w1, wl0/wl1), in planned scratch
 * filled per call from literals.
 */
function bilinearTables(ctx: CpuKernelContext, th: ReturnType<typeof bilinearTaps>, tw: ReturnType<typeof bilinearTaps>, W: number): string {
  const table = (name: string, dtype: 'i32' | 'f64', v: number[]) => `const ${name} = ${ctx.scratch(dtype, v.length)};\n${v.map((x, i) => `${name}[${i}] = ${lit([x])};`).join(' ')}`;
  return [
    table('h0', 'i32', th.i0.map((v) => v * W)),
    table('h1', 'i32', th.i1.map((v) => v * W)),
    table('hl0', 'f64', th.l0),
    table('hl1', 'f64', th.l1),
    table('w0', 'i32', tw.i0),
    table('w1', 'i32', tw.i1),
    table('wl0', 'f64', tw.l0),
    table('wl1', 'f64', tw.l1),
  ].join('\n');
}

function upsampleCpu(ctx: CpuKernelContext): string {
  const [H, W] = spatial('upsample2d', ctx.node.inputs[0].type, 'its input');
  const { sh, sw, mode } = upAttrs('upsample2d', ctx.attrs);
  const x = ctx.in[0];
  const y = ctx.out[0];
  const OH = H * sh;
  const OW = W * sw;
  const head = `const planes = ${planesOf(ctx.inShape[0])};`;
  if (mode === 'nearest') {
    if (sh * sw <= 16) {
      // small factors: every copy of a pixel written straight from a register
      const copies: string[] = [];
      for (let a = 0; a < sh; a++) for (let b = 0; b < sw; b++) copies.push(`${y}[${a * OW + b ? `q + ${a * OW + b}` : 'q'}] = v;`);
      return `// nearest x[${sh}, ${sw}]: each source pixel written to its ${sh}x${sw} block
${head}
for (let p = 0, xo = 0, yo = 0; p < planes; p++, xo += ${H * W}, yo += ${OH * OW}) {
  for (let h = 0; h < ${H}; h++) {
    for (let w = 0, s = xo + h * ${W}, q = yo + h * ${sh * OW}; w < ${W}; w++, s++, q += ${sw}) {
      const v = ${x}[s];
      ${copies.join(' ')}
    }
  }
}`;
    }
    return `// nearest x[${sh}, ${sw}]: each pixel written ${sw} times along the row, the row copied ${sh - 1} more times
${head}
for (let p = 0, xo = 0, yo = 0; p < planes; p++, xo += ${H * W}, yo += ${OH * OW}) {
  for (let h = 0; h < ${H}; h++) {
    const y0 = yo + h * ${sh * OW};
    for (let w = 0, s = xo + h * ${W}, q = y0; w < ${W}; w++, s++, q += ${sw}) {
      const v = ${x}[s];
      for (let b = 0; b < ${sw}; b++) ${y}[q + b] = v;
    }
${sh > 1 ? `    for (let a = 1; a < ${sh}; a++) ${y}.copyWithin(y0 + a * ${OW}, y0, y0 + ${OW});` : ''}
  }
}`;
  }
  const th = bilinearTaps(H, sh);
  const tw = bilinearTaps(W, sw);
  return `// bilinear x[${sh}, ${sw}] (align_corners = false): 4 taps per output pixel from per-axis tables
${head}
${bilinearTables(ctx, th, tw, W)}
for (let p = 0, xo = 0, yo = 0; p < planes; p++, xo += ${H * W}, yo += ${OH * OW}) {
  for (let oh = 0; oh < ${OH}; oh++) {
    const r0 = xo + h0[oh], r1 = xo + h1[oh], a0 = hl0[oh], a1 = hl1[oh];
    for (let ow = 0, q = yo + oh * ${OW}; ow < ${OW}; ow++, q++) {
      const c0 = w0[ow], c1 = w1[ow], b0 = wl0[ow], b1 = wl1[ow];
      ${y}[q] = a0 * (b0 * ${x}[r0 + c0] + b1 * ${x}[r0 + c1]) + a1 * (b0 * ${x}[r1 + c0] + b1 * ${x}[r1 + c1]);
    }
  }
}`;
}

function upsampleGradCpu(ctx: CpuKernelContext): string {
  const { sh, sw, mode } = upAttrs('upsample2d_grad', ctx.attrs);
  const [OH, OW] = spatial('upsample2d_grad', ctx.node.inputs[0].type, 'dy');
  const H = OH / sh;
  const W = OW / sw;
  const dy = ctx.in[0];
  const dx = ctx.out[0];
  const head = `const planes = ${planesOf(ctx.inShape[0])};`;
  if (mode === 'nearest') {
    return `// nearest x[${sh}, ${sw}] adjoint: each input pixel sums its ${sh}x${sw} block
${head}
for (let p = 0, xo = 0, yo = 0; p < planes; p++, xo += ${H * W}, yo += ${OH * OW}) {
  for (let h = 0; h < ${H}; h++) {
    for (let w = 0; w < ${W}; w++) {
      let s = 0;
      for (let a = 0, r = yo + h * ${sh * OW} + w * ${sw}; a < ${sh}; a++, r += ${OW}) for (let b = 0; b < ${sw}; b++) s += ${dy}[r + b];
      ${dx}[xo + h * ${W} + w] = s;
    }
  }
}`;
  }
  const th = bilinearTaps(H, sh);
  const tw = bilinearTaps(W, sw);
  return `// bilinear x[${sh}, ${sw}] adjoint: scatter each dy pixel to its 4 taps in a float64 plane
${head}
${bilinearTables(ctx, th, tw, W)}
const acc = ${ctx.scratch('f64', H * W)};
for (let p = 0, xo = 0, yo = 0; p < planes; p++, xo += ${H * W}, yo += ${OH * OW}) {
  acc.fill(0);
  for (let oh = 0; oh < ${OH}; oh++) {
    const r0 = h0[oh], r1 = h1[oh], a0 = hl0[oh], a1 = hl1[oh];
    for (let ow = 0, q = yo + oh * ${OW}; ow < ${OW}; ow++, q++) {
      const c0 = w0[ow], c1 = w1[ow], g = ${dy}[q];
      const g0 = a0 * g, g1 = a1 * g, b0 = wl0[ow], b1 = wl1[ow];
      acc[r0 + c0] += g0 * b0; acc[r0 + c1] += g0 * b1;
      acc[r1 + c0] += g1 * b0; acc[r1 + c1] += g1 * b1;
    }
  }
  for (let i = 0; i < ${H * W}; i++) ${dx}[xo + i] = acc[i];
}`;
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
  cpu: upsampleCpu,
  wgsl: upsample2dWgsl,
  gpujs: upsample2dGpujs,
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
  cpu: upsampleGradCpu,
  wgsl: upsample2dGradWgsl,
  gpujs: upsample2dGradGpujs,
  samples: [
    { inputs: [{ shape: [2, 3, 6, 8] }], attrs: { scale: [2, 2], mode: 'nearest' }, note: 'nearest x2' },
    { inputs: [{ shape: [1, 2, 6, 3] }], attrs: { scale: [3, 1], mode: 'nearest' }, note: 'nearest [3, 1]' },
    { inputs: [{ shape: [2, 3, 6, 8] }], attrs: { scale: [2, 2], mode: 'bilinear' }, note: 'bilinear x2' },
    { inputs: [{ shape: [1, 2, 12, 6] }], attrs: { scale: [3, 2], mode: 'bilinear' }, note: 'bilinear [3, 2]' },
    { inputs: [{ shape: [2, 1, 2, 6] }], attrs: { scale: [2, 3], mode: 'bilinear' }, note: 'bilinear to one row' },
  ],
};
