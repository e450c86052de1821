/**
 * The CPU renderers of the ops of compiler/ops/xent.ts.
 */
import { mulExpr } from '../util.js';
import type { OpTable } from '../../../compiler/ops/index.js';
import type { CpuRenderer } from '../types.js';

/** op name -> CPU renderer */
export const xentCpuRenderers: OpTable<CpuRenderer> = {
  softmax_cross_entropy: {
    kernel(ctx) {
      const [x, label] = ctx.in;
      const C = ctx.inShape[0][ctx.inShape[0].length - 1];
      return `const C = ${C}, rows = ${mulExpr(ctx.inShape[1])};
for (let r = 0; r < rows; r++) {
  const base = r * C, end = base + C;
  let m = -Infinity;
  for (let q = base; q < end; q++) { const v = ${x}[q]; if (v > m) m = v; }
  let s = 0;
  for (let q = base; q < end; q++) s += Math.exp(${x}[q] - m);
  const k = ${label}[r];
  ${ctx.out[0]}[r] = k >= 0 && k < C ? m + Math.log(s) - ${x}[base + k] : 0;
}`;
    },
  },
  softmax_cross_entropy_grad: {
    kernel(ctx) {
      const [g, x, label] = ctx.in;
      const y = ctx.out[0];
      const C = ctx.inShape[1][ctx.inShape[1].length - 1];
      return `const C = ${C}, rows = ${mulExpr(ctx.inShape[2])};
for (let r = 0; r < rows; r++) {
  const base = r * C, end = base + C;
  const k = ${label}[r];
  if (!(k >= 0 && k < C)) { ${y}.fill(0, base, end); continue; }
  let m = -Infinity;
  for (let q = base; q < end; q++) { const v = ${x}[q]; if (v > m) m = v; }
  let s = 0;
  for (let q = base; q < end; q++) s += Math.exp(${x}[q] - m);
  const gs = ${g}[r] / s;
  for (let q = base; q < end; q++) ${y}[q] = Math.exp(${x}[q] - m) * gs;
  ${y}[base + k] -= ${g}[r];
}`;
    },
  },
};
