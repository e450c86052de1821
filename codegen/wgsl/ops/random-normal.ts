/**
 * The WGSL renderers of the ops of compiler/ops/random-normal.ts.
 */
import { randomNormalWgsl } from './random.js';
import type { OpTable } from '../../../compiler/ops/index.js';
import type { WgslRenderer } from '../types.js';

/** op name -> WGSL renderer */
export const randomNormalWgslRenderers: OpTable<WgslRenderer> = {
  random_normal: {
    kernel: randomNormalWgsl,
    fuses: { load: true, store: true },
  },
};
