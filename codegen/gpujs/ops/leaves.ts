/**
 * The gpu.js renderers of the ops of compiler/ops/leaves.ts.
 */
import { gpujsNum } from '../util.js';
import type { DType } from '../../../compiler/ir.js';
import type { OpTable } from '../../../compiler/ops/index.js';
import type { GpujsRenderer } from '../types.js';

/** op name -> gpu.js renderer */
export const leavesGpujsRenderers: OpTable<GpujsRenderer> = {
  const: {
    kernel: (ctx) => {
      const dtype = ctx.attrs.dtype as DType;
      const data = ctx.attrs.data as number[] | undefined;
      const conv = (v: number) => (dtype === 'f32' ? Math.fround(v) : dtype === 'i32' ? v | 0 : v !== 0 ? 1 : 0);
      if (!data) return `return ${gpujsNum(conv(Number(ctx.attrs.value)), dtype)};`;
      return { body: 'return d0[i];', data: [data.map(conv)] };
    },
  },
};
