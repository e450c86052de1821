/**
 * The CPU renderers of the ops of compiler/ops/leaves.ts.
 */
import type { OpTable } from '../../../compiler/ops/index.js';
import type { CpuRenderer } from '../types.js';

/** op name -> CPU renderer */
export const leavesCpuRenderers: OpTable<CpuRenderer> = {
  const: {
    kernel: (ctx) => {
      const data = ctx.attrs.data as number[] | undefined;
      if (data) return `${ctx.out[0]}.set(${JSON.stringify(data)});`;
      return `${ctx.out[0]}.fill(${Number(ctx.attrs.value)});`;
    },
  },
};
