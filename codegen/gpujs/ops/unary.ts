/**
 * The gpu.js renderers of the ops of compiler/ops/unary.ts.
 */
import type { Attrs, DType } from '../../../compiler/ir.js';
import { num } from '../../cpu/util.js';
import { alphaOf, castTarget } from '../../../compiler/ops/unary.js';
import type { OpTable } from '../../../compiler/ops/index.js';
import type { GpujsRenderer } from '../types.js';

/** a unary op's renderer from its gpu.js scalar expression, where the JS one uses what gpu.js cannot compile (operands are floats; bool 0/1) */
const unary = (gpujs: (x: string, attrs: Attrs, dtype: DType) => string): GpujsRenderer => ({ scalar: (args, attrs, dtypes) => gpujs(args[0], attrs, dtypes[0] ?? 'f32') });

/** op name -> gpu.js renderer */
export const unaryGpujsRenderers: OpTable<GpujsRenderer> = {
  softplus: unary((x) => `(Math.max(${x}, 0) + Math.log(1 + Math.exp(-Math.abs(${x}))))`),
  elu: unary((x, a) => `(${x} > 0 ? ${x} : ${num(alphaOf(a, 1))} * (Math.exp(${x}) - 1))`),
  cast: unary((x, attrs) => {
    const to = castTarget(attrs);
    return to === 'f32' ? `(${x})` : to === 'i32' ? `(${x} < 0 ? Math.ceil(${x}) : Math.floor(${x}))` : `(${x} !== 0 ? 1 : 0)`;
  }),
  logical_not: unary((x) => `(${x} !== 0 ? 0 : 1)`),
};
