/**
 * WGSL kernels of the counter-based random ops (compiler/ops/random.ts,
 * random-normal.ts), one thread per element. The hash is 32-bit integer math
 * (xor, shifts, wrapping multiplies) and maps one to one onto WGSL u32, so
 * the uniform draws are bit-identical to the reference:
 *   mix(h)  = h ^= h >> 16; h *= 0x85ebca6b; h ^= h >> 13; h *= 0xc2b2ae35; h ^= h >> 16
 *   key     = mix(mix(mix(i32(seed) ^ 0x3c6ef372) ^ i32(step)) ^ salt)
 *   u[i]    = f32(mix(key + i * 0x9e3779b9) >> 8) / 2^24          (24 bits: exact in f32)
 * (`| 0` in JS and i32() in WGSL both truncate toward zero.)
 * random_normal is Box–Muller on u1 = u[2i], u2 = u[2i + 1] in f32:
 *   z = mean + std * sqrt(-2 ln(1 - u1)) * cos(2π u2)
 * with ln and cos of our own (MATH_DECL), accurate to ~1e-7 on every driver.
 */
import { dimProduct } from '../../../compiler/dims.js';
import { numAttr } from '../../../compiler/ops/kernel-util.js';
import { wgslNum, wgslPerElement } from '../util.js';
import type { WgslKernel, WgslKernelContext } from '../types.js';
import type { OpTable } from '../../../compiler/ops/index.js';
import type { WgslRenderer } from '../types.js';

const MIX_DECL = `fn mix32(x: u32) -> u32 {
  var h = x;
  h = h ^ (h >> 16u);
  h = h * 0x85ebca6bu;
  h = h ^ (h >> 13u);
  h = h * 0xc2b2ae35u;
  h = h ^ (h >> 16u);
  return h;
}
fn drawKey(step: f32, seed: f32, salt: u32) -> u32 {
  return mix32(mix32(mix32(bitcast<u32>(i32(seed)) ^ 0x3c6ef372u) ^ bitcast<u32>(i32(step))) ^ salt);
}
fn uniformAt(key: u32, i: u32) -> f32 {
  return f32(mix32(key + i * 0x9e3779b9u) >> 8u) / 16777216.0;
}`;

/**
 * ln and cos in plain f32 arithmetic, so the draws do not depend on the
 * driver's log/cos (WGSL allows cos an absolute error of 2^-11; SwiftShader's
 * differed from float64 by 3e-4 in z):
 *  lnUnit(x), x in (0, 1]: x = m 2^e with m in [sqrt(1/2), sqrt(2)),
 *    ln x = e ln 2 + 2 atanh(s), s = (m - 1) / (m + 1), |s| < 0.172 (series to s^9, error < 1e-9);
 *  cosTurns(t) = cos(2π t), t in [0, 1): quadrant q = round(4t), r = t - q/4 in [-1/8, 1/8]
 *    (exact: t has 24 bits), a = 2π r in [-π/4, π/4], then the Taylor series of cos a / sin a.
 */
const MATH_DECL = `fn lnUnit(x: f32) -> f32 {
  let fe = frexp(x);
  var m = fe.fract;
  var e = f32(fe.exp);
  if (m < 0.70710678) { m = m * 2.0; e = e - 1.0; }
  let s = (m - 1.0) / (m + 1.0);
  let s2 = s * s;
  let p = s * (2.0 + s2 * (0.6666666667 + s2 * (0.4 + s2 * (0.2857142857 + s2 * 0.2222222222))));
  return e * 0.693145752 + (e * 1.42860677e-6 + p);
}
fn cosTurns(t: f32) -> f32 {
  let q = round(4.0 * t);
  let a = 6.283185307179586 * (t - 0.25 * q);
  let a2 = a * a;
  let c = 1.0 + a2 * (-0.5 + a2 * (0.041666666667 + a2 * (-0.0013888888889 + a2 * 0.0000248015873)));
  let sn = a * (1.0 + a2 * (-0.16666666667 + a2 * (0.0083333333333 + a2 * (-0.0001984126984 + a2 * 0.0000027557319))));
  let k = u32(q) & 3u;
  return select(select(select(c, -sn, k == 1u), -c, k == 2u), sn, k == 3u);
}`;

const salt = (ctx: WgslKernelContext) => `${(numAttr(ctx.attrs, 'salt', 0) | 0) >>> 0}u`;

export function randomUniformWgsl(ctx: WgslKernelContext): WgslKernel {
  const body = [`let key = drawKey(${ctx.load(0, '0')}, ${ctx.load(1, '0')}, ${salt(ctx)});`, ctx.store(0, 'idx', 'uniformAt(key, idx)')];
  return { ...wgslPerElement(dimProduct(ctx.outDims[0]), body.join('\n')), decls: MIX_DECL };
}

export function randomNormalWgsl(ctx: WgslKernelContext): WgslKernel {
  const mean = numAttr(ctx.attrs, 'mean', 0);
  const std = numAttr(ctx.attrs, 'std', 1);
  const body = [
    `let key = drawKey(${ctx.load(0, '0')}, ${ctx.load(1, '0')}, ${salt(ctx)});`,
    `let r = sqrt(-2.0 * lnUnit(1.0 - uniformAt(key, 2u * idx)));`,
    ctx.store(0, 'idx', `${wgslNum(mean)} + ${wgslNum(std)} * (r * cosTurns(uniformAt(key, 2u * idx + 1u)))`),
  ];
  return { ...wgslPerElement(dimProduct(ctx.outDims[0]), body.join('\n')), decls: `${MIX_DECL}\n${MATH_DECL}` };
}

/** op name -> WGSL renderer */
export const randomWgslRenderers: OpTable<WgslRenderer> = {
  random_uniform: {
    kernel: randomUniformWgsl,
    fuses: { load: true, store: true },
  },
};
