/**
 * The CPU renderers of the ops of compiler/ops/resize.ts.
 */
import { type CpuKernelContext } from '../types.js';
import { mulExpr } from '../util.js';
import { upAttrs, spatial, bilinearTaps } from '../../../compiler/ops/resize.js';
import type { OpTable } from '../../../compiler/ops/index.js';
import type { CpuRenderer } from '../types.js';

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

/** op name -> CPU renderer */
export const resizeCpuRenderers: OpTable<CpuRenderer> = {
  upsample2d: {
    kernel: upsampleCpu,
  },
  upsample2d_grad: {
    kernel: upsampleGradCpu,
  },
};
