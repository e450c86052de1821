/**
 * gpu.js kernels of upsample2d (nearest, bilinear with align_corners = false)
 * and its adjoint upsample2d_grad, one thread per output element; the
 * gradient gathers:
 *
 *   nearest:        y[o, p] = x[floor(o / sh), floor(p / sw)];   dx[h, w] = Σ of its sh x sw block of dy
 *   bilinear:       the per-axis taps of compiler/ops/resize.ts (bilinearTaps: source rows i0, i1
 *                   and weights l0, l1, computed in float64 at compile time) are constant arrays
 *                   of the kernel, [i0, i1, l0, l1] per output row (d0) and column (d1), so the
 *                   kernel does no fractional index math at all;
 *   bilinear grad:  dx[h, w] = Σ over output rows o and columns p whose taps touch h and w of
 *                   (weight of h in tap(o)) (weight of w in tap(p)) dy[o, p]; only rows o in
 *                   [(h - 1) sh, (h + 2) sh) can touch row h (s moves by 1 per sh rows), so the
 *                   loops run 3 sh x 3 sw candidates, guarded.
 */
import { numsAttr } from '../../../compiler/ops/kernel-util.js';
import { gpujsIdiv } from '../util.js';
import { bilinearTaps } from '../../../compiler/ops/resize.js';
import type { GpujsKernel, GpujsKernelContext } from '../types.js';
import type { OpTable } from '../../../compiler/ops/index.js';
import type { GpujsRenderer } from '../types.js';

function attrs(ctx: GpujsKernelContext): { sh: number; sw: number; bilinear: boolean } {
  const [sh, sw] = numsAttr(ctx.attrs, 'scale')!;
  return { sh, sw, bilinear: ctx.attrs.mode === 'bilinear' };
}

/** [i0, i1, l0, l1] per output index along one axis of n source pixels upsampled by `scale`. */
function tapTable(n: number, scale: number): number[] {
  const t = bilinearTaps(n, scale);
  const out: number[] = [];
  for (let o = 0; o < n * scale; o++) out.push(t.i0[o], t.i1[o], t.l0[o], t.l1[o]);
  return out;
}

/** Statements: plane `pl`, row `r`, column `c` of the flat index `i` over [planes, rows, cols]. */
function coords(rows: number, cols: number, r: string, c: string): string[] {
  return [
    `const pl = ${gpujsIdiv('i', String(rows * cols))};`,
    `const q = i - pl * ${rows * cols};`,
    `const ${r} = ${gpujsIdiv('q', String(cols))};`,
    `const ${c} = q - ${r} * ${cols};`,
  ];
}

export function upsample2dGpujs(ctx: GpujsKernelContext): string | GpujsKernel {
  const { sh, sw, bilinear } = attrs(ctx);
  const [, , H, W] = ctx.inDims[0] as number[];
  const OH = H * sh;
  const OW = W * sw;
  const x = ctx.in[0];
  const head = [...coords(OH, OW, 'oh', 'ow'), `const xo = pl * ${H * W};`];
  if (!bilinear) return [...head, `return ${x}[xo + ${gpujsIdiv('oh', String(sh))} * ${W} + ${gpujsIdiv('ow', String(sw))}];`].join('\n');
  const body = [
    ...head,
    'const r0 = xo + d0[oh * 4] * ' + W + ';',
    'const r1 = xo + d0[oh * 4 + 1] * ' + W + ';',
    'const a0 = d0[oh * 4 + 2];',
    'const a1 = d0[oh * 4 + 3];',
    'const c0 = d1[ow * 4];',
    'const c1 = d1[ow * 4 + 1];',
    'const b0 = d1[ow * 4 + 2];',
    'const b1 = d1[ow * 4 + 3];',
    `return a0 * (b0 * ${x}[r0 + c0] + b1 * ${x}[r0 + c1]) + a1 * (b0 * ${x}[r1 + c0] + b1 * ${x}[r1 + c1]);`,
  ];
  return { body: body.join('\n'), data: [tapTable(H, sh), tapTable(W, sw)] };
}

export function upsample2dGradGpujs(ctx: GpujsKernelContext): string | GpujsKernel {
  const { sh, sw, bilinear } = attrs(ctx);
  const [, , OH, OW] = ctx.inDims[0] as number[];
  const H = OH / sh;
  const W = OW / sw;
  const dy = ctx.in[0];
  const head = [...coords(H, W, 'h', 'w'), `const yo = pl * ${OH * OW};`, 'let acc = 0;'];
  if (!bilinear) {
    return [
      ...head,
      `const r = yo + h * ${sh * OW} + w * ${sw};`,
      `for (let a = 0; a < ${sh}; a++) {`,
      `for (let b = 0; b < ${sw}; b++) {`,
      `acc = acc + ${dy}[r + a * ${OW} + b];`,
      '}',
      '}',
      'return acc;',
    ].join('\n');
  }
  // weight of source index `s` in the tap of table row `o`: l0 where i0 = s, plus l1 where i1 = s
  const weight = (d: string, o: string, s: string) => `(${d}[${o} * 4] === ${s} ? ${d}[${o} * 4 + 2] : 0) + (${d}[${o} * 4 + 1] === ${s} ? ${d}[${o} * 4 + 3] : 0)`;
  const body = [
    ...head,
    `const o0 = (h - 1) * ${sh};`,
    `const p0 = (w - 1) * ${sw};`,
    `for (let a = 0; a < ${3 * sh}; a++) {`,
    'const o = o0 + a;',
    `if (o >= 0 && o < ${OH}) {`,
    `const wr = ${weight('d0', 'o', 'h')};`,
    `for (let b = 0; b < ${3 * sw}; b++) {`,
    'const p = p0 + b;',
    `if (p >= 0 && p < ${OW}) {`,
    `const wc = ${weight('d1', 'p', 'w')};`,
    `acc = acc + wr * wc * ${dy}[yo + o * ${OW} + p];`,
    '}',
    '}',
    '}',
    '}',
    'return acc;',
  ];
  return { body: body.join('\n'), data: [tapTable(H, sh), tapTable(W, sw)] };
}

/** op name -> gpu.js renderer */
export const resizeGpujsRenderers: OpTable<GpujsRenderer> = {
  upsample2d: {
    kernel: upsample2dGpujs,
  },
  upsample2d_grad: {
    kernel: upsample2dGradGpujs,
  },
};
