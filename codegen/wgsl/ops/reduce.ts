/**
 * The WGSL renderers of the ops of compiler/ops/reduce.ts.
 */
import { dimProduct } from '../../../compiler/dims.js';
import { type WgslKernel, type WgslKernelContext } from '../types.js';
import { normAxis } from '../../../compiler/ops/util.js';
import { numAttr } from '../../../compiler/ops/kernel-util.js';
import { wgslDot, wgslMul, wgslNum, wgslStrides, wgslUnravel } from '../util.js';
import { reduceAxes, Mode } from '../../../compiler/ops/reduce.js';
import type { OpTable } from '../../../compiler/ops/index.js';
import type { WgslRenderer } from '../types.js';

// ---------------------------------------------------------------- WGSL kernels

/** Threads per workgroup of the WGSL reductions (one workgroup per output element / row). */
export const RED_WG = 64;

/** The tree reduction of `red[0..RED_WG)` into red[0] (all threads take part: uniform control flow). */
export function wgslTree(combine: (a: string, b: string) => string): string {
  return `workgroupBarrier();
for (var s = ${RED_WG / 2}u; s > 0u; s = s >> 1u) {
  if (li < s) { red[li] = ${combine('red[li]', 'red[li + s]')}; }
  workgroupBarrier();
}`;
}

/**
 * reduce_sum / mean / max: one workgroup per output element; its threads
 * stride over the reduced elements (index math over the reduced axes), then
 * combine their partial results in workgroup memory.
 */
function wgslReduce(ctx: WgslKernelContext, mode: Mode, op: string): WgslKernel {
  const shape = ctx.inShape[0];
  const axes = reduceAxes(ctx.attrs, shape.length, op);
  const st = wgslStrides(shape);
  const kept = shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const T = ctx.inType[0];
  const init = mode === 'max' ? (T === 'f32' ? wgslNum(-Infinity) : 'i32(-2147483647 - 1)') : T === 'f32' ? '0.0' : '0';
  const combine = (a: string, b: string) => (mode === 'max' ? `max(${a}, ${b})` : `${a} + ${b}`);
  const outN = wgslMul(ctx.outShape[0]);
  const R = wgslMul(axes.map((a) => shape[a]));
  const lines = [`let o = wg;`, `let valid = o < ${outN};`];
  const kc = wgslUnravel('o', kept.map((i) => shape[i]), 'k', lines);
  lines.push(`let base = ${wgslDot(kc, kept.map((i) => st[i]))};`);
  lines.push(`var acc: ${T} = ${init};`);
  lines.push(`for (var r = li; r < ${R}; r = r + ${RED_WG}u) {`);
  const inner: string[] = [];
  const rc = wgslUnravel('r', axes.map((a) => shape[a]), 'q', inner);
  inner.push(`if (valid) { let v = ${ctx.load(0, `base + ${wgslDot(rc, axes.map((a) => st[a]))}`)}; acc = ${combine('acc', 'v')}; }`);
  lines.push(...inner.map((l) => '  ' + l), '}');
  lines.push('red[li] = acc;', wgslTree(combine));
  const result = mode === 'mean' ? `red[0] / f32(${R})` : 'red[0]';
  lines.push(`if (li == 0u && valid) { ${ctx.store(0, 'o', result)} }`);
  return {
    decls: `var<workgroup> red: array<${T}, ${RED_WG}>;`,
    body: lines.join('\n'),
    workgroupSize: [RED_WG],
    workgroups: [{ items: dimProduct(ctx.outDims[0]), per: 1 }],
  };
}

/** outer / axis / inner extents around `axis` as WGSL u32 expressions. */
function aroundAxisWgsl(shape: readonly string[], axis: number): { O: string; R: string; I: string } {
  return { O: wgslMul(shape.slice(0, axis)), R: shape[axis], I: wgslMul(shape.slice(axis + 1)) };
}

/** argmax: one workgroup per output; (value, index) pairs, ties to the smaller index. */
function wgslArgmax(ctx: WgslKernelContext): WgslKernel {
  const axis = normAxis(numAttr(ctx.attrs, 'axis', -1), ctx.inShape[0].length, 'argmax');
  const { O, R, I } = aroundAxisWgsl(ctx.inShape[0], axis);
  const T = ctx.inType[0];
  const body = `let o = wg;
let valid = o < ${wgslMul([O, I])};
let base = (o / ${I}) * ${wgslMul([R, I])} + o % ${I};
var best: ${T} = ${T === 'f32' ? wgslNum(-Infinity) : 'i32(-2147483647 - 1)'};
var bi = ${R};
for (var r = li; r < ${R}; r = r + ${RED_WG}u) {
  if (valid) { let v = ${ctx.load(0, `base + r * ${I}`)}; if (bi == ${R} || v > best) { best = v; bi = r; } }
}
redv[li] = best;
redi[li] = bi;
workgroupBarrier();
for (var s = ${RED_WG / 2}u; s > 0u; s = s >> 1u) {
  if (li < s) {
    let v2 = redv[li + s];
    let i2 = redi[li + s];
    if (i2 != ${R} && (redi[li] == ${R} || v2 > redv[li] || (v2 == redv[li] && i2 < redi[li]))) { redv[li] = v2; redi[li] = i2; }
  }
  workgroupBarrier();
}
if (li == 0u && valid) { ${ctx.store(0, 'o', 'i32(redi[0])')} }`;
  return {
    decls: `var<workgroup> redv: array<${T}, ${RED_WG}>;\nvar<workgroup> redi: array<u32, ${RED_WG}>;`,
    body,
    workgroupSize: [RED_WG],
    workgroups: [{ items: dimProduct(ctx.outDims[0].length ? ctx.outDims[0] : [1]), per: 1 }],
  };
}

/** softmax / log_softmax: one workgroup per row along the axis: max, then sum of exp, then the outputs. */
function wgslSoftmax(ctx: WgslKernelContext, log: boolean, op: string): WgslKernel {
  const axis = normAxis(numAttr(ctx.attrs, 'axis', -1), ctx.inShape[0].length, op);
  const { O, R, I } = aroundAxisWgsl(ctx.inShape[0], axis);
  const x = ctx.load(0, 'q');
  const loop = (stmt: string) => `for (var r = li; r < ${R}; r = r + ${RED_WG}u) { if (valid) { let q = base + r * ${I}; ${stmt} } }`;
  const finish = ctx.store(0, 'q', log ? `${x} - sh` : `exp(${x} - m) * inv`);
  const body = `let o = wg;
let valid = o < ${wgslMul([O, I])};
let base = (o / ${I}) * ${wgslMul([R, I])} + o % ${I};
var acc = ${wgslNum(-Infinity)};
${loop(`acc = max(acc, ${x});`)}
red[li] = acc;
${wgslTree((a, b) => `max(${a}, ${b})`)}
let m = red[0];
workgroupBarrier();
var se = 0.0;
${loop(`se = se + exp(${x} - m);`)}
red[li] = se;
${wgslTree((a, b) => `${a} + ${b}`)}
let total = red[0];
${log ? 'let sh = m + log(total);' : 'let inv = 1.0 / total;'}
${loop(finish)}`;
  return {
    decls: `var<workgroup> red: array<f32, ${RED_WG}>;`,
    body,
    workgroupSize: [RED_WG],
    workgroups: [{ items: dimProduct(ctx.outDims[0].map((d, i) => (i === axis ? 1 : d))), per: 1 }],
  };
}

/** op name -> WGSL renderer */
export const reduceWgslRenderers: OpTable<WgslRenderer> = {
  reduce_sum: {
    kernel: (ctx) => wgslReduce(ctx, 'sum', 'reduce_sum'),
    fuses: { load: true, store: true },
  },
  reduce_mean: {
    kernel: (ctx) => wgslReduce(ctx, 'mean', 'reduce_mean'),
    fuses: { load: true, store: true },
  },
  reduce_max: {
    kernel: (ctx) => wgslReduce(ctx, 'max', 'reduce_max'),
    fuses: { load: true, store: true },
  },
  argmax: {
    kernel: wgslArgmax,
    fuses: { load: true, store: true },
  },
  softmax: {
    kernel: (ctx) => wgslSoftmax(ctx, false, 'softmax'),
    fuses: { load: true, store: true },
  },
  log_softmax: {
    kernel: (ctx) => wgslSoftmax(ctx, true, 'log_softmax'),
    fuses: { load: true, store: true },
  },
};
