/**
 * In-graph randomness that is reproducible on every backend.
 *
 * random_uniform(step f32[], seed f32[]) attrs shape (may hold symbolic dims),
 * salt (an int32, e.g. a hash of the layer path) -> f32[shape] in [0, 1).
 *
 * A counter-based generator: no state, element i is a pure function of
 * (seed, step, salt, i), computed with 32-bit integer math (Math.imul and
 * shifts, the murmur3 finaliser as the mixing function):
 *   mix(h)  = h ^= h >>> 16; h *= 0x85ebca6b; h ^= h >>> 13; h *= 0xc2b2ae35; h ^= h >>> 16
 *   key     = mix(mix(mix(seed ^ 0x3c6ef372) ^ step) ^ salt)
 *   u[i]    = (mix(key + i * 0x9e3779b9) >>> 8) / 2^24
 * seed and step are truncated to int32 (`| 0`). u has 24 bits, so it is
 * exact in f32 and the reference and the kernels agree bit for bit.
 * Kind 'opaque' and no gradient: the draw is a constant of the step.
 */
import { evalShape, shapeToString, type Dim } from '../dims.js';
import { ShapeError, type OpDef } from './types.js';
import { refTensor } from './util.js';
import { expectArity, numAttr } from './kernel-util.js';

function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

/** The per-draw key of (seed, step, salt). */
export function randomKey(seed: number, step: number, salt: number): number {
  return mix(mix(mix((seed | 0) ^ 0x3c6ef372) ^ (step | 0)) ^ (salt | 0));
}

/** Element i of a draw with key `key`, in [0, 1). */
export function randomAt(key: number, i: number): number {
  return (mix((key + Math.imul(i, 0x9e3779b9)) | 0) >>> 8) / 16777216;
}

/** A 32-bit salt from a string (FNV-1a), for layers: salt = saltOf(layerPath). */
export function saltOf(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

export const random_uniform: OpDef = {
  name: 'random_uniform',
  kind: 'opaque',
  doc: 'uniform [0, 1) of attrs.shape from a counter-based hash of (seed, step, attrs.salt, index); inputs step f32[], seed f32[]',
  arity: 2,
  attrNames: ['shape', 'salt'],
  infer(inputs, attrs) {
    expectArity('random_uniform', inputs, 2);
    inputs.forEach((t, k) => {
      if (t.dtype !== 'f32' || t.shape.length !== 0)
        throw new ShapeError(`random_uniform: input ${k} (${k === 0 ? 'step' : 'seed'}) must be an f32 scalar, got ${t.dtype}${shapeToString(t.shape)}`, 'DNN0018');
    });
    const shape = attrs.shape;
    if (!Array.isArray(shape)) throw new ShapeError(`random_uniform: needs the attribute shape`, 'DNN0022');
    const salt = numAttr(attrs, 'salt', 0);
    if (!Number.isInteger(salt)) throw new ShapeError(`random_uniform: salt must be an integer, got ${salt}`, 'DNN0022');
    return [{ dtype: 'f32', shape: [...(shape as Dim[])] }];
  },
  reference(inputs, attrs, dims) {
    const [step, seed] = inputs;
    const shape = evalShape(attrs.shape as Dim[], dims);
    const out = refTensor('f32', shape);
    const key = randomKey(seed.data[0], step.data[0], numAttr(attrs, 'salt', 0));
    for (let i = 0; i < out.data.length; i++) out.data[i] = randomAt(key, i);
    return [out];
  },
  samples: [
    { inputs: [{ shape: [], range: [1, 100] }, { shape: [], range: [0, 1000] }], attrs: { shape: [3, 5], salt: 12345 } },
    { inputs: [{ shape: [], range: [1, 100] }, { shape: [], range: [-50, 50] }], attrs: { shape: [2, 3, 4], salt: -7 } },
  ],
};
