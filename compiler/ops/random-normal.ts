/**
 * Standard-normal draws on the counter-based generator of random.ts:
 *
 * random_normal(step f32[], seed f32[]) attrs shape (may hold symbolic dims),
 * salt (an int32), mean (0), std (1) -> f32[shape].
 *
 * Box–Muller on two uniforms of the same keyed stream as random_uniform:
 *   key  = randomKey(seed, step, salt)
 *   u1   = randomAt(key, 2 i), u2 = randomAt(key, 2 i + 1)      (24-bit, in [0, 1))
 *   z[i] = mean + std * sqrt(-2 ln(1 - u1)) * cos(2 pi u2)
 * 1 - u1 is in (0, 1], so the logarithm is finite (|z| <= sqrt(-2 ln 2^-24) ~ 5.77).
 * The reference and the CPU kernel evaluate the same float64 expression
 * (Math.log, Math.sqrt, Math.cos), so they agree up to the final f32 rounding.
 * Kind 'opaque' and no gradient: the draw is a constant of the step.
 */
import { evalShape, shapeToString, type Dim } from '../dims.js';
import { randomAt, randomKey } from './random.js';
import { ShapeError, type OpDef } from './types.js';
import { refTensor } from './util.js';
import { expectArity, numAttr } from './kernel-util.js';

export const TWO_PI = 2 * Math.PI;

/** Element i of a standard-normal draw with key `key`. */
export function normalAt(key: number, i: number): number {
  const u1 = randomAt(key, 2 * i);
  const u2 = randomAt(key, 2 * i + 1);
  return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(TWO_PI * u2);
}

export const random_normal: OpDef = {
  name: 'random_normal',
  kind: 'opaque',
  doc: 'normal(mean, std) of attrs.shape by Box-Muller on the counter-based hash of (seed, step, attrs.salt, index); inputs step f32[], seed f32[]',
  arity: 2,
  attrNames: ['shape', 'salt', 'mean', 'std'],
  infer(inputs, attrs) {
    expectArity('random_normal', inputs, 2);
    inputs.forEach((t, k) => {
      if (t.dtype !== 'f32' || t.shape.length !== 0)
        throw new ShapeError(`random_normal: input ${k} (${k === 0 ? 'step' : 'seed'}) must be an f32 scalar, got ${t.dtype}${shapeToString(t.shape)}`, 'DNN0018');
    });
    const shape = attrs.shape;
    if (!Array.isArray(shape)) throw new ShapeError(`random_normal: needs the attribute shape`, 'DNN0022');
    const salt = numAttr(attrs, 'salt', 0);
    if (!Number.isInteger(salt)) throw new ShapeError(`random_normal: salt must be an integer, got ${salt}`, 'DNN0022');
    const std = numAttr(attrs, 'std', 1);
    if (!(std >= 0) || !Number.isFinite(numAttr(attrs, 'mean', 0))) throw new ShapeError(`random_normal: needs a finite mean and std >= 0, got std ${std}`, 'DNN0022');
    return [{ dtype: 'f32', shape: [...(shape as Dim[])] }];
  },
  reference(inputs, attrs, dims) {
    const [step, seed] = inputs;
    const shape = evalShape(attrs.shape as Dim[], dims);
    const out = refTensor('f32', shape);
    const key = randomKey(seed.data[0], step.data[0], numAttr(attrs, 'salt', 0));
    const mean = numAttr(attrs, 'mean', 0);
    const std = numAttr(attrs, 'std', 1);
    for (let i = 0; i < out.data.length; i++) out.data[i] = mean + std * normalAt(key, i);
    return [out];
  },
  samples: [
    { inputs: [{ shape: [], range: [1, 100] }, { shape: [], range: [0, 1000] }], attrs: { shape: [3, 5], salt: 12345 } },
    { inputs: [{ shape: [], range: [1, 100] }, { shape: [], range: [-50, 50] }], attrs: { shape: [2, 3, 4], salt: -7, mean: 0.5, std: 2 } },
  ],
};
