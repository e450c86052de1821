/**
 * The WGSL renderers of the ops of compiler/ops/leaves.ts.
 */
import { dimProduct } from '../../../compiler/dims.js';
import { wgslNum, wgslPerElement, wgslStorageType, wgslStore } from '../util.js';
import type { DType } from '../../../compiler/ir.js';
import type { OpTable } from '../../../compiler/ops/index.js';
import type { WgslRenderer } from '../types.js';

/** op name -> WGSL renderer */
export const leavesWgslRenderers: OpTable<WgslRenderer> = {
  const: {
    fuses: { store: true },
    kernel: (ctx) => {
      const dtype = ctx.attrs.dtype as DType;
      const T = wgslStorageType(dtype);
      const lit = (v: number) => wgslStore(wgslNum(dtype === 'bool' ? Number(v !== 0) : v, dtype), dtype);
      const data = ctx.attrs.data as number[] | undefined;
      const total = dimProduct(ctx.outDims[0]);
      if (!data) return wgslPerElement(total, ctx.store(0, 'idx', `${T}(${lit(Number(ctx.attrs.value))})`));
      return {
        ...wgslPerElement(total, ctx.store(0, 'idx', 'DATA[idx]')),
        decls: `var<private> DATA: array<${T}, ${data.length}> = array<${T}, ${data.length}>(${data.map((v) => `${T}(${lit(v)})`).join(', ')});`,
      };
    },
  },
};
