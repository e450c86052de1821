/**
 * The gpu.js renderers of the ops of compiler/ops/random-normal.ts.
 */
import { randomNormalGpujs } from './random.js';
import type { OpTable } from '../../../compiler/ops/index.js';
import type { GpujsRenderer } from '../types.js';

/** op name -> gpu.js renderer */
export const randomNormalGpujsRenderers: OpTable<GpujsRenderer> = {
  random_normal: {
    kernel: randomNormalGpujs,
  },
};
