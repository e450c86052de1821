/**
 * The gpu.js renderers of the ops of compiler/ops/xent.ts.
 */
import { gpujsDim, gpujsIdiv, gpujsNum } from '../util.js';
import type { OpTable } from '../../../compiler/ops/index.js';
import type { GpujsRenderer } from '../types.js';

/** gpu.js: the row max `m` and the sum `s` of exp(x - m) over the row at `base`. */
function gpujsRowStats(x: string, C: string): string {
  return `let m = ${gpujsNum(-Infinity)};
for (let r = 0; r < ${C}; r++) {
const v = ${x}[base + r];
m = v > m ? v : m;
}
let s = 0;
for (let r = 0; r < ${C}; r++) {
s = s + Math.exp(${x}[base + r] - m);
}`;
}

/** op name -> gpu.js renderer */
export const xentGpujsRenderers: OpTable<GpujsRenderer> = {
  softmax_cross_entropy: {
    kernel(ctx) {
      const [x, label] = ctx.in;
      const C = gpujsDim(ctx.inDims[0][ctx.inDims[0].length - 1]);
      return `const base = i * ${C};
${gpujsRowStats(x, C)}
const k = ${label}[i];
if (k >= 0 && k < ${C}) {
  return m + Math.log(s) - ${x}[base + k];
}
return 0;`;
    },
  },
  softmax_cross_entropy_grad: {
    kernel(ctx) {
      const [g, x, label] = ctx.in;
      const C = gpujsDim(ctx.inDims[1][ctx.inDims[1].length - 1]);
      return `const row = ${gpujsIdiv('i', C)};
const c = i - row * ${C};
const base = row * ${C};
const k = ${label}[row];
if (k >= 0 && k < ${C}) {
${gpujsRowStats(x, C)}
const hot = c === k ? 1 : 0;
return ${g}[row] * (Math.exp(${x}[i] - m) / s - hot);
}
return 0;`;
    },
  },
};
