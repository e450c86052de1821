/**
 * The webgpu backend's renderers: op name -> how to write that op in
 * WGSL. The op registry (compiler/ops) holds no backend code; whether this
 * backend supports an op is a lookup here.
 */
import type { OpName, OpTable } from '../../compiler/ops/index.js';
import type { WgslRenderer } from './types.js';
import { leavesWgslRenderers } from './ops/leaves.js';
import { unaryWgslRenderers } from './ops/unary.js';
import { binaryWgslRenderers } from './ops/binary.js';
import { reduceWgslRenderers } from './ops/reduce.js';
import { shapeWgslRenderers } from './ops/shape.js';
import { linalgWgslRenderers } from './ops/linalg.js';
import { convWgslRenderers } from './ops/conv.js';
import { poolWgslRenderers } from './ops/pool.js';
import { randomWgslRenderers } from './ops/random.js';
import { deconvWgslRenderers } from './ops/deconv.js';
import { resizeWgslRenderers } from './ops/resize.js';
import { randomNormalWgslRenderers } from './ops/random-normal.js';
import { controlWgslRenderers } from './ops/control.js';
import { sequenceWgslRenderers } from './ops/sequence.js';
import { xentWgslRenderers } from './ops/xent.js';
import { countWgslRenderers } from './ops/count.js';

export const wgslRenderers: OpTable<WgslRenderer> = {
  ...leavesWgslRenderers,
  ...unaryWgslRenderers,
  ...binaryWgslRenderers,
  ...reduceWgslRenderers,
  ...shapeWgslRenderers,
  ...linalgWgslRenderers,
  ...convWgslRenderers,
  ...poolWgslRenderers,
  ...randomWgslRenderers,
  ...deconvWgslRenderers,
  ...resizeWgslRenderers,
  ...randomNormalWgslRenderers,
  ...controlWgslRenderers,
  ...sequenceWgslRenderers,
  ...xentWgslRenderers,
  ...countWgslRenderers,
};

/** The renderer of an op, or undefined when this backend has none. */
export function wgslRenderer(op: string): WgslRenderer | undefined {
  return wgslRenderers[op as OpName];
}
