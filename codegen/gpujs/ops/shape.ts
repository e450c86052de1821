/**
 * The gpu.js renderers of the ops of compiler/ops/shape.ts.
 */
import { dimAdd, type Dim } from '../../../compiler/dims.js';
import { type GpujsKernelContext } from '../types.js';
import { normAxis } from '../../../compiler/ops/util.js';
import { gpujsDim, gpujsDot, gpujsIdiv, gpujsMul, gpujsStrides, gpujsUnravel } from '../util.js';
import { numAttr } from '../../../compiler/ops/kernel-util.js';
import { AxisSlice, resolvePos, sliceAxes, permOf, present } from '../../../compiler/ops/shape.js';
import type { OpTable } from '../../../compiler/ops/index.js';
import type { GpujsRenderer } from '../types.js';

/** Run-time start of an axis as gpu.js source; D is the axis extent (a Dim). */
function startGpujs(s: AxisSlice, D: Dim): string {
  if (typeof s.start === 'string') return gpujsDim(s.start);
  if (s.start === 0) return '0';
  if (typeof D === 'number') return String(resolvePos(s.start, D));
  const d = gpujsDim(D);
  return `Math.min(Math.max(${s.start < 0 ? `${d} + (${s.start})` : s.start}, 0), ${d})`;
}

/**
 * gpu.js: one thread per element of `part` (slice) or of `full` (slice_grad),
 * the same index math as the WGSL kernels below.
 */
function sliceGpujs(ctx: GpujsKernelContext, grad: boolean): string {
  const full = grad ? ctx.outDims[0] : ctx.inDims[0];
  const part = grad ? ctx.inDims[0] : ctx.outDims[0];
  const attrs = grad ? present(ctx.attrs) : ctx.attrs;
  const slices = sliceAxes(attrs, full, grad ? 'slice_grad' : 'slice');
  const lines: string[] = [];
  const x = ctx.in[0];
  if (!grad) {
    const c = gpujsUnravel('i', part, 'c', lines);
    const terms = slices.map((sl, d) => {
      const st = startGpujs(sl, full[d]);
      const pos = sl.step === 1 || c[d] === '0' ? c[d] : `${c[d]} * ${sl.step}`;
      return st === '0' ? pos : pos === '0' ? st : `(${st} + ${pos})`;
    });
    lines.push(`return ${x}[${gpujsDot(terms, gpujsStrides(full))}];`);
    return lines.join('\n');
  }
  const ps = gpujsStrides(part);
  const c = gpujsUnravel('i', full, 'c', lines);
  const conds: string[] = [];
  const terms: string[] = [];
  slices.forEach((sl, d) => {
    lines.push(`const p${d} = ${c[d]} - ${startGpujs(sl, full[d])};`);
    let q = `p${d}`;
    if (sl.step !== 1) {
      // floor division also for negative p (outside the slice, rejected below)
      lines.push(`const q${d} = Math.floor((p${d} + 0.5) / ${sl.step});`);
      q = `q${d}`;
      conds.push(`p${d} - q${d} * ${sl.step} === 0`);
    }
    conds.push(`p${d} >= 0`, `${q} < ${gpujsDim(part[d])}`);
    terms.push(q);
  });
  const src = gpujsDot(terms, ps);
  lines.push(conds.length ? `return ${conds.join(' && ')} ? ${x}[${src}] : 0;` : `return ${x}[${src}];`);
  return lines.join('\n');
}

/** op name -> gpu.js renderer */
export const shapeGpujsRenderers: OpTable<GpujsRenderer> = {
  reshape: {
    kernel: (ctx) => `return ${ctx.in[0]}[i];`,
  },
  transpose: {
    kernel(ctx) {
      const perm = permOf(ctx.attrs, ctx.inDims[0].length);
      const xs = gpujsStrides(ctx.inDims[0]);
      const lines: string[] = [];
      const c = gpujsUnravel('i', ctx.outDims[0], 'c', lines);
      lines.push(`return ${ctx.in[0]}[${gpujsDot(c, perm.map((p) => xs[p]))}];`);
      return lines.join('\n');
    },
  },
  broadcast_to: {
    kernel(ctx) {
      const inS = ctx.inDims[0];
      const outS = ctx.outDims[0];
      const xs = gpujsStrides(inS);
      const lead = outS.length - inS.length;
      const lines: string[] = [];
      const c = gpujsUnravel('i', outS, 'c', lines);
      const src = outS.map((_, d) => {
        if (d < lead) return '0';
        const e = inS[d - lead];
        if (e === 1) return '0';
        if (typeof e === 'number') return xs[d - lead];
        // a symbolic dim bound to 1 broadcasts (the literal comparison folds once dims are bound)
        return `(${gpujsDim(e)} === 1 ? 0 : ${xs[d - lead]})`;
      });
      lines.push(`return ${ctx.in[0]}[${gpujsDot(c, src)}];`);
      return lines.join('\n');
    },
  },
  slice: {
    kernel: (ctx) => sliceGpujs(ctx, false),
  },
  slice_grad: {
    kernel: (ctx) => sliceGpujs(ctx, true),
  },
  concat: {
    kernel(ctx) {
      const outS = ctx.outDims[0];
      const axis = normAxis(numAttr(ctx.attrs, 'axis', 0), outS.length, 'concat');
      const I = gpujsMul(outS.slice(axis + 1));
      const T = gpujsDim(outS[axis]);
      const lines = [`const cq = ${gpujsIdiv('i', I)};`, `const ii = i - cq * ${I};`, `const o = ${gpujsIdiv('cq', T)};`, `const t = cq - o * ${T};`];
      // nested ternaries from the last input inwards: t < end_k ? in_k[...] : ...
      let off: Dim = 0;
      const picks = ctx.in.map((x, k) => {
        const A = ctx.inDims[k][axis];
        const local = off === 0 ? 't' : `(t - ${gpujsDim(off)})`;
        off = dimAdd(off, A);
        return { end: gpujsDim(off), read: `${x}[(o * ${gpujsDim(A)} + ${local}) * ${I} + ii]` };
      });
      let expr = picks[picks.length - 1].read;
      for (let k = picks.length - 2; k >= 0; k--) expr = `(t < ${picks[k].end} ? ${picks[k].read} : ${expr})`;
      lines.push(`return ${expr};`);
      return lines.join('\n');
    },
  },
  one_hot: {
    kernel(ctx) {
      const depth = String(Number(ctx.attrs.depth));
      return `const r = ${gpujsIdiv('i', depth)};\nconst k = i - r * ${depth};\nreturn ${ctx.in[0]}[r] === k ? 1 : 0;`;
    },
  },
};
