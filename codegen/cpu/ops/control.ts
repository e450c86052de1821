/**
 * The CPU renderers of the ops of compiler/ops/control.ts.
 */
import type { OpTable } from '../../../compiler/ops/index.js';
import type { CpuRenderer } from '../types.js';

/** op name -> CPU renderer */
export const controlCpuRenderers: OpTable<CpuRenderer> = {
  stop_gradient: {
    scalar: (args) => args[0],
  },
};
