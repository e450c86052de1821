/**
 * The WGSL renderers of the ops of compiler/ops/xent.ts.
 */
import { dimProduct } from '../../../compiler/dims.js';
import { wgslMul, wgslNum } from '../util.js';
import { RED_WG, wgslTree } from './reduce.js';
import type { OpTable } from '../../../compiler/ops/index.js';
import type { WgslRenderer } from '../types.js';

/** WGSL: one workgroup per row `o` (rows `rows`, C classes): `m` the row max, `total` the sum of exp(x - m), both uniform. */
function rowStats(x: (index: string) => string, C: string, rows: string): string {
  return `let o = wg;
let valid = o < ${rows};
let base = o * ${C};
var acc = ${wgslNum(-Infinity)};
for (var r = li; r < ${C}; r = r + ${RED_WG}u) { if (valid) { acc = max(acc, ${x('base + r')}); } }
red[li] = acc;
${wgslTree((a, b) => `max(${a}, ${b})`)}
let m = red[0];
workgroupBarrier();
var se = 0.0;
for (var r = li; r < ${C}; r = r + ${RED_WG}u) { if (valid) { se = se + exp(${x('base + r')} - m); } }
red[li] = se;
${wgslTree((a, b) => `${a} + ${b}`)}
let total = red[0];`;
}

/** op name -> WGSL renderer */
export const xentWgslRenderers: OpTable<WgslRenderer> = {
  softmax_cross_entropy: {
    fuses: { load: true, store: true },
    kernel(ctx) {
      const x = (at: string) => ctx.load(0, at);
      const C = ctx.inShape[0][ctx.inShape[0].length - 1];
      const rows = wgslMul(ctx.inShape[1]);
      return {
        decls: `var<workgroup> red: array<f32, ${RED_WG}>;`,
        body: `${rowStats(x, C, rows)}
if (li == 0u && valid) {
  let k = ${ctx.load(1, 'o')};
  var loss = 0.0;
  if (k >= 0 && u32(k) < ${C}) { loss = m + log(total) - ${x('base + u32(k)')}; }
  ${ctx.store(0, 'o', 'loss')}
}`,
        workgroupSize: [RED_WG],
        workgroups: [{ items: dimProduct(ctx.inDims[1].length ? ctx.inDims[1] : [1]), per: 1 }],
      };
    },
  },
  softmax_cross_entropy_grad: {
    fuses: { load: true, store: true },
    kernel(ctx) {
      const x = (at: string) => ctx.load(1, at);
      const C = ctx.inShape[1][ctx.inShape[1].length - 1];
      const rows = wgslMul(ctx.inShape[2]);
      return {
        decls: `var<workgroup> red: array<f32, ${RED_WG}>;`,
        body: `${rowStats(x, C, rows)}
if (valid) {
  let k = ${ctx.load(2, 'o')};
  let hit = k >= 0 && u32(k) < ${C};
  let gr = ${ctx.load(0, 'o')};
  for (var r = li; r < ${C}; r = r + ${RED_WG}u) {
    var d = 0.0;
    if (hit) { d = gr * (exp(${x('base + r')} - m) / total - select(0.0, 1.0, r == u32(k))); }
    ${ctx.store(0, 'base + r', 'd')}
  }
}`,
        workgroupSize: [RED_WG],
        workgroups: [{ items: dimProduct(ctx.inDims[2].length ? ctx.inDims[2] : [1]), per: 1 }],
      };
    },
  },
};
