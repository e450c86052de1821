/**
 * The gpu.js renderers of the ops of compiler/ops/count.ts.
 */
import { gpujsDim } from '../util.js';
import { countOf } from '../../../compiler/ops/count.js';
import type { OpTable } from '../../../compiler/ops/index.js';
import type { GpujsRenderer } from '../types.js';

/** op name -> gpu.js renderer */
export const countGpujsRenderers: OpTable<GpujsRenderer> = {
  element_count: {
    scalar: (_args, attrs) => `(${gpujsDim(countOf(attrs))})`,
  },
};
