/**
 * WGSL kernels of 2-D pooling (NCHW), one thread per output element; the
 * gradients gather instead of scattering (no atomics, deterministic):
 *
 *   maxpool2d / avgpool2d:  thread per y[nc, oh, ow], window clipped to the image.
 *   maxpool2d_grad:         thread per dx[nc, ih, iw]: for every window that
 *                           contains (ih, iw), recompute its arg-max (first on
 *                           ties, strict >, scanning from -inf as the reference
 *                           does) and add dy when it is this element; windows in
 *                           (oh, ow) order, the order the CPU kernel adds them.
 *   avgpool2d_grad:         thread per dx element: Σ dy[w] / count(w) over the windows w containing it.
 *
 * Windows containing row ih: oh in [ceil((ih + pt - kh + 1) / sh), floor((ih + pt) / sh)] ∩ [0, OH).
 */
import { dimProduct } from '../../../compiler/dims.js';
import { poolGeometry, type PoolProblem } from '../../../compiler/ops/pool.js';
import { wgslPerElement } from '../util.js';
import type { WgslKernel, WgslKernelContext } from '../types.js';
import type { OpTable } from '../../../compiler/ops/index.js';
import type { WgslRenderer } from '../types.js';


const u = (n: number) => `${n}u`;
const i = (n: number) => (n < 0 ? `(${n}i)` : `${n}i`);

/** -inf at run time (a constant infinity is rejected by WGSL) */
const NEG_INF_DECL = 'var<private> NEG_INF_BITS: u32 = 0xff800000u;';

/** Statements: the clipped window of output (oh, ow) as u32 hs..he, ws..we (oh, ow: u32 expressions). */
function clip(p: PoolProblem, oh: string, ow: string, tag = ''): string[] {
  return [
    `let h0${tag} = i32(${oh}) * ${i(p.sh)} - ${i(p.pt)};`,
    `let w0${tag} = i32(${ow}) * ${i(p.sw)} - ${i(p.pl)};`,
    `let hs${tag} = u32(max(h0${tag}, 0i));`,
    `let he${tag} = u32(min(h0${tag} + ${i(p.kh)}, ${i(p.H)}));`,
    `let ws${tag} = u32(max(w0${tag}, 0i));`,
    `let we${tag} = u32(min(w0${tag} + ${i(p.kw)}, ${i(p.W)}));`,
  ];
}

/** Statements setting `best` (u32 plane index, or 0xffffffffu) and `m` for the window hs..he, ws..we of plane offset `xo`. */
function argmax(x: (index: string) => string, p: PoolProblem, tag = ''): string[] {
  return [
    `var m = bitcast<f32>(NEG_INF_BITS);`,
    `var best = 0xffffffffu;`,
    `for (var ih = hs${tag}; ih < he${tag}; ih = ih + 1u) {`,
    `  for (var iw = ws${tag}; iw < we${tag}; iw = iw + 1u) {`,
    `    let v = ${x(`xo + ih * ${u(p.W)} + iw`)};`,
    `    if (v > m) { m = v; best = ih * ${u(p.W)} + iw; }`,
    `  }`,
    `}`,
  ];
}

/** Statements: the windows containing input (ih, iw) (u32 names `ih`, `iw`) as loops over oh, ow; `body` inside. */
function windowsOf(p: PoolProblem, body: string[]): string[] {
  const lo = (c: string, pad: number, k: number, s: number) => `u32(max((i32(${c}) + ${i(pad - k + 1 + s - 1)}) / ${i(s)}, 0i))`;
  // (a + s - 1) / s is ceil(a / s) for a >= 1 - s + ... ; negative a clamps to 0 either way
  const hi = (c: string, pad: number, s: number, n: number) => `min((${c} + ${u(pad)}) / ${u(s)} + 1u, ${u(n)})`;
  return [
    `let ohLo = ${lo('ih', p.pt, p.kh, p.sh)};`,
    `let ohHi = ${hi('ih', p.pt, p.sh, p.OH)};`,
    `let owLo = ${lo('iw', p.pl, p.kw, p.sw)};`,
    `let owHi = ${hi('iw', p.pl, p.sw, p.OW)};`,
    `for (var oh = ohLo; oh < ohHi; oh = oh + 1u) {`,
    `  for (var ow = owLo; ow < owHi; ow = ow + 1u) {`,
    ...body.map((s) => `    ${s}`),
    `  }`,
    `}`,
  ];
}

/** Per-output kernel header: nc, oh, ow of `idx` over [NC, OH, OW]. */
function outCoords(p: PoolProblem): string[] {
  return [`let nc = idx / ${u(p.OH * p.OW)};`, `let q = idx % ${u(p.OH * p.OW)};`, `let oh = q / ${u(p.OW)};`, `let ow = q % ${u(p.OW)};`, `let xo = nc * ${u(p.H * p.W)};`];
}

/** Per-input kernel header: nc, ih, iw of `idx` over [NC, H, W]. */
function inCoords(p: PoolProblem): string[] {
  return [`let nc = idx / ${u(p.H * p.W)};`, `let q = idx % ${u(p.H * p.W)};`, `let ih = q / ${u(p.W)};`, `let iw = q % ${u(p.W)};`, `let xo = nc * ${u(p.H * p.W)};`, `let yo = nc * ${u(p.OH * p.OW)};`];
}

function withDecl(k: WgslKernel, decls: string): WgslKernel {
  return { ...k, decls: [k.decls, decls].filter(Boolean).join('\n') };
}

export function maxpool2dWgsl(ctx: WgslKernelContext): WgslKernel {
  const [, , H, W] = ctx.inDims[0];
  const p = poolGeometry('maxpool2d', H as number, W as number, ctx.attrs);
  const body = [...outCoords(p), ...clip(p, 'oh', 'ow'), ...argmax((at) => ctx.load(0, at), p), ctx.store(0, 'idx', 'm')];
  return withDecl(wgslPerElement(dimProduct(ctx.outDims[0]), body.join('\n')), NEG_INF_DECL);
}

export function maxpool2dGradWgsl(ctx: WgslKernelContext): WgslKernel {
  const [, , H, W] = ctx.inDims[0];
  const p = poolGeometry('maxpool2d_grad', H as number, W as number, ctx.attrs);
  const body = [
    ...inCoords(p),
    `let me = ih * ${u(p.W)} + iw;`,
    `var acc = 0.0;`,
    ...windowsOf(p, [`{`, ...clip(p, 'oh', 'ow', '_'), ...argmax((at) => ctx.load(0, at), p, '_'), `if (best == me) { acc = acc + ${ctx.load(1, `yo + oh * ${u(p.OW)} + ow`)}; }`, `}`]),
    ctx.store(0, 'idx', 'acc'),
  ];
  return withDecl(wgslPerElement(dimProduct(ctx.outDims[0]), body.join('\n')), NEG_INF_DECL);
}

export function avgpool2dWgsl(ctx: WgslKernelContext): WgslKernel {
  const [, , H, W] = ctx.inDims[0];
  const p = poolGeometry('avgpool2d', H as number, W as number, ctx.attrs);
  const body = [
    ...outCoords(p),
    ...clip(p, 'oh', 'ow'),
    `var s = 0.0;`,
    `for (var ih = hs; ih < he; ih = ih + 1u) {`,
    `  for (var iw = ws; iw < we; iw = iw + 1u) { s = s + ${ctx.load(0, `xo + ih * ${u(p.W)} + iw`)}; }`,
    `}`,
    ctx.store(0, 'idx', 's / f32((he - hs) * (we - ws))'),
  ];
  return wgslPerElement(dimProduct(ctx.outDims[0]), body.join('\n'));
}

export function avgpool2dGradWgsl(ctx: WgslKernelContext): WgslKernel {
  const [, , H, W] = ctx.outDims[0];
  const p = poolGeometry('avgpool2d_grad', H as number, W as number, ctx.attrs);
  const body = [
    ...inCoords(p),
    `var acc = 0.0;`,
    ...windowsOf(p, [`{`, ...clip(p, 'oh', 'ow', '_'), `acc = acc + ${ctx.load(0, `yo + oh * ${u(p.OW)} + ow`)} / f32((he_ - hs_) * (we_ - ws_));`, `}`]),
    ctx.store(0, 'idx', 'acc'),
  ];
  return wgslPerElement(dimProduct(ctx.outDims[0]), body.join('\n'));
}

/** op name -> WGSL renderer */
export const poolWgslRenderers: OpTable<WgslRenderer> = {
  maxpool2d: {
    kernel: maxpool2dWgsl,
    fuses: { load: true, store: true },
  },
  maxpool2d_grad: {
    kernel: maxpool2dGradWgsl,
    fuses: { load: true, store: true },
  },
  avgpool2d: {
    kernel: avgpool2dWgsl,
    fuses: { load: true, store: true },
  },
  avgpool2d_grad: {
    kernel: avgpool2dGradWgsl,
    fuses: { load: true, store: true },
  },
};
