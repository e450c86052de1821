/**
 * Seeded parameter initialisation.
 *
 * PRNG: mulberry32 (32-bit state, period 2^32), seeded per tensor with
 * hash32(seed, path): FNV-1a over the UTF-16 code units of the path, mixed
 * with the seed through the murmur3 finaliser. Each tensor has its own
 * stream, so adding or renaming one parameter never changes the others, and
 * the same seed gives the same weights on every backend and platform.
 *
 * Distributions (float64, stored as float32):
 *   uniform(a, b)  a + (b - a) * u,  u = next() / 2^32 in [0, 1)
 *   normal(0, s)   Box-Muller: s * sqrt(-2 ln(1 - u1)) * cos(2 pi u2), one
 *                  value per pair of draws (no cached second value)
 *
 * Initialisers (InitSpec.kind):
 *   zeros, ones, constant(value)
 *   normal(std = 0.05), uniform(limit = 0.05): U(-limit, limit)
 *   he_normal: std sqrt(2 / fanIn)           he_uniform: limit sqrt(6 / fanIn)
 *   glorot_normal: std sqrt(2 / (fanIn + fanOut))
 *   glorot_uniform: limit sqrt(6 / (fanIn + fanOut))
 * Fans default from the shape: fanOut = last dim, fanIn = product of the
 * others (rank 1: fanIn = fanOut = the dim).
 */
import type { InitSpec } from '../compiler/ir.js';
import type { DType, TypedArray } from './types.js';

/** 32-bit hash of a string and a seed. */
export function hash32(seed: number, s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= Math.imul(seed | 0, 0x9e3779b1);
  h ^= seed / 0x100000000 | 0; // high bits of seeds beyond 32 bits
  // murmur3 fmix32
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** mulberry32: returns a function giving uint32 values. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** A seeded stream of uniform [0, 1) and normal draws. */
export class Rng {
  private next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  static forPath(seed: number, path: string): Rng {
    return new Rng(hash32(seed, path));
  }
  uniform(): number {
    return this.next() / 4294967296;
  }
  normal(): number {
    const u1 = this.uniform();
    const u2 = this.uniform();
    return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
  }
}

export function arrayFor(dtype: DType, n: number): TypedArray {
  return dtype === 'f32' ? new Float32Array(n) : dtype === 'i32' ? new Int32Array(n) : new Uint8Array(n);
}

function fans(spec: InitSpec, shape: readonly number[]): { fanIn: number; fanOut: number } {
  const last = shape.length ? shape[shape.length - 1] : 1;
  const rest = shape.length > 1 ? shape.slice(0, -1).reduce((a, b) => a * b, 1) : last;
  return { fanIn: spec.fanIn ?? rest, fanOut: spec.fanOut ?? last };
}

/** Fill a new tensor of `shape` according to `spec`, drawing from a stream seeded by (seed, path). */
export function initTensor(spec: InitSpec, dtype: DType, shape: readonly number[], seed: number, path: string): TypedArray {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = arrayFor(dtype, n);
  const rng = Rng.forPath(seed, path);
  const { fanIn, fanOut } = fans(spec, shape);
  const fillUniform = (limit: number) => {
    for (let i = 0; i < n; i++) out[i] = (2 * rng.uniform() - 1) * limit;
  };
  const fillNormal = (std: number) => {
    for (let i = 0; i < n; i++) out[i] = std * rng.normal();
  };
  switch (spec.kind) {
    case 'zeros':
      break;
    case 'ones':
      out.fill(1);
      break;
    case 'constant':
      out.fill(spec.value ?? 0);
      break;
    case 'normal':
      fillNormal(spec.std ?? 0.05);
      break;
    case 'uniform':
      fillUniform(spec.limit ?? 0.05);
      break;
    case 'he_normal':
      fillNormal(Math.sqrt(2 / fanIn));
      break;
    case 'he_uniform':
      fillUniform(Math.sqrt(6 / fanIn));
      break;
    case 'glorot_normal':
      fillNormal(Math.sqrt(2 / (fanIn + fanOut)));
      break;
    case 'glorot_uniform':
      fillUniform(Math.sqrt(6 / (fanIn + fanOut)));
      break;
    default:
      throw new Error(`unknown initialiser '${(spec as InitSpec).kind}' for '${path}'`);
  }
  return out;
}
