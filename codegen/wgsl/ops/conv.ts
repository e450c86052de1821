/**
 * WGSL kernels of the convolutions (NCHW), each an implicit GEMM per group
 * (codegen/wgsl/ops/gemm.ts): the im2col matrix is gathered tile by tile into
 * workgroup memory, never written out.
 *
 *   conv2d:                 y [Fg, N*OH*OW] = W [Fg, Cg*KH*KW] · col(x)           (rows: filters)
 *   conv2d_backprop_input:  dx [Cg, N*H*W]  = W^T [Cg, Fg*KH*KW] · gather(dy)     (rows: input channels;
 *                           B(k = (f, kh, kw), n = (img, ih, iw)) = dy[img, f, oh, ow] where
 *                           ih + pt - kh*dh = oh*sh (and likewise for w), else 0: no scatter, no atomics)
 *   conv2d_backprop_filter: dw [Fg, Cg*KH*KW] = dy [Fg, N*OH*OW] · col(x)^T        (split-K inside the
 *                           workgroup: the reduction over N*OH*OW is long, the output small)
 * conv2d_transpose delegates to conv2d_backprop_input (compiler/ops/deconv.ts).
 *
 * Sizes come from the node's types (C, H, W and the kernel are static; N may
 * be symbolic), the geometry from the attributes (strides, pads, dilations,
 * groups), so conv2d_transpose can pass its own node with converted attrs.
 */
import { dimMul, type Dim } from '../../../compiler/dims.js';
import { wgslMul } from '../util.js';
import type { WgslKernel, WgslKernelContext } from '../types.js';
import { windowGeometry, type ConvGeometry } from '../../../compiler/ops/conv.js';
import { implicitGemmWgsl, pickGemmTiling } from './gemm.js';
import type { OpTable } from '../../../compiler/ops/index.js';
import type { WgslRenderer } from '../types.js';


const u = (n: number) => `${n}u`;
const i = (n: number) => (n < 0 ? `(${n}i)` : `${n}i`);
const nums = (dims: readonly Dim[]) => dims.map((d) => d as number);

/** `a * k` in u32 WGSL, dropping `* 1u` */
const times = (a: string, k: number) => (k === 1 ? a : `${a} * ${u(k)}`);

/**
 * Statements that set `v` to x[img, grp*Cg + c, oh*sh - pt + kh*dh, ow*sw - pl + kw*dw]
 * (0 in the padding), given WGSL u32 names img, c, oh, ow, kh, kw.
 */
function gatherX(x: (index: string) => string, C: number, H: number, W: number, Cg: number, g: ConvGeometry): string {
  return [
    `let q_ih = i32(${times('q_oh', g.sh)} + ${times('q_kh', g.dh)}) - ${i(g.pt)};`,
    `let q_iw = i32(${times('q_ow', g.sw)} + ${times('q_kw', g.dw)}) - ${i(g.pl)};`,
    `if (q_ih >= 0i && q_ih < ${i(H)} && q_iw >= 0i && q_iw < ${i(W)}) {`,
    `  v = ${x(`((q_img * ${u(C)} + grp * ${u(Cg)} + q_c) * ${u(H)} + u32(q_ih)) * ${u(W)} + u32(q_iw)`)};`,
    `}`,
  ].join('\n');
}

export function conv2dWgsl(ctx: WgslKernelContext): WgslKernel {
  const [C, H, W] = nums(ctx.inDims[0].slice(1));
  const [F, Cg, KH, KW] = nums(ctx.inDims[1]);
  const [OH, OW] = nums(ctx.outDims[0].slice(2));
  const g = windowGeometry(ctx.node.op, ctx.attrs);
  const Fg = F / g.groups;
  const KK = KH * KW;
  const K = Cg * KK;
  const P = OH * OW;
  const w = ctx.in[1];
  const N = ctx.inDims[0][0];
  return implicitGemmWgsl({
    M: u(Fg),
    N: wgslMul([ctx.inShape[0][0], u(P)]),
    K: u(K),
    mItems: Fg,
    nItems: dimMul(N, P),
    groups: g.groups,
    loadA: (m, k) => `v = ${w}[(grp * ${u(Fg)} + ${m}) * ${u(K)} + ${k}];`,
    loadB: (k, n) =>
      [
        `let q_k = ${k};`,
        `let q_n = ${n};`,
        `let q_c = q_k / ${u(KK)};`,
        `let q_r = q_k % ${u(KK)};`,
        `let q_kh = q_r / ${u(KW)};`,
        `let q_kw = q_r % ${u(KW)};`,
        `let q_img = q_n / ${u(P)};`,
        `let q_p = q_n % ${u(P)};`,
        `let q_oh = q_p / ${u(OW)};`,
        `let q_ow = q_p % ${u(OW)};`,
        gatherX((at) => ctx.load(0, at), C, H, W, Cg, g),
      ].join('\n'),
    store: (m, n, acc) => ctx.store(0, `((${n} / ${u(P)}) * ${u(F)} + grp * ${u(Fg)} + ${m}) * ${u(P)} + ${n} % ${u(P)}`, acc),
    aFast: 'k',
    bFast: 'n',
    tiling: pickGemmTiling(Fg, dimMul(N, P), false),
  });
}

export function conv2dBackpropInputWgsl(ctx: WgslKernelContext): WgslKernel {
  const [F, OH, OW] = nums(ctx.inDims[0].slice(1));
  const [Fw, Cg, KH, KW] = nums(ctx.inDims[1]);
  const [C, H, W] = nums(ctx.outDims[0].slice(1));
  if (F !== Fw) throw new Error(`internal: conv2d_backprop_input with ${F} != ${Fw} filters`);
  const g = windowGeometry(ctx.node.op, ctx.attrs);
  const Fg = F / g.groups;
  const KK = KH * KW;
  const HW = H * W;
  const w = ctx.in[1];
  const N = ctx.inDims[0][0];
  // oh = (ih + pt - kh*dh) / sh when that is a non-negative multiple of sh below OH
  const tap = (t: string, stride: number, extent: number) =>
    stride === 1 ? `${t} >= 0i && ${t} < ${i(extent)}` : `${t} >= 0i && ${t} % ${i(stride)} == 0i && ${t} / ${i(stride)} < ${i(extent)}`;
  return implicitGemmWgsl({
    M: u(Cg),
    N: wgslMul([ctx.inShape[0][0], u(HW)]),
    K: u(Fg * KK),
    mItems: Cg,
    nItems: dimMul(N, HW),
    groups: g.groups,
    loadA: (m, k) => `v = ${w}[(grp * ${u(Fg)} + ${k} / ${u(KK)}) * ${u(Cg * KK)} + ${m} * ${u(KK)} + ${k} % ${u(KK)}];`,
    loadB: (k, n) =>
      [
        `let q_k = ${k};`,
        `let q_n = ${n};`,
        `let q_f = q_k / ${u(KK)};`,
        `let q_r = q_k % ${u(KK)};`,
        `let q_img = q_n / ${u(HW)};`,
        `let q_p = q_n % ${u(HW)};`,
        `let q_th = i32(q_p / ${u(W)}) + ${i(g.pt)} - i32(${times(`(q_r / ${u(KW)})`, g.dh)});`,
        `let q_tw = i32(q_p % ${u(W)}) + ${i(g.pl)} - i32(${times(`(q_r % ${u(KW)})`, g.dw)});`,
        `if (${tap('q_th', g.sh, OH)} && ${tap('q_tw', g.sw, OW)}) {`,
        `  v = ${ctx.load(0, `((q_img * ${u(F)} + grp * ${u(Fg)} + q_f) * ${u(OH)} + u32(q_th${g.sh === 1 ? '' : ` / ${i(g.sh)}`})) * ${u(OW)} + u32(q_tw${g.sw === 1 ? '' : ` / ${i(g.sw)}`})`)};`,
        `}`,
      ].join('\n'),
    store: (m, n, acc) => ctx.store(0, `((${n} / ${u(HW)}) * ${u(C)} + grp * ${u(Cg)} + ${m}) * ${u(HW)} + ${n} % ${u(HW)}`, acc),
    aFast: 'k',
    bFast: 'n',
    tiling: pickGemmTiling(Cg, dimMul(N, HW), false),
  });
}

export function conv2dBackpropFilterWgsl(ctx: WgslKernelContext, sumOut?: string): WgslKernel {
  const [C, H, W] = nums(ctx.inDims[0].slice(1));
  const [F, OH, OW] = nums(ctx.inDims[1].slice(1));
  const [, Cg, KH, KW] = nums(ctx.outDims[0]);
  const g = windowGeometry(ctx.node.op, ctx.attrs);
  const Fg = F / g.groups;
  const KK = KH * KW;
  const P = OH * OW;
  const dy = ctx.in[1];
  return implicitGemmWgsl({
    M: u(Fg),
    N: u(Cg * KK),
    K: wgslMul([ctx.inShape[0][0], u(P)]),
    mItems: Fg,
    nItems: Cg * KK,
    groups: g.groups,
    loadA: (m, k) => `v = ${dy}[((${k} / ${u(P)}) * ${u(F)} + grp * ${u(Fg)} + ${m}) * ${u(P)} + ${k} % ${u(P)}];`,
    loadB: (k, n) =>
      [
        `let q_k = ${k};`,
        `let q_n = ${n};`,
        `let q_img = q_k / ${u(P)};`,
        `let q_p = q_k % ${u(P)};`,
        `let q_oh = q_p / ${u(OW)};`,
        `let q_ow = q_p % ${u(OW)};`,
        `let q_c = q_n / ${u(KK)};`,
        `let q_r = q_n % ${u(KK)};`,
        `let q_kh = q_r / ${u(KW)};`,
        `let q_kw = q_r % ${u(KW)};`,
        gatherX((at) => ctx.load(0, at), C, H, W, Cg, g),
      ].join('\n'),
    store: (m, n, acc) => ctx.store(0, `(grp * ${u(Fg)} + ${m}) * ${u(Cg * KK)} + ${n}`, acc),
    // the bias gradient: dy summed over images and positions, per filter
    ...(sumOut ? { rowSums: (m: string, acc: string) => `${sumOut}[grp * ${u(Fg)} + ${m}] = ${acc};` } : {}),
    aFast: 'k',
    bFast: 'k',
    tiling: pickGemmTiling(Fg, Cg * KK + (sumOut ? 1 : 0), true),
  });
}

/** op name -> WGSL renderer */
export const convWgslRenderers: OpTable<WgslRenderer> = {
  conv2d: {
    kernel: conv2dWgsl,
    fuses: { load: true, store: true },
  },
  conv2d_backprop_input: {
    kernel: conv2dBackpropInputWgsl,
    fuses: { load: true, store: true },
  },
  conv2d_backprop_filter: {
    kernel: conv2dBackpropFilterWgsl,
    sum: (ctx, input, out) => {
      if (input !== 1) throw new Error('internal: conv2d_backprop_filter sums only dy');
      return conv2dBackpropFilterWgsl(ctx, out);
    },
    fuses: { load: true, store: true },
  },
};
