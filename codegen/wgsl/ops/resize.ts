/**
 * WGSL kernels of upsample2d (nearest, bilinear with align_corners = false)
 * and its adjoint upsample2d_grad, one thread per output element; the
 * gradient gathers (no atomics):
 *
 *   nearest:        y[o, p] = x[o / sh, p / sw];   dx[h, w] = Σ of its sh x sw block of dy
 *   bilinear:       per axis, tap(o) = (i0, i1, l0, l1) with s = max((o + 0.5) / scale - 0.5, 0),
 *                   i0 = min(floor(s), n - 1), i1 = min(i0 + 1, n - 1), l1 = s - i0, l0 = 1 - l1
 *                   (the reference's formula, here in f32);
 *   bilinear grad:  dx[h, w] = Σ over output rows o and columns p whose taps touch h and w of
 *                   (weight of h in tap(o)) (weight of w in tap(p)) dy[o, p]; only rows o in
 *                   [(h - 1) sh, (h + 2) sh) can touch row h (s moves by 1 per sh rows).
 */
import { dimProduct } from '../../../compiler/dims.js';
import { numsAttr } from '../../../compiler/ops/kernel-util.js';
import { wgslPerElement } from '../util.js';
import type { WgslKernel, WgslKernelContext } from '../types.js';
import type { OpTable } from '../../../compiler/ops/index.js';
import type { WgslRenderer } from '../types.js';

const u = (n: number) => `${n}u`;
const f = (n: number) => (Number.isInteger(n) ? `${n}.0` : String(n));

const TAP_DECL = `struct Tap { i0: u32, i1: u32, l0: f32, l1: f32 }
fn bilinearTap(o: u32, scale: f32, n: u32) -> Tap {
  let s = max((f32(o) + 0.5) / scale - 0.5, 0.0);
  let a = min(u32(floor(s)), n - 1u);
  let t = s - f32(a);
  return Tap(a, min(a + 1u, n - 1u), 1.0 - t, t);
}
fn tapWeight(t: Tap, i: u32) -> f32 {
  return select(0.0, t.l0, t.i0 == i) + select(0.0, t.l1, t.i1 == i);
}`;

function attrs(ctx: WgslKernelContext): { sh: number; sw: number; bilinear: boolean } {
  const [sh, sw] = numsAttr(ctx.attrs, 'scale')!;
  return { sh, sw, bilinear: ctx.attrs.mode === 'bilinear' };
}

export function upsample2dWgsl(ctx: WgslKernelContext): WgslKernel {
  const { sh, sw, bilinear } = attrs(ctx);
  const [, , H, W] = ctx.inDims[0] as number[];
  const OH = H * sh;
  const OW = W * sw;
  const x = (at: string) => ctx.load(0, at);
  const head = [`let pl = idx / ${u(OH * OW)};`, `let q = idx % ${u(OH * OW)};`, `let oh = q / ${u(OW)};`, `let ow = q % ${u(OW)};`, `let xo = pl * ${u(H * W)};`];
  if (!bilinear) {
    const body = [...head, ctx.store(0, 'idx', x(`xo + (oh / ${u(sh)}) * ${u(W)} + ow / ${u(sw)}`))];
    return wgslPerElement(dimProduct(ctx.outDims[0]), body.join('\n'));
  }
  const body = [
    ...head,
    `let th = bilinearTap(oh, ${f(sh)}, ${u(H)});`,
    `let tw = bilinearTap(ow, ${f(sw)}, ${u(W)});`,
    `let r0 = xo + th.i0 * ${u(W)};`,
    `let r1 = xo + th.i1 * ${u(W)};`,
    ctx.store(0, 'idx', `th.l0 * (tw.l0 * ${x('r0 + tw.i0')} + tw.l1 * ${x('r0 + tw.i1')}) + th.l1 * (tw.l0 * ${x('r1 + tw.i0')} + tw.l1 * ${x('r1 + tw.i1')})`),
  ];
  return { ...wgslPerElement(dimProduct(ctx.outDims[0]), body.join('\n')), decls: TAP_DECL };
}

export function upsample2dGradWgsl(ctx: WgslKernelContext): WgslKernel {
  const { sh, sw, bilinear } = attrs(ctx);
  const [, , OH, OW] = ctx.inDims[0] as number[];
  const H = OH / sh;
  const W = OW / sw;
  const dy = (at: string) => ctx.load(0, at);
  const head = [`let pl = idx / ${u(H * W)};`, `let q = idx % ${u(H * W)};`, `let h = q / ${u(W)};`, `let w = q % ${u(W)};`, `let yo = pl * ${u(OH * OW)};`, `var acc = 0.0;`];
  if (!bilinear) {
    const body = [
      ...head,
      `for (var a = 0u; a < ${u(sh)}; a = a + 1u) {`,
      `  let r = yo + (h * ${u(sh)} + a) * ${u(OW)} + w * ${u(sw)};`,
      `  for (var b = 0u; b < ${u(sw)}; b = b + 1u) { acc = acc + ${dy('r + b')}; }`,
      `}`,
      ctx.store(0, 'idx', 'acc'),
    ];
    return wgslPerElement(dimProduct(ctx.outDims[0]), body.join('\n'));
  }
  const range = (c: string, s: number, n: number) => [`u32(max((i32(${c}) - 1i) * ${s}i, 0i))`, `min((${c} + 2u) * ${u(s)}, ${u(n)})`];
  const [oLo, oHi] = range('h', sh, OH);
  const [pLo, pHi] = range('w', sw, OW);
  const body = [
    ...head,
    `for (var o = ${oLo}; o < ${oHi}; o = o + 1u) {`,
    `  let wr = tapWeight(bilinearTap(o, ${f(sh)}, ${u(H)}), h);`,
    `  if (wr != 0.0) {`,
    `    for (var p = ${pLo}; p < ${pHi}; p = p + 1u) {`,
    `      let wc = tapWeight(bilinearTap(p, ${f(sw)}, ${u(W)}), w);`,
    `      acc = acc + wr * wc * ${dy(`yo + o * ${u(OW)} + p`)};`,
    `    }`,
    `  }`,
    `}`,
    ctx.store(0, 'idx', 'acc'),
  ];
  return { ...wgslPerElement(dimProduct(ctx.outDims[0]), body.join('\n')), decls: TAP_DECL };
}

/** op name -> WGSL renderer */
export const resizeWgslRenderers: OpTable<WgslRenderer> = {
  upsample2d: {
    kernel: upsample2dWgsl,
    fuses: { load: true, store: true },
  },
  upsample2d_grad: {
    kernel: upsample2dGradWgsl,
    fuses: { load: true, store: true },
  },
};
