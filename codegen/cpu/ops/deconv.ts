/**
 * The CPU renderers of the ops of compiler/ops/deconv.ts: conv2d_transpose
 * is conv2d_backprop_input with inputSize = its output extent.
 */
import { convAttrs, deconvProblem } from '../../../compiler/ops/deconv.js';
import type { OpTable } from '../../../compiler/ops/index.js';
import type { CpuRenderer } from '../types.js';
import { convCpuRenderers } from './conv.js';

/** op name -> CPU renderer */
export const deconvCpuRenderers: OpTable<CpuRenderer> = {
  conv2d_transpose: {
    kernel(ctx) {
      const { p } = deconvProblem(
        ctx.node.inputs.map((v) => v.type),
        ctx.attrs,
      );
      // conv2d_backprop_input(dy = x, w) with inputSize = this op's output extent
      return convCpuRenderers.conv2d_backprop_input!.kernel!({ ...ctx, attrs: { ...convAttrs(p), inputSize: [p.OH, p.OW] } });
    },
  },
};
