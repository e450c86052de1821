/**
 * The CPU renderers of the ops of compiler/ops/count.ts.
 */
import { dimToJs } from '../../../compiler/dims.js';
import { countOf } from '../../../compiler/ops/count.js';
import type { OpTable } from '../../../compiler/ops/index.js';
import type { CpuRenderer } from '../types.js';

/** op name -> CPU renderer */
export const countCpuRenderers: OpTable<CpuRenderer> = {
  element_count: {
    scalar: (_args, attrs) => `(${dimToJs(countOf(attrs), 'dims')})`,
  },
};
