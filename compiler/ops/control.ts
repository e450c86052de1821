/**
 * Ops that steer autodiff rather than compute.
 *
 * stop_gradient(x) = x in the forward pass; it has no `grad` rule, so the
 * autodiff pass sends no gradient to its input (passes/autodiff.ts skips ops
 * without one): parameters reached only through a stop_gradient are not
 * updated by that loss (a GAN's discriminator step on a generated image, a
 * DQN target). Elementwise, so fusion folds it into its neighbours for free.
 */
import type { OpDef } from './types.js';
import { expectArity } from './kernel-util.js';

export const stop_gradient: OpDef = {
  name: 'stop_gradient',
  kind: 'elementwise',
  doc: 'y = x; no gradient flows back to x',
  arity: 1,
  attrNames: [],
  infer(inputs) {
    expectArity('stop_gradient', inputs, 1);
    return [{ dtype: inputs[0].dtype, shape: [...inputs[0].shape] }];
  },
  reference(inputs) {
    const x = inputs[0];
    return [{ dtype: x.dtype, shape: [...x.shape], data: x.data.slice() }];
  },
  samples: [{ inputs: [{ shape: [2, 3] }] }, { inputs: [{ shape: [4], dtype: 'i32' }], note: 'i32' }],
};
