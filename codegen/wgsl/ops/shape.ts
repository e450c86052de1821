/**
 * The WGSL renderers of the ops of compiler/ops/shape.ts.
 */
import { dimProduct } from '../../../compiler/dims.js';
import { type WgslKernel, type WgslKernelContext } from '../types.js';
import { normAxis } from '../../../compiler/ops/util.js';
import { numAttr } from '../../../compiler/ops/kernel-util.js';
import { wgslDim, wgslDot, wgslLiteral, wgslMul, wgslPerElement, wgslStrides, wgslUnravel } from '../util.js';
import { AxisSlice, resolvePos, sliceAxes, permOf, present } from '../../../compiler/ops/shape.js';
import type { OpTable } from '../../../compiler/ops/index.js';
import type { WgslRenderer } from '../types.js';

/** Run-time start of an axis as a WGSL u32 expression; D is the axis extent (WGSL). */
function startWgsl(s: AxisSlice, D: string): string {
  if (typeof s.start === 'string') return wgslDim(s.start);
  if (s.start === 0) return '0u';
  const lit = wgslLiteral(D);
  if (lit !== undefined) return `${resolvePos(s.start, lit)}u`;
  return `u32(clamp(${s.start < 0 ? `i32(${D}) + (${s.start})` : s.start}, 0, i32(${D})))`;
}

/**
 * WGSL: one thread per element of `part` (slice) or of `full` (slice_grad).
 * slice: out[idx] = in[Σ (start_d + c_d * step_d) * fullStride_d]
 * slice_grad: out[idx] = the part element this full position came from, or 0.
 */
function sliceWgsl(ctx: WgslKernelContext, grad: boolean): WgslKernel {
  const full = grad ? ctx.outShape[0] : ctx.inShape[0];
  const part = grad ? ctx.inShape[0] : ctx.outShape[0];
  const attrs = grad ? present(ctx.attrs) : ctx.attrs;
  const slices = sliceAxes(attrs, full, grad ? 'slice_grad' : 'slice');
  const lines: string[] = [];
  if (!grad) {
    const fs = wgslStrides(full);
    const c = wgslUnravel('idx', part, 'c', lines);
    const terms = slices.map((sl, d) => {
      const st = startWgsl(sl, full[d]);
      const pos = sl.step === 1 ? c[d] : c[d] === '0u' ? '0u' : `${c[d]} * ${sl.step}u`;
      const p = st === '0u' ? pos : pos === '0u' ? st : `(${st} + ${pos})`;
      return p;
    });
    lines.push(ctx.store(0, 'idx', ctx.load(0, wgslDot(terms, fs))));
    return wgslPerElement(dimProduct(ctx.outDims[0]), lines.join('\n'));
  }
  const ps = wgslStrides(part);
  const c = wgslUnravel('idx', full, 'c', lines);
  lines.push('var inside = true;', 'var src = 0u;');
  slices.forEach((sl, d) => {
    const st = startWgsl(sl, full[d]);
    lines.push(`{ let p = i32(${c[d]}) - i32(${st});`);
    const q = sl.step === 1 ? 'p' : `p / ${sl.step}`;
    const stepOk = sl.step === 1 ? '' : ` && p % ${sl.step} == 0`;
    lines.push(`  inside = inside && p >= 0${stepOk} && u32(${q}) < ${part[d]};`);
    lines.push(`  src = src + u32(max(${q}, 0)) * ${ps[d].match(/^[\w.]+$/) ? ps[d] : `(${ps[d]})`}; }`);
  });
  const zero = ctx.outType[0] === 'f32' ? '0.0' : ctx.outType[0] === 'i32' ? '0' : '0u';
  // (input 0 is read with arrayLength: a loader cannot fuse into it)
  lines.push(ctx.store(0, 'idx', `select(${zero}, ${ctx.in[0]}[min(src, arrayLength(&${ctx.in[0]}) - 1u)], inside)`));
  return wgslPerElement(dimProduct(ctx.outDims[0]), lines.join('\n'));
}

/** op name -> WGSL renderer */
export const shapeWgslRenderers: OpTable<WgslRenderer> = {
  reshape: {
    fuses: { load: true, store: true },
    kernel: (ctx) => wgslPerElement(dimProduct(ctx.outDims[0]), ctx.store(0, 'idx', ctx.load(0, 'idx'))),
  },
  transpose: {
    fuses: { load: true, store: true },
    kernel(ctx) {
      const perm = permOf(ctx.attrs, ctx.inShape[0].length);
      const xs = wgslStrides(ctx.inShape[0]);
      const lines: string[] = [];
      const c = wgslUnravel('idx', ctx.outShape[0], 'c', lines);
      lines.push(ctx.store(0, 'idx', ctx.load(0, wgslDot(c, perm.map((p) => xs[p])))));
      return wgslPerElement(dimProduct(ctx.outDims[0]), lines.join('\n'));
    },
  },
  broadcast_to: {
    fuses: { load: true, store: true },
    scalar: (a) => a[0],
    kernel(ctx) {
      const inS = ctx.inShape[0];
      const outS = ctx.outShape[0];
      const xs = wgslStrides(inS);
      const lead = outS.length - inS.length;
      const lines: string[] = [];
      const c = wgslUnravel('idx', outS, 'c', lines);
      const src = outS.map((_, d) => {
        if (d < lead) return '0u';
        const e = inS[d - lead];
        if (e === '1u') return '0u';
        if (wgslLiteral(e) !== undefined) return xs[d - lead];
        return `select(${xs[d - lead]}, 0u, ${e} == 1u)`;
      });
      lines.push(ctx.store(0, 'idx', ctx.load(0, wgslDot(c, src))));
      return wgslPerElement(dimProduct(ctx.outDims[0]), lines.join('\n'));
    },
  },
  slice: {
    fuses: { load: true, store: true },
    kernel: (ctx) => sliceWgsl(ctx, false),
  },
  slice_grad: {
    fuses: { store: true },
    kernel: (ctx) => sliceWgsl(ctx, true),
  },
  concat: {
    fuses: { load: true, store: true },
    kernel(ctx) {
      const outS = ctx.outShape[0];
      const axis = normAxis(numAttr(ctx.attrs, 'axis', 0), outS.length, 'concat');
      const I = wgslMul(outS.slice(axis + 1));
      const T = outS[axis];
      const lines = [`let i = idx % ${I};`, `let t = (idx / ${I}) % ${T};`, `let o = idx / ${wgslMul([I, T])};`];
      let off = '0u';
      ctx.in.forEach((_, k) => {
        const A = ctx.inShape[k][axis];
        const end = off === '0u' ? A : `${off} + ${A}`;
        const local = off === '0u' ? 't' : `(t - (${off}))`;
        const cond = k === ctx.in.length - 1 ? '' : `if (t < ${end}) `;
        lines.push(`${k === 0 ? '' : 'else '}${cond}{ ${ctx.store(0, 'idx', ctx.load(k, `(o * ${A} + ${local}) * ${I} + i`))} }`);
        off = end;
      });
      return wgslPerElement(dimProduct(ctx.outDims[0]), lines.join('\n'));
    },
  },
  one_hot: {
    fuses: { load: true, store: true },
    kernel(ctx) {
      const depth = Number(ctx.attrs.depth);
      return wgslPerElement(
        dimProduct(ctx.outDims[0]),
        `let v = ${ctx.load(0, `idx / ${depth}u`)};\n${ctx.store(0, 'idx', `select(0.0, 1.0, v == i32(idx % ${depth}u))`)}`,
      );
    },
  },
};
