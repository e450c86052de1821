/**
 * The gpujs backend's renderers: op name -> how to write that op in
 * gpu.js. The op registry (compiler/ops) holds no backend code; whether this
 * backend supports an op is a lookup here. Elementwise ops without a gpu.js
 * scalar here use the CPU's scalar expression (codegen/cpu/renderers.ts).
 */
import type { OpName, OpTable } from '../../compiler/ops/index.js';
import type { GpujsRenderer } from './types.js';
import { leavesGpujsRenderers } from './ops/leaves.js';
import { unaryGpujsRenderers } from './ops/unary.js';
import { binaryGpujsRenderers } from './ops/binary.js';
import { reduceGpujsRenderers } from './ops/reduce.js';
import { shapeGpujsRenderers } from './ops/shape.js';
import { linalgGpujsRenderers } from './ops/linalg.js';
import { convGpujsRenderers } from './ops/conv.js';
import { poolGpujsRenderers } from './ops/pool.js';
import { randomGpujsRenderers } from './ops/random.js';
import { resizeGpujsRenderers } from './ops/resize.js';
import { randomNormalGpujsRenderers } from './ops/random-normal.js';
import { sequenceGpujsRenderers } from './ops/sequence.js';
import { xentGpujsRenderers } from './ops/xent.js';
import { countGpujsRenderers } from './ops/count.js';

export const gpujsRenderers: OpTable<GpujsRenderer> = {
  ...leavesGpujsRenderers,
  ...unaryGpujsRenderers,
  ...binaryGpujsRenderers,
  ...reduceGpujsRenderers,
  ...shapeGpujsRenderers,
  ...linalgGpujsRenderers,
  ...convGpujsRenderers,
  ...poolGpujsRenderers,
  ...randomGpujsRenderers,
  ...resizeGpujsRenderers,
  ...randomNormalGpujsRenderers,
  ...sequenceGpujsRenderers,
  ...xentGpujsRenderers,
  ...countGpujsRenderers,
};

/** The renderer of an op, or undefined when this backend has none. */
export function gpujsRenderer(op: string): GpujsRenderer | undefined {
  return gpujsRenderers[op as OpName];
}
