/**
 * The WGSL renderers of the ops of compiler/ops/control.ts.
 */
import type { OpTable } from '../../../compiler/ops/index.js';
import type { WgslRenderer } from '../types.js';

/** op name -> WGSL renderer */
export const controlWgslRenderers: OpTable<WgslRenderer> = {
  stop_gradient: {
    scalar: (args) => args[0],
  },
};
