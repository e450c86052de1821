/**
 * The cpu backend's renderers: op name -> how to write that op in
 * CPU. The op registry (compiler/ops) holds no backend code; whether this
 * backend supports an op is a lookup here.
 */
import type { OpName, OpTable } from '../../compiler/ops/index.js';
import type { CpuRenderer } from './types.js';
import { leavesCpuRenderers } from './ops/leaves.js';
import { unaryCpuRenderers } from './ops/unary.js';
import { binaryCpuRenderers } from './ops/binary.js';
import { reduceCpuRenderers } from './ops/reduce.js';
import { shapeCpuRenderers } from './ops/shape.js';
import { linalgCpuRenderers } from './ops/linalg.js';
import { convCpuRenderers } from './ops/conv.js';
import { poolCpuRenderers } from './ops/pool.js';
import { randomCpuRenderers } from './ops/random.js';
import { deconvCpuRenderers } from './ops/deconv.js';
import { resizeCpuRenderers } from './ops/resize.js';
import { randomNormalCpuRenderers } from './ops/random-normal.js';
import { controlCpuRenderers } from './ops/control.js';
import { sequenceCpuRenderers } from './ops/sequence.js';
import { xentCpuRenderers } from './ops/xent.js';
import { countCpuRenderers } from './ops/count.js';

export const cpuRenderers: OpTable<CpuRenderer> = {
  ...leavesCpuRenderers,
  ...unaryCpuRenderers,
  ...binaryCpuRenderers,
  ...reduceCpuRenderers,
  ...shapeCpuRenderers,
  ...linalgCpuRenderers,
  ...convCpuRenderers,
  ...poolCpuRenderers,
  ...randomCpuRenderers,
  ...deconvCpuRenderers,
  ...resizeCpuRenderers,
  ...randomNormalCpuRenderers,
  ...controlCpuRenderers,
  ...sequenceCpuRenderers,
  ...xentCpuRenderers,
  ...countCpuRenderers,
};

/** The renderer of an op, or undefined when this backend has none. */
export function cpuRenderer(op: string): CpuRenderer | undefined {
  return cpuRenderers[op as OpName];
}
