/** Helpers the reductions share (reduce.ts, axis-reduce.ts): extents around an axis, the WGSL workgroup tree. */
import { type GpujsKernelContext } from './types.js';
import { gpujsDim, gpujsIdiv, gpujsMul, mulExpr, wgslMul } from './kernel-util.js';

/** outer / axis / inner extents of `shape` around `axis` as JS expressions. */
export function aroundAxis(shape: readonly string[], axis: number): { O: string; R: string; I: string } {
  return { O: mulExpr(shape.slice(0, axis)), R: shape[axis], I: mulExpr(shape.slice(axis + 1)) };
}

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

/** outer / axis / inner extents around `axis` as WGSL u32 expressions. */
export function aroundAxisWgsl(shape: readonly string[], axis: number): { O: string; R: string; I: string } {
  return { O: wgslMul(shape.slice(0, axis)), R: shape[axis], I: wgslMul(shape.slice(axis + 1)) };
}

/** outer / axis / inner extents around `axis` as gpu.js source, and the row base of element `i` (statements into lines). */
export function gpujsRow(ctx: GpujsKernelContext, axis: number, rowOf: string, lines: string[]): { R: string; I: string } {
  const shape = ctx.inDims[0];
  const R = gpujsDim(shape[axis]);
  const I = gpujsMul(shape.slice(axis + 1));
  const RI = gpujsMul(shape.slice(axis));
  // rowOf: the flat index of an element of the reduced view [O, I] (argmax) or of the full [O, R, I] (softmax)
  if (rowOf === 'out') {
    lines.push(`const o = ${gpujsIdiv('i', I)};`, `const ii = i - o * ${I};`);
  } else {
    lines.push(`const o = ${gpujsIdiv('i', RI)};`, `const ii = i - ${gpujsIdiv('i', I)} * ${I};`);
  }
  lines.push(`const base = o * ${RI} + ii;`);
  return { R, I };
}

export function reducedShape<T>(shape: readonly T[], axes: readonly number[], keepdims: boolean, one: T): T[] {
  const out: T[] = [];
  shape.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keepdims) out.push(one);
  });
  return out;
}
