/**
 * gpu.js kernels of the convolutions (NCHW), one thread per output element,
 * direct loops (no im2col; a gpu.js kernel has no shared memory):
 *
 *   conv2d:                 y[n, f, oh, ow]  = Σ_{c, kh, kw} x[n, g Cg + c, oh sh - pt + kh dh, ow sw - pl + kw dw] w[f, c, kh, kw]
 *   conv2d_backprop_input:  dx[n, c, ih, iw] = Σ_{f, kh, kw} dy[n, g Fg + f, oh, ow] w[g Fg + f, c', kh, kw]
 *                           where th = ih + pt - kh dh is a non-negative multiple of sh, oh = th / sh < OH
 *                           (and likewise for the width): a gather, no scatter;
 *   conv2d_backprop_filter: dw[f, c, kh, kw] = Σ_{n, oh, ow} x[n, g Cg + c, ih, iw] dy[n, f, oh, ow]
 *                           (the loop over n runs to the bound batch size: `@{N}` is a literal by then).
 *   conv2d_transpose:       conv2d_backprop_input of the conv2d it is the adjoint of (as on cpu and WebGPU).
 *
 * Every loop bound is a literal (C, H, W, the kernel and the filters are
 * static; N is replaced before the kernel is made), taps in the padding are
 * skipped by a guard. Index math: integer quotients through gpujsIdiv (GPU
 * division is not exactly rounded); every value is a float holding an
 * integer, exact below 2^24. Expressions put a float operand first, so gpu.js
 * never types an intermediate from a loop counter (an int in GLSL).
 */
import type { Dim } from '../../../compiler/dims.js';
import type { Attrs } from '../../../compiler/ir.js';
import { gpujsDim, gpujsIdiv, gpujsUnravel } from '../util.js';
import type { GpujsKernelContext } from '../types.js';
import { windowGeometry } from '../../../compiler/ops/conv.js';
import type { OpTable } from '../../../compiler/ops/index.js';
import type { GpujsRenderer } from '../types.js';


const nums = (dims: readonly Dim[]) => dims.map((d) => d as number);

/** `a * k` as source, dropping `* 1` and `0 * k` */
const times = (a: string, k: number) => (a === '0' || k === 0 ? '0' : k === 1 ? a : `${a} * ${k}`);

/** `a + k` / `a - k` as source */
const plus = (a: string, k: number) => (k === 0 ? a : k > 0 ? `${a} + ${k}` : `${a} - ${-k}`);

/** The sum of terms as source, dropping zeros; `0` when empty. */
const sum = (terms: string[]) => terms.filter((t) => t !== '0').join(' + ') || '0';

/** the group of channel `c` of `per` channels per group, as source */
function groupOf(c: string, per: number, groups: number, name: string, lines: string[]): string {
  if (groups === 1) return '0';
  lines.push(`const ${name} = ${gpujsIdiv(c, String(per))};`);
  return name;
}

/** In-bounds test of a coordinate against [0, n). */
const inside = (v: string, n: number) => `${v} >= 0 && ${v} < ${n}`;

export function conv2dGpujs(ctx: GpujsKernelContext): string {
  const [C, H, W] = nums(ctx.inDims[0].slice(1));
  const [F, Cg, KH, KW] = nums(ctx.inDims[1]);
  const g = windowGeometry(ctx.node.op, ctx.attrs);
  const Fg = F / g.groups;
  const [x, w] = ctx.in;
  const lines: string[] = [];
  const [n, f, oh, ow] = gpujsUnravel('i', ctx.outDims[0], 'o', lines);
  const grp = groupOf(f, Fg, g.groups, 'grp', lines);
  lines.push(
    `const xb = ${sum([times(n, C * H * W), times(grp, Cg * H * W)])};`,
    `const wb = ${times(f, Cg * KH * KW)};`,
    `const h0 = ${plus(times(oh, g.sh), -g.pt)};`,
    `const w0 = ${plus(times(ow, g.sw), -g.pl)};`,
    'let s = 0;',
    `for (let c = 0; c < ${Cg}; c++) {`,
    `for (let a = 0; a < ${KH}; a++) {`,
    `const ih = h0 + ${times('a', g.dh)};`,
    `for (let b = 0; b < ${KW}; b++) {`,
    `const iw = w0 + ${times('b', g.dw)};`,
    `if (${inside('ih', H)} && ${inside('iw', W)}) {`,
    `s = s + ${x}[xb + ${times('c', H * W)} + ih * ${W} + iw] * ${w}[wb + ${times('c', KH * KW)} + ${times('a', KW)} + b];`,
    '}',
    '}',
    '}',
    '}',
    'return s;',
  );
  return lines.join('\n');
}

/**
 * dx of the conv2d over dy [N, F, OH, OW] and w [F, Cg, KH, KW] into
 * [N, C, H, W] (shapes from the dims, geometry from the attributes, so
 * conv2d_transpose passes its own node with converted attributes).
 */
export function conv2dBackpropInputGpujs(ctx: GpujsKernelContext): string {
  const [F, OH, OW] = nums(ctx.inDims[0].slice(1));
  const [, Cg, KH, KW] = nums(ctx.inDims[1]);
  const [H, W] = nums(ctx.outDims[0].slice(2));
  const g = windowGeometry(ctx.node.op, ctx.attrs);
  const Fg = F / g.groups;
  const [dy, w] = ctx.in;
  const lines: string[] = [];
  const [n, c, ih, iw] = gpujsUnravel('i', ctx.outDims[0], 'o', lines);
  void H;
  void W;
  const grp = groupOf(c, Cg, g.groups, 'grp', lines);
  const cc = grp === '0' ? c : 'cc';
  if (grp !== '0') lines.push(`const cc = ${c} - grp * ${Cg};`);
  // th = ih + pt - kh dh: a tap lands on output row th / sh when th >= 0, sh | th and th / sh < OH
  const tap = (t: string, q: string, s: number, extent: number): { decl: string[]; test: string; at: string } => {
    if (s === 1) return { decl: [], test: inside(t, extent), at: t };
    return {
      decl: [`const ${q} = ${gpujsIdiv(t, String(s))};`],
      test: `${t} >= 0 && ${t} - ${q} * ${s} === 0 && ${q} < ${extent}`,
      at: q,
    };
  };
  const th = tap('th', 'qh', g.sh, OH);
  const tw = tap('tw', 'qw', g.sw, OW);
  lines.push(
    `const yb = ${sum([times(n, F * OH * OW), times(grp, Fg * OH * OW)])};`,
    `const wb = ${sum([times(grp, Fg * Cg * KH * KW), times(cc, KH * KW)])};`,
    `const h0 = ${plus(ih, g.pt)};`,
    `const w0 = ${plus(iw, g.pl)};`,
    'let s = 0;',
    `for (let f = 0; f < ${Fg}; f++) {`,
    `for (let a = 0; a < ${KH}; a++) {`,
    `const th = h0 - ${times('a', g.dh)};`,
    ...th.decl,
    `for (let b = 0; b < ${KW}; b++) {`,
    `const tw = w0 - ${times('b', g.dw)};`,
    ...tw.decl,
    `if (${th.test} && ${tw.test}) {`,
    `s = s + ${dy}[yb + ${times('f', OH * OW)} + ${th.at} * ${OW} + ${tw.at}] * ${w}[wb + ${times('f', Cg * KH * KW)} + ${times('a', KW)} + b];`,
    '}',
    '}',
    '}',
    '}',
    'return s;',
  );
  return lines.join('\n');
}

export function conv2dBackpropFilterGpujs(ctx: GpujsKernelContext): string {
  const [C, H, W] = nums(ctx.inDims[0].slice(1));
  const [F, OH, OW] = nums(ctx.inDims[1].slice(1));
  const [, Cg, KH, KW] = nums(ctx.outDims[0]);
  const g = windowGeometry(ctx.node.op, ctx.attrs);
  const Fg = F / g.groups;
  const [x, dy] = ctx.in;
  const N = gpujsDim(ctx.inDims[0][0]);
  const lines: string[] = [];
  const [f, c, kh, kw] = gpujsUnravel('i', ctx.outDims[0], 'o', lines);
  const grp = groupOf(f, Fg, g.groups, 'grp', lines);
  lines.push(
    `const xb = ${sum([times(grp, Cg * H * W), times(c, H * W)])};`,
    `const yb = ${times(f, OH * OW)};`,
    `const h0 = ${plus(times(kh, g.dh), -g.pt)};`,
    `const w0 = ${plus(times(kw, g.dw), -g.pl)};`,
    'let s = 0;',
    `for (let n = 0; n < ${N}; n++) {`,
    `for (let a = 0; a < ${OH}; a++) {`,
    `const ih = h0 + ${times('a', g.sh)};`,
    `for (let b = 0; b < ${OW}; b++) {`,
    `const iw = w0 + ${times('b', g.sw)};`,
    `if (${inside('ih', H)} && ${inside('iw', W)}) {`,
    `s = s + ${x}[xb + ${times('n', C * H * W)} + ih * ${W} + iw] * ${dy}[yb + ${times('n', F * OH * OW)} + ${times('a', OW)} + b];`,
    '}',
    '}',
    '}',
    '}',
    'return s;',
  );
  return lines.join('\n');
}

/**
 * conv2d_transpose(x, w) is conv2d_backprop_input(dy = x, w) of the conv2d
 * with the same strides, pads, dilations and groups (output_padding only
 * sizes the output, which the dims already carry).
 */
export function conv2dTransposeGpujs(ctx: GpujsKernelContext): string {
  const a: Attrs = {};
  for (const k of ['strides', 'pads', 'dilations', 'groups']) if (ctx.attrs[k] !== undefined) a[k] = ctx.attrs[k];
  return conv2dBackpropInputGpujs({ ...ctx, attrs: a });
}

/** op name -> gpu.js renderer */
export const convGpujsRenderers: OpTable<GpujsRenderer> = {
  conv2d: {
    kernel: conv2dGpujs,
  },
  conv2d_backprop_input: {
    kernel: conv2dBackpropInputGpujs,
  },
  conv2d_backprop_filter: {
    kernel: conv2dBackpropFilterGpujs,
  },
  conv2d_transpose: {
    kernel: conv2dTransposeGpujs,
  },
};
