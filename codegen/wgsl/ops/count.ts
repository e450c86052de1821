/**
 * The WGSL renderers of the ops of compiler/ops/count.ts.
 */
import { wgslDim } from '../util.js';
import { countOf } from '../../../compiler/ops/count.js';
import type { OpTable } from '../../../compiler/ops/index.js';
import type { WgslRenderer } from '../types.js';

/** op name -> WGSL renderer */
export const countWgslRenderers: OpTable<WgslRenderer> = {
  element_count: {
    scalar: (_args, attrs) => `f32(${wgslDim(countOf(attrs))})`,
  },
};
