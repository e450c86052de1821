/**
 * The gpu.js renderers of the ops of compiler/ops/sequence.ts.
 */
import { gpujsDim, gpujsIdiv, gpujsMul } from '../util.js';
import { iotaAxis } from '../../../compiler/ops/sequence.js';
import type { OpTable } from '../../../compiler/ops/index.js';
import type { GpujsRenderer } from '../types.js';

/** op name -> gpu.js renderer */
export const sequenceGpujsRenderers: OpTable<GpujsRenderer> = {
  gather: {
    kernel(ctx) {
      // one thread per output element; an out-of-range id is clamped (a kernel cannot throw)
      const [table, idx] = ctx.in;
      const [V, D] = ctx.inShape[0];
      return `const r = ${gpujsIdiv('i', D)};
const d = i - r * ${D};
const id = Math.min(Math.max(${idx}[r], 0), ${V} - 1);
return ${table}[id * ${D} + d];`;
    },
  },
  scatter_add: {
    kernel(ctx) {
      // one thread per table element: scan every index, adding in the CPU's order (no atomics)
      const [upd, idx] = ctx.in;
      const D = gpujsDim(ctx.outDims[0][1]);
      return `const r = ${gpujsIdiv('i', D)};
const d = i - r * ${D};
let acc = 0;
for (let k = 0; k < ${gpujsMul(ctx.inDims[1])}; k++) {
  const hit = Math.abs(${idx}[k] - r) < 0.5 ? 1 : 0;
  if (hit > 0) {
    acc = acc + ${upd}[k * ${D} + d];
  }
}
return acc;`;
    },
  },
  iota: {
    kernel(ctx) {
      const shape = ctx.outDims[0];
      const ax = iotaAxis(ctx.attrs, shape.length);
      const inner = gpujsMul(shape.slice(ax + 1));
      const size = gpujsDim(shape[ax]);
      return `const q = ${gpujsIdiv('i', inner)};
return q - ${gpujsIdiv('q', size)} * ${size};`;
    },
  },
};
