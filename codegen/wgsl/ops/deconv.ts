/**
 * The WGSL renderers of the ops of compiler/ops/deconv.ts: conv2d_transpose
 * is conv2d_backprop_input with inputSize = its output extent.
 */
import { convAttrs, deconvProblem } from '../../../compiler/ops/deconv.js';
import type { OpTable } from '../../../compiler/ops/index.js';
import type { WgslRenderer } from '../types.js';
import { convWgslRenderers } from './conv.js';

/** op name -> WGSL renderer */
export const deconvWgslRenderers: OpTable<WgslRenderer> = {
  conv2d_transpose: {
    kernel(ctx) {
      const { p } = deconvProblem(
        ctx.node.inputs.map((v) => v.type),
        ctx.attrs,
      );
      return convWgslRenderers.conv2d_backprop_input!.kernel!({ ...ctx, attrs: { ...convAttrs(p), inputSize: [p.OH, p.OW] } });
    },
    fuses: convWgslRenderers.conv2d_backprop_input!.fuses,
  },
};
