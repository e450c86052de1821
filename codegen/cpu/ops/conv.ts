/**
 * The CPU renderers of the ops of compiler/ops/conv.ts.
 */
import { type CpuKernelContext } from '../types.js';
import { emitGemmPacked, gemmScratch, gemmScratchSize, type GemmSpec } from '../gemm.js';
import { splitPrologue } from '../split.js';
import { ConvProblem, inferConv, inferBackpropFilter, inferBackpropInput, validRange } from '../../../compiler/ops/conv.js';
import type { OpTable } from '../../../compiler/ops/index.js';
import type { CpuRenderer } from '../types.js';

// ------------------------------------------------------------------ CPU kernels

interface Gemm {
  A: string;
  B: string;
  C: string;
  M: number;
  N: number;
  K: number;
  /** A(i, k) = A[aOff + i*aRow + k*aK] */
  aOff: string;
  aRow: number;
  aK: number;
  /** B(k, j) = B[bOff + k*bK + j*bCol] */
  bOff: string;
  bK: number;
  bCol: number;
  /** C(i, j) = C[cOff + i*cRow + j] */
  cOff: string;
  cRow: number;
  /** C += A B instead of C = A B */
  accumulate: boolean;
}

/** The packed-B GEMM (codegen/cpu/gemm.ts) for a static problem; its scratch is `bp` (declared with packedScratch). */
function packedSpec(g: Gemm): GemmSpec {
  return {
    A: g.A, B: g.B, C: g.C, M: String(g.M), N: String(g.N), K: String(g.K),
    aOff: g.aOff, aRow: String(g.aRow), aK: String(g.aK),
    bOff: g.bOff, bK: String(g.bK), bCol: String(g.bCol),
    cOff: g.cOff, cRow: String(g.cRow),
    accumulate: g.accumulate, scratch: 'bp',
  };
}

/**
 * Per-kw valid output-column ranges as literal arrays (the loops read them
 * from small constant arrays instead of recomputing bounds).
 */
function rangeTables(p: ConvProblem): { loW: number[]; hiW: number[] } {
  const loW: number[] = [];
  const hiW: number[] = [];
  for (let kw = 0; kw < p.KW; kw++) {
    const [lo, hi] = validRange(p.W, p.OW, p.sw, kw * p.dw - p.pl);
    loW.push(lo);
    hiW.push(hi);
  }
  return { loW, hiW };
}

/**
 * `loW`, `hiW`: declared once at the top of a kernel that uses
 * emitIm2colPacked / emitCol2im, in planned i32 scratch filled per call
 * (KW numbers each).
 */
function emitRangeTables(p: ConvProblem, ctx: CpuKernelContext): string {
  const { loW, hiW } = rangeTables(p);
  const fill = (name: string, v: number[]) => v.map((x, i) => `${name}[${i}] = ${x};`).join(' ');
  return `const loW = ${ctx.scratch('i32', p.KW)}, hiW = ${ctx.scratch('i32', p.KW)};\n${fill('loW', loW)} ${fill('hiW', hiW)}`;
}

/**
 * im2col straight into the packed-B layout of codegen/cpu/gemm.ts (no
 * separate col matrix, no packing pass). Element (tap, pix) of col — tap =
 * (c, kh, kw), pix = (oh, ow) — goes to
 *   byPix (conv2d: the GEMM's K is the tap, its columns the pixels):
 *       (pix >> 2) * taps * 4 + tap * 4 + (pix & 3)
 *   byTap (backprop_filter: K is the pixel, the columns the taps):
 *       (tap >> 2) * P * 4 + pix * 4 + (tap & 3)
 * The padding columns of the last strip are zeroed once per call
 * (emitPadZero: the scratch holds whatever its last user left); padded-away
 * taps are written as zeros.
 */
function emitIm2colPacked(p: ConvProblem, x: string, bp: string, byPix: boolean, tapRange?: [string, string]): string {
  const Cg = p.C / p.groups;
  const HW = p.H * p.W;
  const taps = Cg * p.KH * p.KW;
  const P = p.OH * p.OW;
  const at = (pix: string) => (byPix ? `${bp}[tb + ((${pix}) >> 2) * ${taps * 4} + ((${pix}) & 3)]` : `${bp}[tb + (${pix}) * 4]`);
  const tapBase = byPix ? 'tap * 4' : `(tap >> 2) * ${P * 4} + (tap & 3)`;
  return `{
const xb = (n * ${p.C} + grp * ${Cg}) * ${HW};
let tap = 0;
for (let c = 0; c < ${Cg}; c++) {
  const xc = xb + c * ${HW};
  for (let kh = 0; kh < ${p.KH}; kh++) {
    for (let kw = 0; kw < ${p.KW}; kw++, tap++) {${tapRange ? `
      if (tap < ${tapRange[0]} || tap >= ${tapRange[1]}) continue;` : ''}
      const lo = loW[kw], hi = hiW[kw], tb = ${tapBase};
      for (let oh = 0, q = 0; oh < ${p.OH}; oh++, q += ${p.OW}) {
        const ih = oh * ${p.sh} + kh * ${p.dh} - ${p.pt};
        if (ih < 0 || ih >= ${p.H}) { for (let ow = 0; ow < ${p.OW}; ow++) ${at('q + ow')} = 0; continue; }
        const xr = xc + ih * ${p.W} + kw * ${p.dw} - ${p.pl};
        let ow = 0;
        for (; ow < lo; ow++) ${at('q + ow')} = 0;
        for (; ow < hi; ow++) ${at('q + ow')} = ${x}[xr + ow * ${p.sw}];
        for (; ow < ${p.OW}; ow++) ${at('q + ow')} = 0;
      }
    }
  }
}
}`;
}

/** Zero the padding columns of the last packed strip (pixels P.. for byPix, taps K.. for byTap), when there are any. */
function emitPadZero(p: ConvProblem, bp: string, byPix: boolean): string {
  const taps = (p.C / p.groups) * p.KH * p.KW;
  const P = p.OH * p.OW;
  const [cols, rows] = byPix ? [P, taps] : [taps, P];
  if (cols % 4 === 0) return '';
  const base = (cols >> 2) * rows * 4;
  return `for (let r = 0; r < ${rows}; r++) for (let c = ${cols & 3}; c < 4; c++) ${bp}[${base} + r * 4 + c] = 0;\n`;
}

/** col2im: dimg[channel (grp*Cg + c), ih, iw] += dcol[(c, kh, kw), (oh, ow)]. */
function emitCol2im(p: ConvProblem, dcol: string, dimg: string): string {
  const Cg = p.C / p.groups;
  const HW = p.H * p.W;
  return `{
let q = 0;
for (let c = 0; c < ${Cg}; c++) {
  const xc = (grp * ${Cg} + c) * ${HW};
  for (let kh = 0; kh < ${p.KH}; kh++) {
    for (let kw = 0; kw < ${p.KW}; kw++) {
      const lo = loW[kw], hi = hiW[kw];
      for (let oh = 0; oh < ${p.OH}; oh++, q += ${p.OW}) {
        const ih = oh * ${p.sh} + kh * ${p.dh} - ${p.pt};
        if (ih < 0 || ih >= ${p.H}) continue;
        const xr = xc + ih * ${p.W} + kw * ${p.dw} - ${p.pl};
        ${p.sw === 1 ? `for (let ow = lo, s = xr + lo; ow < hi; ow++, s++) ${dimg}[s] += ${dcol}[q + ow];` : `for (let ow = lo; ow < hi; ow++) ${dimg}[xr + ow * ${p.sw}] += ${dcol}[q + ow];`}
      }
    }
  }
}
}`;
}

function convCpu(ctx: CpuKernelContext): string {
  return convBody(ctx, false);
}

/** conv2d split by images (the rows of the CPU backend's threads; see codegen/cpu/templates.ts). */
export function convCpuSplit(ctx: CpuKernelContext): string {
  return convBody(ctx, true);
}

function convBody(ctx: CpuKernelContext, split: boolean): string {
  const { p } = inferConv(ctx.node.inputs.map((v) => v.type), ctx.attrs);
  const [x, w] = ctx.in;
  const y = ctx.out[0];
  const Cg = p.C / p.groups;
  const Fg = p.F / p.groups;
  const K = Cg * p.KH * p.KW;
  const P = p.OH * p.OW;
  const spec: GemmSpec = {
    A: w, B: '', C: y, M: String(Fg), N: String(P), K: String(K),
    aOff: 'wOff', aRow: String(K), aK: '1', bOff: '0', bK: '0', bCol: '0',
    cOff: 'yOff', cRow: String(P), accumulate: false, scratch: 'bp', prepacked: true,
  };
  return `// implicit GEMM per image and group: y_n [${Fg}, ${P}] = W [${Fg}, ${K}] x col [${K}, ${P}] (col im2col'd straight into packed strips)
const N = ${ctx.inShape[0][0]};
${split ? splitPrologue('N', 1, `N * ${2 * p.F * K * P}`) + '\n' : ''}${emitRangeTables(p, ctx)}
${gemmScratch(spec, ctx, gemmScratchSize(P, K, true))}
${emitPadZero(p, 'bp', true)}for (let n = ${split ? 'rLo' : '0'}; n < ${split ? 'rHi' : 'N'}; n++) {
  for (let grp = 0; grp < ${p.groups}; grp++) {
${emitIm2colPacked(p, x, 'bp', true)}
    const wOff = grp * ${Fg * K}, yOff = (n * ${p.F} + grp * ${Fg}) * ${P};
${emitGemmPacked(spec)}
  }
}`;
}

function backpropFilterCpu(ctx: CpuKernelContext): string {
  return backpropFilterBody(ctx, false);
}

/**
 * conv2d_backprop_filter split by taps (columns of dw, in strips of 4): a
 * range im2cols only its own taps and sums over every image and pixel
 * itself, so no sum crosses threads.
 */
export function backpropFilterCpuSplit(ctx: CpuKernelContext): string {
  return backpropFilterBody(ctx, true);
}

function backpropFilterBody(ctx: CpuKernelContext, split: boolean): string {
  const { p } = inferBackpropFilter(ctx.node.inputs.map((v) => v.type), ctx.attrs);
  const [x, dy] = ctx.in;
  const dw = ctx.out[0];
  const Cg = p.C / p.groups;
  const Fg = p.F / p.groups;
  const K = Cg * p.KH * p.KW;
  const P = p.OH * p.OW;
  const spec: GemmSpec = {
    A: dy, B: '', C: 'acc', M: String(Fg), N: String(K), K: String(P),
    aOff: 'dyOff', aRow: String(P), aK: '1', bOff: '0', bK: '0', bCol: '0',
    cOff: 'accOff', cRow: String(K), accumulate: true, scratch: 'bp', prepacked: true,
    ...(split ? { jLo: 'rLo', jHi: 'rHi' } : {}),
  };
  const copy = split
    ? `for (let f = 0; f < ${p.F}; f++) for (let i = f * ${K} + rLo, e = f * ${K} + rHi; i < e; i++) ${dw}[i] = acc[i];`
    : `for (let i = 0; i < ${p.F * K}; i++) ${dw}[i] = acc[i];`;
  return `// per image and group: acc [${Fg}, ${K}] += dy_n [${Fg}, ${P}] x col^T [${P}, ${K}] (col^T im2col'd straight into packed strips)
const N = ${ctx.inShape[0][0]};
${split ? splitPrologue(String(K), 4, `N * ${2 * p.F * K * P}`) + '\n' : ''}${emitRangeTables(p, ctx)}
${gemmScratch(spec, ctx, gemmScratchSize(K, P, true))}
${emitPadZero(p, 'bp', false)}const acc = ${ctx.scratch('f64', p.F * K)};
acc.fill(0);
for (let n = 0; n < N; n++) {
  for (let grp = 0; grp < ${p.groups}; grp++) {
${emitIm2colPacked(p, x, 'bp', false, split ? ['rLo', 'rHi'] : undefined)}
    const dyOff = (n * ${p.F} + grp * ${Fg}) * ${P}, accOff = grp * ${Fg * K};
${emitGemmPacked(spec)}
  }
}
${copy}`;
}

function backpropInputCpu(ctx: CpuKernelContext): string {
  return backpropInputBody(ctx, false);
}

/** conv2d_backprop_input split by images. */
export function backpropInputCpuSplit(ctx: CpuKernelContext): string {
  return backpropInputBody(ctx, true);
}

function backpropInputBody(ctx: CpuKernelContext, split: boolean): string {
  const { p } = inferBackpropInput(ctx.node.inputs.map((v) => v.type), ctx.attrs);
  const [dy, w] = ctx.in;
  const dx = ctx.out[0];
  const Cg = p.C / p.groups;
  const Fg = p.F / p.groups;
  const K = Cg * p.KH * p.KW;
  const P = p.OH * p.OW;
  const CHW = p.C * p.H * p.W;
  const dInSpec = packedSpec({ A: w, B: dy, C: 'dcol', M: K, N: P, K: Fg, aOff: 'wOff', aRow: 1, aK: K, bOff: 'dyOff', bK: P, bCol: 1, cOff: '0', cRow: P, accumulate: false });
  return `// per image and group: dcol [${K}, ${P}] = W^T [${K}, ${Fg}] x dy_n [${Fg}, ${P}], then col2im
const N = ${ctx.inShape[0][0]};
${split ? splitPrologue('N', 1, `N * ${2 * p.F * K * P}`) + '\n' : ''}${emitRangeTables(p, ctx)}
const dcol = ${ctx.scratch('f64', K * P)};
const dimg = ${ctx.scratch('f64', CHW)};
${gemmScratch(dInSpec, ctx, gemmScratchSize(P, Fg))}
for (let n = ${split ? 'rLo' : '0'}; n < ${split ? 'rHi' : 'N'}; n++) {
  dimg.fill(0);
  for (let grp = 0; grp < ${p.groups}; grp++) {
    const wOff = grp * ${Fg * K}, dyOff = (n * ${p.F} + grp * ${Fg}) * ${P};
${emitGemmPacked(dInSpec)}
${emitCol2im(p, 'dcol', 'dimg')}
  }
  const xo = n * ${CHW};
  for (let i = 0; i < ${CHW}; i++) ${dx}[xo + i] = dimg[i];
}`;
}

/** op name -> CPU renderer */
export const convCpuRenderers: OpTable<CpuRenderer> = {
  conv2d: {
    kernel: convCpu,
  },
  conv2d_backprop_input: {
    kernel: backpropInputCpu,
  },
  conv2d_backprop_filter: {
    kernel: backpropFilterCpu,
  },
};
