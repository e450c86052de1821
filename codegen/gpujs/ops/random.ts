/**
 * gpu.js kernels of the counter-based random ops (compiler/ops/random.ts,
 * random-normal.ts), one thread per element, bit-identical hashes to the
 * cpu reference although gpu.js has no integers (WebGL computes in float32
 * and gpu.js kernels may not use bitwise operators):
 *
 * A uint32 is held as two 16-bit limbs (hi, lo), floats holding integers
 * below 2^16; every step below keeps every intermediate an integer below
 * 2^24, so float32 computes it exactly (scaling by powers of two, floor,
 * + - * of small integers):
 *   - xor of two limbs: 16 rounds of bit extraction (b = a - 2 floor(a / 2),
 *     halving by * 0.5), bit = b1 + b2 - 2 b1 b2;
 *   - h >>> 16 is (0, hi); h >>> 13 is (floor(hi / 2^13), (hi mod 2^13) 2^3 + floor(lo / 2^13));
 *   - the wrapping multiply by a constant (Math.imul) is schoolbook on 8-bit
 *     digits: column sums below 4 * 2^16 + carry, 4 columns (the rest wraps);
 *   - the wrapping add carries from lo into hi and drops the carry out of hi;
 *   - `x | 0` of the f32 seed and step: trunc toward zero, limbs of |x| mod 2^32,
 *     negated in limbs (two's complement) when x < 0.
 * Then key = mix(mix(mix(seed ^ 0x3c6ef372) ^ step) ^ salt) and element i is
 * (mix(key + i * 0x9e3779b9) >>> 8) / 2^24 = (hi 2^8 + floor(lo / 2^8)) / 2^24,
 * exact in float32, equal to the cpu's value bit for bit (i < 2^24).
 *
 * random_normal: Box–Muller on u1 = u[2i], u2 = u[2i + 1] with ln and cos in
 * plain float arithmetic (as the WGSL kernel does: the GPU's log/cos are too
 * loose on some drivers): lnUnit(x) for x = 1 - u1 in (0, 1] by normalising
 * x = m 2^e (m in [sqrt(1/2), sqrt(2))) and the atanh series; cos(2π t) by
 * quadrant reduction and Taylor series. Agrees with the cpu's float64 to ~1e-7.
 *
 * The kernels are long (every thread recomputes the key: ~20 xors of 16
 * rounds) but branch-free apart from the loops, which have literal bounds.
 */
import { gpujsNum } from '../util.js';
import { numAttr } from '../../../compiler/ops/kernel-util.js';
import type { GpujsKernelContext } from '../types.js';
import type { OpTable } from '../../../compiler/ops/index.js';
import type { GpujsRenderer } from '../types.js';

/**
 * 2^-8 as a literal; other powers of two are products of it (and 0.03125):
 * the generator shortens literals of more than 9 digits (2^-16 has 12),
 * which would make them inexact in float64 (gpu.js's cpu mode).
 */
const P8 = '0.00390625';

/** the 16-bit limbs of a uint32 constant */
const limbs = (v: number): [number, number] => {
  const u = v >>> 0;
  return [Math.floor(u / 65536), u % 65536];
};

/**
 * The statement generator: a uint32 variable `v` is the pair of float
 * variables `v_h`, `v_l`. Scratch variables (xa, xb, xr, xp, ...) are declared
 * once by `decls`; gpu.js types a variable once, so every one is a float.
 */
class Limbs {
  lines: string[] = [];
  private vars = new Set<string>();

  decls(): string[] {
    return ['xa', 'xb', 'xr', 'xp', 'ea', 'eb', 'sa', 'sb'].map((v) => `let ${v} = 0.0;`);
  }

  /** declares uint32 `v` (two limbs) set to the limb expressions */
  let(v: string, hi: string, lo: string): void {
    if (this.vars.has(v)) {
      this.lines.push(`${v}_h = ${hi};`, `${v}_l = ${lo};`);
      return;
    }
    this.vars.add(v);
    this.lines.push(`let ${v}_h = ${hi};`, `let ${v}_l = ${lo};`);
  }

  /** `dst = a ^ b` for 16-bit limb expressions (dst a float variable) */
  xor16(dst: string, a: string, b: string): void {
    this.lines.push(
      `xa = ${a};`,
      `xb = ${b};`,
      'xr = 0.0;',
      'xp = 1.0;',
      'for (let k = 0; k < 16; k++) {',
      'ea = xa - 2.0 * Math.floor(xa * 0.5);',
      'eb = xb - 2.0 * Math.floor(xb * 0.5);',
      'xr = xr + xp * (ea + eb - 2.0 * ea * eb);',
      'xa = Math.floor(xa * 0.5);',
      'xb = Math.floor(xb * 0.5);',
      'xp = xp * 2.0;',
      '}',
      `${dst} = xr;`,
    );
  }

  /** `v ^= (hi, lo)` */
  xorWith(v: string, hi: string, lo: string): void {
    if (hi !== '0') this.xor16(`${v}_h`, `${v}_h`, hi);
    if (lo !== '0') this.xor16(`${v}_l`, `${v}_l`, lo);
  }

  /** `v = Math.imul(v, c)` for a constant c: schoolbook on 8-bit digits, the carries out of bit 32 dropped */
  mulConst(v: string, c: number): void {
    const u = c >>> 0;
    const cd = [u & 255, (u >>> 8) & 255, (u >>> 16) & 255, (u >>> 24) & 255];
    const L = this.lines;
    L.push(
      `ea = Math.floor(${v}_l * ${P8});`,
      `eb = Math.floor(${v}_h * ${P8});`,
      // digits h0..h3 of v
      `xa = ${v}_l - ea * 256.0;`,
      `xb = ${v}_h - eb * 256.0;`,
    );
    // digits: d0 = xa, d1 = ea, d2 = xb, d3 = eb
    const d = ['xa', 'ea', 'xb', 'eb'];
    const col = (k: number) => {
      const terms: string[] = [];
      for (let j = 0; j <= k; j++) if (cd[k - j] !== 0) terms.push(`${d[j]} * ${cd[k - j]}.0`);
      return terms.length ? terms.join(' + ') : '0.0';
    };
    // xr: running column value, xp: carry; results r0 + 256 r1 -> lo, r2 + 256 r3 -> hi
    L.push(
      `xr = ${col(0)};`,
      `xp = Math.floor(xr * ${P8});`,
      `${v}_l = xr - xp * 256.0;`,
      `xr = ${col(1)} + xp;`,
      `xp = Math.floor(xr * ${P8});`,
      `${v}_l = ${v}_l + (xr - xp * 256.0) * 256.0;`,
      `xr = ${col(2)} + xp;`,
      `xp = Math.floor(xr * ${P8});`,
      `${v}_h = xr - xp * 256.0;`,
      `xr = ${col(3)} + xp;`,
      `xp = Math.floor(xr * ${P8});`,
      `${v}_h = ${v}_h + (xr - xp * 256.0) * 256.0;`,
    );
  }

  /** the murmur3 finaliser on `v` */
  mix(v: string): void {
    // h ^= h >>> 16
    this.xor16(`${v}_l`, `${v}_l`, `${v}_h`);
    this.mulConst(v, 0x85ebca6b);
    // h ^= h >>> 13: shifted hi = floor(hi / 2^13), shifted lo = (hi mod 2^13) * 8 + floor(lo / 2^13)
    this.lines.push(`sa = Math.floor(${v}_h * ${P8} * 0.03125);`, `sb = (${v}_h - sa * 8192.0) * 8.0 + Math.floor(${v}_l * ${P8} * 0.03125);`);
    this.xor16(`${v}_h`, `${v}_h`, 'sa');
    this.xor16(`${v}_l`, `${v}_l`, 'sb');
    this.mulConst(v, 0xc2b2ae35);
    this.xor16(`${v}_l`, `${v}_l`, `${v}_h`);
  }

  /**
   * `v = x | 0` of a float input value x (as the limbs of the uint32 with
   * the same bits): trunc toward zero, |t| mod 2^32 in limbs, negated when x < 0.
   */
  fromInt32(v: string, x: string, tag: string): void {
    this.lines.push(
      `const ${tag}t = ${x} >= 0 ? Math.floor(${x}) : Math.floor(0.0 - ${x});`,
      `const ${tag}q = Math.floor(${tag}t * ${P8} * ${P8});`,
      `const ${tag}lo = ${tag}t - ${tag}q * 65536.0;`,
      `const ${tag}hi = ${tag}q - Math.floor(${tag}q * ${P8} * ${P8}) * 65536.0;`,
      // two's complement of (hi, lo) when negative and non-zero: (~hi, ~lo) + 1
      `const ${tag}neg = ${x} < 0 && (${tag}hi > 0 || ${tag}lo > 0) ? 1.0 : 0.0;`,
      `const ${tag}nl = ${tag}lo > 0 ? 65536.0 - ${tag}lo : 0.0;`,
      `const ${tag}nh = ${tag}lo > 0 ? 65535.0 - ${tag}hi : 65536.0 - ${tag}hi;`,
    );
    this.let(v, `${tag}neg > 0.5 ? ${tag}nh : ${tag}hi`, `${tag}neg > 0.5 ? ${tag}nl : ${tag}lo`);
  }

  /** `v = (key + idx * 0x9e3779b9) | 0` for a float index expression idx < 2^24 */
  counter(v: string, key: string, idx: string, tag: string): void {
    this.lines.push(`const ${tag}q = Math.floor(${idx} * ${P8} * ${P8});`);
    this.let(v, `${tag}q`, `${idx} - ${tag}q * 65536.0`);
    this.mulConst(v, 0x9e3779b9);
    this.lines.push(
      `xr = ${v}_l + ${key}_l;`,
      'xp = xr >= 65536.0 ? 1.0 : 0.0;',
      `${v}_l = xr - xp * 65536.0;`,
      `xr = ${v}_h + ${key}_h + xp;`,
      `${v}_h = xr >= 65536.0 ? xr - 65536.0 : xr;`,
    );
  }
}

/** Statements computing the draw key (limbs key_h, key_l) from the step and seed inputs. */
function keyOf(L: Limbs, ctx: GpujsKernelContext): void {
  const [step, seed] = ctx.in;
  const [sh, sl] = limbs(numAttr(ctx.attrs, 'salt', 0) | 0);
  const [ch, cl] = limbs(0x3c6ef372);
  L.fromInt32('key', `${seed}[0]`, 'sd');
  L.xorWith('key', `${ch}.0`, `${cl}.0`);
  L.mix('key');
  L.fromInt32('stp', `${step}[0]`, 'st');
  L.xorWith('key', 'stp_h', 'stp_l');
  L.mix('key');
  L.xorWith('key', sh ? `${sh}.0` : '0', sl ? `${sl}.0` : '0');
  L.mix('key');
}

/** Statements setting float `dst` to the uniform draw of index expression `idx`. */
function uniform(L: Limbs, idx: string, dst: string): void {
  L.counter('h', 'key', idx, `${dst}c`);
  L.mix('h');
  L.lines.push(`const ${dst} = (h_h * 256.0 + Math.floor(h_l * ${P8})) * ${P8} * ${P8} * ${P8};`);
}

export function randomUniformGpujs(ctx: GpujsKernelContext): string {
  const L = new Limbs();
  keyOf(L, ctx);
  uniform(L, 'i', 'u');
  return [...L.decls(), ...L.lines, 'return u;'].join('\n');
}

/**
 * ln(x) for x in (0, 1] and cos(2π t) for t in [0, 1), in plain float
 * arithmetic (see the header); x = 1 - u1 has 24 bits, so halving it into
 * [sqrt(1/2), sqrt(2)) takes at most 24 doublings.
 */
const NORMAL_MATH = (u1: string, u2: string) => [
  `let m = 1.0 - ${u1};`,
  'let e = 0.0;',
  'for (let k = 0; k < 25; k++) {',
  'if (m < 0.70710678) {',
  'm = m * 2.0;',
  'e = e - 1.0;',
  '}',
  '}',
  'const s = (m - 1.0) / (m + 1.0);',
  'const s2 = s * s;',
  'const lp = s * (2.0 + s2 * (0.6666666667 + s2 * (0.4 + s2 * (0.2857142857 + s2 * 0.2222222222))));',
  'const ln = e * 0.693145752 + (e * 0.00000142860677 + lp);',
  'const r = Math.sqrt(-2.0 * ln);',
  `const qd = Math.floor(4.0 * ${u2} + 0.5);`,
  `const ang = 6.283185307179586 * (${u2} - 0.25 * qd);`,
  'const a2 = ang * ang;',
  'const cs = 1.0 + a2 * (-0.5 + a2 * (0.041666666667 + a2 * (-0.0013888888889 + a2 * 0.0000248015873)));',
  'const sn = ang * (1.0 + a2 * (-0.16666666667 + a2 * (0.0083333333333 + a2 * (-0.0001984126984 + a2 * 0.0000027557319))));',
  'const cz = qd < 0.5 || qd > 3.5 ? cs : qd < 1.5 ? 0.0 - sn : qd < 2.5 ? 0.0 - cs : sn;',
];

export function randomNormalGpujs(ctx: GpujsKernelContext): string {
  const mean = numAttr(ctx.attrs, 'mean', 0);
  const std = numAttr(ctx.attrs, 'std', 1);
  const L = new Limbs();
  keyOf(L, ctx);
  uniform(L, 'i * 2.0', 'u1');
  uniform(L, 'i * 2.0 + 1.0', 'u2');
  return [...L.decls(), ...L.lines, ...NORMAL_MATH('u1', 'u2'), `return ${gpujsNum(mean)} + ${gpujsNum(std)} * (r * cz);`].join('\n');
}

/** op name -> gpu.js renderer */
export const randomGpujsRenderers: OpTable<GpujsRenderer> = {
  random_uniform: {
    kernel: randomUniformGpujs,
  },
};
