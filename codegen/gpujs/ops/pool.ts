/**
 * gpu.js kernels of 2-D pooling (NCHW), one thread per output element; the
 * gradients gather instead of scattering (a thread writes one element):
 *
 *   maxpool2d / avgpool2d: thread per y[nc, oh, ow]; the kh x kw window is
 *       walked in full (literal bounds) and taps outside the image skipped.
 *       max scans row-major with a strict `>` from -inf, as the reference does
 *       (so the first maximum wins); avg divides by the in-bounds count.
 *   maxpool2d_grad: thread per dx[nc, ih, iw]: for each window containing
 *       (ih, iw) (at most ceil(kh / sh) x ceil(kw / sw) of them, in (oh, ow)
 *       order, the order the cpu kernel adds them), recompute its arg-max and
 *       add dy when it is this element.
 *   avgpool2d_grad: thread per dx element: Σ dy[w] / count(w) over the windows w containing it.
 *
 * Windows containing row ih: oh in [ceil((ih + pt - kh + 1) / sh), floor((ih + pt) / sh)] ∩ [0, OH);
 * the loop runs over ceil(kh / sh) candidates from the low end, guarded.
 */
import { poolGeometry, type PoolProblem } from '../../../compiler/ops/pool.js';
import { gpujsIdiv, gpujsNum } from '../util.js';
import type { GpujsKernelContext } from '../types.js';
import type { OpTable } from '../../../compiler/ops/index.js';
import type { GpujsRenderer } from '../types.js';


const plus = (a: string, k: number) => (k === 0 ? a : k > 0 ? `${a} + ${k}` : `${a} - ${-k}`);
const times = (a: string, k: number) => (k === 1 ? a : `${a} * ${k}`);

/** Statements: plane `pl`, row `r`, column `c` of the flat index `i` over [planes, rows, cols] (floats). */
function coords(rows: number, cols: number, r: string, c: string, lines: string[]): void {
  lines.push(
    `const pl = ${gpujsIdiv('i', String(rows * cols))};`,
    `const q = i - pl * ${rows * cols};`,
    `const ${r} = ${gpujsIdiv('q', String(cols))};`,
    `const ${c} = q - ${r} * ${cols};`,
  );
}

/**
 * Statements scanning the window whose top-left tap is (h0, w0) of plane
 * offset `xo`: `m` its maximum and `best` the plane index of the first tap
 * holding it (-1 when none), `tag` suffixes the names.
 */
function argmax(x: string, p: PoolProblem, h0: string, w0: string, tag: string): string[] {
  return [
    `let m${tag} = ${gpujsNum(-Infinity)};`,
    `let best${tag} = -1;`,
    `for (let a${tag} = 0; a${tag} < ${p.kh}; a${tag}++) {`,
    `const ih${tag} = ${h0} + a${tag};`,
    `for (let b${tag} = 0; b${tag} < ${p.kw}; b${tag}++) {`,
    `const iw${tag} = ${w0} + b${tag};`,
    `if (ih${tag} >= 0 && ih${tag} < ${p.H} && iw${tag} >= 0 && iw${tag} < ${p.W}) {`,
    `const v${tag} = ${x}[xo + ih${tag} * ${p.W} + iw${tag}];`,
    `if (v${tag} > m${tag}) {`,
    `m${tag} = v${tag};`,
    `best${tag} = ih${tag} * ${p.W} + iw${tag};`,
    '}',
    '}',
    '}',
    '}',
  ];
}

/** Statements of the in-bounds tap count of the window whose top-left tap is (h0, w0), as `cnt${tag}`. */
function count(p: PoolProblem, h0: string, w0: string, tag: string): string[] {
  return [
    `const hs${tag} = Math.max(${h0}, 0);`,
    `const he${tag} = Math.min(${h0} + ${p.kh}, ${p.H});`,
    `const ws${tag} = Math.max(${w0}, 0);`,
    `const we${tag} = Math.min(${w0} + ${p.kw}, ${p.W});`,
    `const cnt${tag} = (he${tag} - hs${tag}) * (we${tag} - ws${tag});`,
  ];
}

/**
 * Loops over the windows (oh, ow) that contain input (ih, iw), in (oh, ow)
 * order; `body` runs with `oh`, `ow` (floats) and the window's top-left
 * tap `wh`, `ww`.
 */
function windowsOf(p: PoolProblem, body: string[]): string[] {
  const n = (k: number, s: number) => Math.ceil(k / s);
  // lo = ceil((ih + pt - kh + 1) / sh) clamped at 0: floor((t + sh - 1) / sh) for t = ih + pt - kh + 1 > 0
  const lo = (c: string, pad: number, k: number, s: number, name: string) => [
    `const ${name}t = ${plus(c, pad - k + 1)};`,
    `const ${name} = ${name}t > 0 ? ${gpujsIdiv(plus(`${name}t`, s - 1), String(s))} : 0;`,
  ];
  return [
    ...lo('ih', p.pt, p.kh, p.sh, 'ohLo'),
    `const ohHi = ${gpujsIdiv(plus('ih', p.pt), String(p.sh))};`,
    ...lo('iw', p.pl, p.kw, p.sw, 'owLo'),
    `const owHi = ${gpujsIdiv(plus('iw', p.pl), String(p.sw))};`,
    `for (let ka = 0; ka < ${n(p.kh, p.sh)}; ka++) {`,
    `const oh = ohLo + ka;`,
    `for (let kb = 0; kb < ${n(p.kw, p.sw)}; kb++) {`,
    `const ow = owLo + kb;`,
    `if (oh <= ohHi && oh < ${p.OH} && ow <= owHi && ow < ${p.OW}) {`,
    `const wh = ${plus(times('oh', p.sh), -p.pt)};`,
    `const ww = ${plus(times('ow', p.sw), -p.pl)};`,
    ...body,
    '}',
    '}',
    '}',
  ];
}

export function maxpool2dGpujs(ctx: GpujsKernelContext): string {
  const [, , H, W] = ctx.inDims[0] as number[];
  const p = poolGeometry('maxpool2d', H, W, ctx.attrs);
  const lines: string[] = [];
  coords(p.OH, p.OW, 'oh', 'ow', lines);
  lines.push(
    `const xo = pl * ${H * W};`,
    `const h0 = ${plus(times('oh', p.sh), -p.pt)};`,
    `const w0 = ${plus(times('ow', p.sw), -p.pl)};`,
    ...argmax(ctx.in[0], p, 'h0', 'w0', ''),
    'return m;',
  );
  return lines.join('\n');
}

export function maxpool2dGradGpujs(ctx: GpujsKernelContext): string {
  const [, , H, W] = ctx.inDims[0] as number[];
  const p = poolGeometry('maxpool2d_grad', H, W, ctx.attrs);
  const [x, dy] = ctx.in;
  const lines: string[] = [];
  coords(H, W, 'ih', 'iw', lines);
  lines.push(
    `const xo = pl * ${H * W};`,
    `const yo = pl * ${p.OH * p.OW};`,
    `const me = ih * ${W} + iw;`,
    'let acc = 0;',
    ...windowsOf(p, [...argmax(x, p, 'wh', 'ww', '_'), `if (best_ === me) {`, `acc = acc + ${dy}[yo + oh * ${p.OW} + ow];`, '}']),
    'return acc;',
  );
  return lines.join('\n');
}

export function avgpool2dGpujs(ctx: GpujsKernelContext): string {
  const [, , H, W] = ctx.inDims[0] as number[];
  const p = poolGeometry('avgpool2d', H, W, ctx.attrs);
  const x = ctx.in[0];
  const lines: string[] = [];
  coords(p.OH, p.OW, 'oh', 'ow', lines);
  lines.push(
    `const xo = pl * ${H * W};`,
    `const h0 = ${plus(times('oh', p.sh), -p.pt)};`,
    `const w0 = ${plus(times('ow', p.sw), -p.pl)};`,
    'let s = 0;',
    `for (let a = 0; a < ${p.kh}; a++) {`,
    'const ih = h0 + a;',
    `for (let b = 0; b < ${p.kw}; b++) {`,
    'const iw = w0 + b;',
    `if (ih >= 0 && ih < ${H} && iw >= 0 && iw < ${W}) {`,
    `s = s + ${x}[xo + ih * ${W} + iw];`,
    '}',
    '}',
    '}',
    ...count(p, 'h0', 'w0', ''),
    'return s / cnt;',
  );
  return lines.join('\n');
}

export function avgpool2dGradGpujs(ctx: GpujsKernelContext): string {
  const [, , H, W] = ctx.outDims[0] as number[];
  const p = poolGeometry('avgpool2d_grad', H, W, ctx.attrs);
  const dy = ctx.in[0];
  const lines: string[] = [];
  coords(H, W, 'ih', 'iw', lines);
  lines.push(
    `const yo = pl * ${p.OH * p.OW};`,
    'let acc = 0;',
    ...windowsOf(p, [...count(p, 'wh', 'ww', '_'), `acc = acc + ${dy}[yo + oh * ${p.OW} + ow] / cnt_;`]),
    'return acc;',
  );
  return lines.join('\n');
}

/** op name -> gpu.js renderer */
export const poolGpujsRenderers: OpTable<GpujsRenderer> = {
  maxpool2d: {
    kernel: maxpool2dGpujs,
  },
  maxpool2d_grad: {
    kernel: maxpool2dGradGpujs,
  },
  avgpool2d: {
    kernel: avgpool2dGpujs,
  },
  avgpool2d_grad: {
    kernel: avgpool2dGradGpujs,
  },
};
