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
import { ShapeError, type CpuKernelContext, type OpDef, type OpSample } from './types.js';
import { refTensor } from './util.js';
import { expectArity, expectDtype, numAttr, numsAttr } from './kernel-util.js';
import { emitGemmPacked, gemmScratch, gemmScratchSize, type GemmSpec } from '../../codegen/cpu/gemm.js';
import { splitPrologue } from '../../codegen/cpu/split.js';
import { conv2dBackpropFilterWgsl, conv2dBackpropInputWgsl, conv2dWgsl } from '../../codegen/wgsl/ops/conv.js';
import { conv2dBackpropFilterGpujs, conv2dBackpropInputGpujs, conv2dGpujs } from '../../codegen/gpujs/ops/conv.js';

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

function pair(op: string, attrs: Attrs, name: string, dflt: number, min: number): [number, number] {
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

function inferConv(inputs: TensorType[], attrs: Attrs): { p: ConvProblem; N: Dim } {
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

function inferBackpropInput(inputs: TensorType[], attrs: Attrs): { p: ConvProblem; N: Dim } {
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

function inferBackpropFilter(inputs: TensorType[], attrs: Attrs): { p: ConvProblem; N: Dim } {
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

interface Gemm {
  A: string;
  B: string;
  C: string;
  M: number;
  N: number;
  K: number;
  /** A(i, k) = A[aOff + i*aRow + k*aK] */
  aOff: string;
  aRow: number;
  aK: number;
  /** B(k, j) = B[bOff + k*bK + j*bCol] */
  bOff: string;
  bK: number;
  bCol: number;
  /** C(i, j) = C[cOff + i*cRow + j] */
  cOff: string;
  cRow: number;
  /** C += A B instead of C = A B */
  accumulate: boolean;
}

/** The packed-B GEMM (codegen/cpu/gemm.ts) for a static problem; its scratch is `bp` (declared with packedScratch). */
function packedSpec(g: Gemm): GemmSpec {
  return {
    A: g.A, B: g.B, C: g.C, M: String(g.M), N: String(g.N), K: String(g.K),
    aOff: g.aOff, aRow: String(g.aRow), aK: String(g.aK),
    bOff: g.bOff, bK: String(g.bK), bCol: String(g.bCol),
    cOff: g.cOff, cRow: String(g.cRow),
    accumulate: g.accumulate, scratch: 'bp',
  };
}

/** For window tap offset `off` (= k*d - pad) at stride s: the output range [lo, hi) whose input index lies in [0, n). */
function validRange(n: number, OUT: number, s: number, off: number): [number, number] {
  let lo = 0;
  while (lo < OUT && lo * s + off < 0) lo++;
  let hi = OUT;
  while (hi > lo && (hi - 1) * s + off >= n) hi--;
  return [lo, hi];
}

/**
 * Per-kw valid output-column ranges as literal arrays (the loops read them
 * from small constant arrays instead of recomputing bounds).
 */
function rangeTables(p: ConvProblem): { loW: number[]; hiW: number[] } {
  const loW: number[] = [];
  const hiW: number[] = [];
  for (let kw = 0; kw < p.KW; kw++) {
    const [lo, hi] = validRange(p.W, p.OW, p.sw, kw * p.dw - p.pl);
    loW.push(lo);
    hiW.push(hi);
  }
  return { loW, hiW };
}

/**
 * `loW`, `hiW`: declared once at the top of a kernel that uses
 * emitIm2colPacked / emitCol2im, in planned i32 scratch filled per call
 * (KW numbers each).
 */
function emitRangeTables(p: ConvProblem, ctx: CpuKernelContext): string {
  const { loW, hiW } = rangeTables(p);
  const fill = (name: string, v: number[]) => v.map((x, i) => `${name}[${i}] = ${x};`).join(' ');
  return `const loW = ${ctx.scratch('i32', p.KW)}, hiW = ${ctx.scratch('i32', p.KW)};\n${fill('loW', loW)} ${fill('hiW', hiW)}`;
}

/**
 * im2col straight into the packed-B layout of codegen/cpu/gemm.ts (no
 * separate col matrix, no packing pass). Element (tap, pix) of col — tap =
 * (c, kh, kw), pix = (oh, ow) — goes to
 *   byPix (conv2d: the GEMM's K is the tap, its columns the pixels):
 *       (pix >> 2) * taps * 4 + tap * 4 + (pix & 3)
 *   byTap (backprop_filter: K is the pixel, the columns the taps):
 *       (tap >> 2) * P * 4 + pix * 4 + (tap & 3)
 * The padding columns of the last strip are zeroed once per call
 * (emitPadZero: the scratch holds whatever its last user left); padded-away
 * taps are written as zeros.
 */
function emitIm2colPacked(p: ConvProblem, x: string, bp: string, byPix: boolean, tapRange?: [string, string]): string {
  const Cg = p.C / p.groups;
  const HW = p.H * p.W;
  const taps = Cg * p.KH * p.KW;
  const P = p.OH * p.OW;
  const at = (pix: string) => (byPix ? `${bp}[tb + ((${pix}) >> 2) * ${taps * 4} + ((${pix}) & 3)]` : `${bp}[tb + (${pix}) * 4]`);
  const tapBase = byPix ? 'tap * 4' : `(tap >> 2) * ${P * 4} + (tap & 3)`;
  return `{
const xb = (n * ${p.C} + grp * ${Cg}) * ${HW};
let tap = 0;
for (let c = 0; c < ${Cg}; c++) {
  const xc = xb + c * ${HW};
  for (let kh = 0; kh < ${p.KH}; kh++) {
    for (let kw = 0; kw < ${p.KW}; kw++, tap++) {${tapRange ? `
      if (tap < ${tapRange[0]} || tap >= ${tapRange[1]}) continue;` : ''}
      const lo = loW[kw], hi = hiW[kw], tb = ${tapBase};
      for (let oh = 0, q = 0; oh < ${p.OH}; oh++, q += ${p.OW}) {
        const ih = oh * ${p.sh} + kh * ${p.dh} - ${p.pt};
        if (ih < 0 || ih >= ${p.H}) { for (let ow = 0; ow < ${p.OW}; ow++) ${at('q + ow')} = 0; continue; }
        const xr = xc + ih * ${p.W} + kw * ${p.dw} - ${p.pl};
        let ow = 0;
        for (; ow < lo; ow++) ${at('q + ow')} = 0;
        for (; ow < hi; ow++) ${at('q + ow')} = ${x}[xr + ow * ${p.sw}];
        for (; ow < ${p.OW}; ow++) ${at('q + ow')} = 0;
      }
    }
  }
}
}`;
}

/** Zero the padding columns of the last packed strip (pixels P.. for byPix, taps K.. for byTap), when there are any. */
function emitPadZero(p: ConvProblem, bp: string, byPix: boolean): string {
  const taps = (p.C / p.groups) * p.KH * p.KW;
  const P = p.OH * p.OW;
  const [cols, rows] = byPix ? [P, taps] : [taps, P];
  if (cols % 4 === 0) return '';
  const base = (cols >> 2) * rows * 4;
  return `for (let r = 0; r < ${rows}; r++) for (let c = ${cols & 3}; c < 4; c++) ${bp}[${base} + r * 4 + c] = 0;\n`;
}

/** col2im: dimg[channel (grp*Cg + c), ih, iw] += dcol[(c, kh, kw), (oh, ow)]. */
function emitCol2im(p: ConvProblem, dcol: string, dimg: string): string {
  const Cg = p.C / p.groups;
  const HW = p.H * p.W;
  return `{
let q = 0;
for (let c = 0; c < ${Cg}; c++) {
  const xc = (grp * ${Cg} + c) * ${HW};
  for (let kh = 0; kh < ${p.KH}; kh++) {
    for (let kw = 0; kw < ${p.KW}; kw++) {
      const lo = loW[kw], hi = hiW[kw];
      for (let oh = 0; oh < ${p.OH}; oh++, q += ${p.OW}) {
        const ih = oh * ${p.sh} + kh * ${p.dh} - ${p.pt};
        if (ih < 0 || ih >= ${p.H}) continue;
        const xr = xc + ih * ${p.W} + kw * ${p.dw} - ${p.pl};
        ${p.sw === 1 ? `for (let ow = lo, s = xr + lo; ow < hi; ow++, s++) ${dimg}[s] += ${dcol}[q + ow];` : `for (let ow = lo; ow < hi; ow++) ${dimg}[xr + ow * ${p.sw}] += ${dcol}[q + ow];`}
      }
    }
  }
}
}`;
}

function convCpu(ctx: CpuKernelContext): string {
  return convBody(ctx, false);
}

/** conv2d split by images (the rows of the CPU backend's threads; see codegen/cpu/templates.ts). */
export function convCpuSplit(ctx: CpuKernelContext): string {
  return convBody(ctx, true);
}

function convBody(ctx: CpuKernelContext, split: boolean): string {
  const { p } = inferConv(ctx.node.inputs.map((v) => v.type), ctx.attrs);
  const [x, w] = ctx.in;
  const y = ctx.out[0];
  const Cg = p.C / p.groups;
  const Fg = p.F / p.groups;
  const K = Cg * p.KH * p.KW;
  const P = p.OH * p.OW;
  const spec: GemmSpec = {
    A: w, B: '', C: y, M: String(Fg), N: String(P), K: String(K),
    aOff: 'wOff', aRow: String(K), aK: '1', bOff: '0', bK: '0', bCol: '0',
    cOff: 'yOff', cRow: String(P), accumulate: false, scratch: 'bp', prepacked: true,
  };
  return `// implicit GEMM per image and group: y_n [${Fg}, ${P}] = W [${Fg}, ${K}] x col [${K}, ${P}] (col im2col'd straight into packed strips)
const N = ${ctx.inShape[0][0]};
${split ? splitPrologue('N', 1, `N * ${2 * p.F * K * P}`) + '\n' : ''}${emitRangeTables(p, ctx)}
${gemmScratch(spec, ctx, gemmScratchSize(P, K, true))}
${emitPadZero(p, 'bp', true)}for (let n = ${split ? 'rLo' : '0'}; n < ${split ? 'rHi' : 'N'}; n++) {
  for (let grp = 0; grp < ${p.groups}; grp++) {
${emitIm2colPacked(p, x, 'bp', true)}
    const wOff = grp * ${Fg * K}, yOff = (n * ${p.F} + grp * ${Fg}) * ${P};
${emitGemmPacked(spec)}
  }
}`;
}

function backpropFilterCpu(ctx: CpuKernelContext): string {
  return backpropFilterBody(ctx, false);
}

/**
 * conv2d_backprop_filter split by taps (columns of dw, in strips of 4): a
 * range im2cols only its own taps and sums over every image and pixel
 * itself, so no sum crosses threads.
 */
export function backpropFilterCpuSplit(ctx: CpuKernelContext): string {
  return backpropFilterBody(ctx, true);
}

function backpropFilterBody(ctx: CpuKernelContext, split: boolean): string {
  const { p } = inferBackpropFilter(ctx.node.inputs.map((v) => v.type), ctx.attrs);
  const [x, dy] = ctx.in;
  const dw = ctx.out[0];
  const Cg = p.C / p.groups;
  const Fg = p.F / p.groups;
  const K = Cg * p.KH * p.KW;
  const P = p.OH * p.OW;
  const spec: GemmSpec = {
    A: dy, B: '', C: 'acc', M: String(Fg), N: String(K), K: String(P),
    aOff: 'dyOff', aRow: String(P), aK: '1', bOff: '0', bK: '0', bCol: '0',
    cOff: 'accOff', cRow: String(K), accumulate: true, scratch: 'bp', prepacked: true,
    ...(split ? { jLo: 'rLo', jHi: 'rHi' } : {}),
  };
  const copy = split
    ? `for (let f = 0; f < ${p.F}; f++) for (let i = f * ${K} + rLo, e = f * ${K} + rHi; i < e; i++) ${dw}[i] = acc[i];`
    : `for (let i = 0; i < ${p.F * K}; i++) ${dw}[i] = acc[i];`;
  return `// per image and group: acc [${Fg}, ${K}] += dy_n [${Fg}, ${P}] x col^T [${P}, ${K}] (col^T im2col'd straight into packed strips)
const N = ${ctx.inShape[0][0]};
${split ? splitPrologue(String(K), 4, `N * ${2 * p.F * K * P}`) + '\n' : ''}${emitRangeTables(p, ctx)}
${gemmScratch(spec, ctx, gemmScratchSize(K, P, true))}
${emitPadZero(p, 'bp', false)}const acc = ${ctx.scratch('f64', p.F * K)};
acc.fill(0);
for (let n = 0; n < N; n++) {
  for (let grp = 0; grp < ${p.groups}; grp++) {
${emitIm2colPacked(p, x, 'bp', false, split ? ['rLo', 'rHi'] : undefined)}
    const dyOff = (n * ${p.F} + grp * ${Fg}) * ${P}, accOff = grp * ${Fg * K};
${emitGemmPacked(spec)}
  }
}
${copy}`;
}

function backpropInputCpu(ctx: CpuKernelContext): string {
  return backpropInputBody(ctx, false);
}

/** conv2d_backprop_input split by images. */
export function backpropInputCpuSplit(ctx: CpuKernelContext): string {
  return backpropInputBody(ctx, true);
}

function backpropInputBody(ctx: CpuKernelContext, split: boolean): string {
  const { p } = inferBackpropInput(ctx.node.inputs.map((v) => v.type), ctx.attrs);
  const [dy, w] = ctx.in;
  const dx = ctx.out[0];
  const Cg = p.C / p.groups;
  const Fg = p.F / p.groups;
  const K = Cg * p.KH * p.KW;
  const P = p.OH * p.OW;
  const CHW = p.C * p.H * p.W;
  const dInSpec = packedSpec({ A: w, B: dy, C: 'dcol', M: K, N: P, K: Fg, aOff: 'wOff', aRow: 1, aK: K, bOff: 'dyOff', bK: P, bCol: 1, cOff: '0', cRow: P, accumulate: false });
  return `// per image and group: dcol [${K}, ${P}] = W^T [${K}, ${Fg}] x dy_n [${Fg}, ${P}], then col2im
const N = ${ctx.inShape[0][0]};
${split ? splitPrologue('N', 1, `N * ${2 * p.F * K * P}`) + '\n' : ''}${emitRangeTables(p, ctx)}
const dcol = ${ctx.scratch('f64', K * P)};
const dimg = ${ctx.scratch('f64', CHW)};
${gemmScratch(dInSpec, ctx, gemmScratchSize(P, Fg))}
for (let n = ${split ? 'rLo' : '0'}; n < ${split ? 'rHi' : 'N'}; n++) {
  dimg.fill(0);
  for (let grp = 0; grp < ${p.groups}; grp++) {
    const wOff = grp * ${Fg * K}, dyOff = (n * ${p.F} + grp * ${Fg}) * ${P};
${emitGemmPacked(dInSpec)}
${emitCol2im(p, 'dcol', 'dimg')}
  }
  const xo = n * ${CHW};
  for (let i = 0; i < ${CHW}; i++) ${dx}[xo + i] = dimg[i];
}`;
}

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
  cpu: convCpu,
  wgsl: conv2dWgsl,
  gpujs: conv2dGpujs,
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
  cpu: backpropInputCpu,
  wgsl: conv2dBackpropInputWgsl,
  gpujs: conv2dBackpropInputGpujs,
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
  cpu: backpropFilterCpu,
  wgsl: conv2dBackpropFilterWgsl,
  // dy is summed over images and positions: the bias gradient is one more column of the GEMM
  contracts: () => [{ input: 1, axes: [0, 2, 3] }],
  wgslSum: (ctx, input, out) => {
    if (input !== 1) throw new Error('internal: conv2d_backprop_filter sums only dy');
    return conv2dBackpropFilterWgsl(ctx, out);
  },
  gpujs: conv2dBackpropFilterGpujs,
  samples: [
    { inputs: [{ shape: [2, 3, 5, 5] }, { shape: [2, 4, 3, 3] }], attrs: { kernel: [3, 3] }, note: '3x3 valid' },
    { inputs: [{ shape: [2, 3, 5, 5] }, { shape: [2, 4, 3, 3] }], attrs: { strides: [2, 2], pads: [1, 1, 1, 1], kernel: [3, 3] }, note: 'stride 2, padding 1' },
    { inputs: [{ shape: [2, 3, 5, 5] }, { shape: [2, 3, 3, 2] }], attrs: { dilations: [2, 2], strides: [1, 2], kernel: [2, 2] }, note: 'dilation 2' },
    { inputs: [{ shape: [2, 3, 5, 5] }, { shape: [2, 6, 5, 5] }], attrs: { groups: 3, pads: [1, 1, 1, 1], kernel: [3, 3] }, note: 'groups 3' },
  ],
};

