/**
 * The CPU renderers of the ops of compiler/ops/shape.ts.
 */
import { dimToJs } from '../../../compiler/dims.js';
import type { Attrs } from '../../../compiler/ir.js';
import { normAxis } from '../../../compiler/ops/util.js';
import { emitStrides, mulExpr, nestedLoops, paren, type Stream } from '../util.js';
import { numAttr } from '../../../compiler/ops/kernel-util.js';
import { AxisSlice, resolvePos, sliceAxes, permOf, present } from '../../../compiler/ops/shape.js';
import type { OpTable } from '../../../compiler/ops/index.js';
import type { CpuRenderer } from '../types.js';

/** Copies n elements (n a JS expression) from x to y. */
function copyBody(x: string, y: string, n: string): string {
  return `const n = ${n};\nfor (let i = 0; i < n; i++) ${y}[i] = ${x}[i];`;
}

/** Run-time start of an axis as a JS expression (kernel); D is the axis extent expression. */
function startJs(s: AxisSlice, D: string): string {
  if (typeof s.start === 'string') return dimToJs(s.start);
  if (s.start === 0) return '0';
  if (/^\d+$/.test(D)) return String(resolvePos(s.start, Number(D)));
  return `Math.min(Math.max(${s.start < 0 ? `${paren(D)} + ${s.start}` : s.start}, 0), ${D})`;
}

/**
 * Kernel lines that walk the sliced region of a `full` tensor in step with a
 * contiguous `part` tensor: copy (slice) or scatter (slice_grad).
 */
function sliceKernel(full: string[], part: string[], attrs: Attrs, op: string, stmt: (fullOff: string, partOff: string) => string, lines: string[]): void {
  const slices = sliceAxes(attrs, full, op);
  const fs = emitStrides(full, 'fs', lines);
  const ps = emitStrides(part, 'ps', lines);
  const baseTerms: string[] = [];
  slices.forEach((s, d) => {
    const st = startJs(s, full[d]);
    if (st !== '0') {
      lines.push(`const st${d} = ${st};`);
      baseTerms.push(fs[d] === '1' ? `st${d}` : `st${d} * ${fs[d]}`);
    }
  });
  const fullStrides = slices.map((s, d) => (s.step === 1 ? fs[d] : mulExpr([fs[d], String(s.step)])));
  const streams: Stream[] = [
    { base: baseTerms.length ? baseTerms.join(' + ') : '0', strides: fullStrides },
    { base: '0', strides: ps },
  ];
  lines.push(nestedLoops(part, streams, ([f, p]) => stmt(f, p)));
}

/** op name -> CPU renderer */
export const shapeCpuRenderers: OpTable<CpuRenderer> = {
  reshape: {
    kernel: (ctx) => copyBody(ctx.in[0], ctx.out[0], mulExpr(ctx.outShape[0])),
  },
  transpose: {
    kernel(ctx) {
      const perm = permOf(ctx.attrs, ctx.inShape[0].length);
      const lines: string[] = [];
      const xs = emitStrides(ctx.inShape[0], 'xs', lines);
      const ys = emitStrides(ctx.outShape[0], 'ys', lines);
      lines.push(
        nestedLoops(ctx.outShape[0], [{ base: '0', strides: perm.map((p) => xs[p]) }, { base: '0', strides: ys }], ([s, d]) => `${ctx.out[0]}[${d}] = ${ctx.in[0]}[${s}];`),
      );
      return lines.join('\n');
    },
  },
  broadcast_to: {
    scalar: (a) => a[0],
    kernel(ctx) {
      const inS = ctx.inShape[0];
      const outS = ctx.outShape[0];
      const lines: string[] = [];
      const xs = emitStrides(inS, 'xs', lines);
      const ys = emitStrides(outS, 'ys', lines);
      const lead = outS.length - inS.length;
      const src = outS.map((_, d) => {
        if (d < lead) return '0';
        const e = inS[d - lead];
        if (e === '1') return '0';
        if (/^\d+$/.test(e)) return xs[d - lead];
        lines.push(`const bs${d} = ${paren(e)} === 1 ? 0 : ${xs[d - lead]};`);
        return `bs${d}`;
      });
      lines.push(nestedLoops(outS, [{ base: '0', strides: src }, { base: '0', strides: ys }], ([s, d]) => `${ctx.out[0]}[${d}] = ${ctx.in[0]}[${s}];`));
      return lines.join('\n');
    },
  },
  slice: {
    kernel(ctx) {
      const lines: string[] = [];
      sliceKernel(ctx.inShape[0], ctx.outShape[0], ctx.attrs, 'slice', (f, p) => `${ctx.out[0]}[${p}] = ${ctx.in[0]}[${f}];`, lines);
      return lines.join('\n');
    },
  },
  slice_grad: {
    kernel(ctx) {
      const lines: string[] = [`${ctx.out[0]}.fill(0, 0, ${mulExpr(ctx.outShape[0])});`];
      sliceKernel(ctx.outShape[0], ctx.inShape[0], present(ctx.attrs), 'slice_grad', (f, p) => `${ctx.out[0]}[${f}] = ${ctx.in[0]}[${p}];`, lines);
      return lines.join('\n');
    },
  },
  concat: {
    kernel(ctx) {
      const axis = normAxis(numAttr(ctx.attrs, 'axis', 0), ctx.outShape[0].length, 'concat');
      const y = ctx.out[0];
      const lines = [`const O = ${mulExpr(ctx.outShape[0].slice(0, axis))}, I = ${mulExpr(ctx.outShape[0].slice(axis + 1))}, T = ${ctx.outShape[0][axis]};`, 'let off = 0;'];
      ctx.in.forEach((x, k) => {
        lines.push(`{ const A = ${ctx.inShape[k][axis]}, row = A * I;
  for (let o = 0, s = 0, d = off * I; o < O; o++, d += T * I) for (let j = 0; j < row; j++, s++) ${y}[d + j] = ${x}[s];
  off += A; }`);
      });
      return lines.join('\n');
    },
  },
  one_hot: {
    kernel(ctx) {
      const [x, y] = [ctx.in[0], ctx.out[0]];
      const depth = Number(ctx.attrs.depth);
      return `const n = ${mulExpr(ctx.inShape[0])};
${y}.fill(0, 0, n * ${depth});
for (let i = 0; i < n; i++) { const v = ${x}[i]; if (v >= 0 && v < ${depth}) ${y}[i * ${depth} + v] = 1; }`;
    },
  },
};
