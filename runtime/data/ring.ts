/**
 * `ring(split: train|validation|test, size: 8000 | 2000, modes: 8, radius: 2, std: 0.05, seed: 1)`:
 * points drawn from a mixture of `modes` Gaussians whose centres sit evenly
 * on a circle, the classic test of whether a GAN covers every mode or
 * collapses onto a few.
 *
 * - Mode k (0-based) is centred at radius · (cos 2πk/modes, sin 2πk/modes);
 *   each point picks a mode uniformly, then adds N(0, std²) to each coordinate.
 * - Fields: `point` f32[2] (x, y) and `mode` i32[] (which Gaussian drew it).
 * - A pure function of its arguments; train and test come from separate streams.
 * - `ringCentres(modes, radius)` gives the centres, for scoring generated samples.
 */
import type { Dataset } from '../types.js';
import { DatasetError } from './errors.js';
import { Rng } from './random.js';
import { SPLIT_STREAM, splitOf, type Split } from './splits.js';

export interface RingOptions {
  split: Split;
  size?: number;
  modes?: number;
  radius?: number;
  std?: number;
  seed?: number;
}

export function ringCentres(modes = 8, radius = 2): [number, number][] {
  return Array.from({ length: modes }, (_, k) => [radius * Math.cos((2 * Math.PI * k) / modes), radius * Math.sin((2 * Math.PI * k) / modes)] as [number, number]);
}

export function ring(options: RingOptions): Dataset {
  const split = splitOf(options.split, 'ring');
  const size = options.size ?? (split === 'train' ? 8000 : 2000);
  const modes = options.modes ?? 8;
  const radius = options.radius ?? 2;
  const std = options.std ?? 0.05;
  const seed = options.seed ?? 1;
  if (!Number.isInteger(size) || size < 1) throw new DatasetError(`ring: size must be a positive integer, got ${size}`);
  if (!Number.isInteger(modes) || modes < 1) throw new DatasetError(`ring: modes must be a positive integer, got ${modes}`);
  if (!(radius > 0) || !Number.isFinite(radius)) throw new DatasetError(`ring: radius must be a positive number, got ${radius}`);
  if (!(std >= 0) || !Number.isFinite(std)) throw new DatasetError(`ring: std must be a number >= 0, got ${std}`);
  if (!Number.isInteger(seed) || seed < 0) throw new DatasetError(`ring: seed must be a non-negative integer, got ${seed}`);

  const rng = new Rng(seed * 1_000_003 + 8_191 + SPLIT_STREAM[split]);
  const centres = ringCentres(modes, radius);
  const point = new Float32Array(size * 2);
  const mode = new Int32Array(size);
  for (let i = 0; i < size; i++) {
    const k = rng.int(modes);
    mode[i] = k;
    point[2 * i] = centres[k][0] + std * rng.normal();
    point[2 * i + 1] = centres[k][1] + std * rng.normal();
  }
  const args = `${split}${modes !== 8 ? `, modes: ${modes}` : ''}${std !== 0.05 ? `, std: ${std}` : ''}`;
  return {
    name: `ring(${args})`,
    size,
    fields: {
      point: { dtype: 'f32', sampleShape: [2], data: point },
      mode: { dtype: 'i32', sampleShape: [], data: mode },
    },
  };
}
