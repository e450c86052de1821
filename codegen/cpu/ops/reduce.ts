/**
 * The CPU renderers of the ops of compiler/ops/reduce.ts.
 */
import { type CpuKernelContext } from '../types.js';
import { normAxis } from '../../../compiler/ops/util.js';
import { mulExpr } from '../util.js';
import { numAttr } from '../../../compiler/ops/kernel-util.js';
import { reduceAxes, Mode } from '../../../compiler/ops/reduce.js';
import type { OpTable } from '../../../compiler/ops/index.js';
import type { CpuRenderer } from '../types.js';

// ---------------------------------------------------------------- CPU kernels

/**
 * Body of a reduction kernel: adjacent axes with the same status are merged,
 * the loops follow the input's memory order, accumulating into the output.
 */
function cpuReduce(ctx: CpuKernelContext, mode: Mode, op: string): string {
  const x = ctx.in[0];
  const y = ctx.out[0];
  const shape = ctx.inShape[0];
  const axes = reduceAxes(ctx.attrs, shape.length, op);
  const groups: { red: boolean; dims: string[] }[] = [];
  shape.forEach((d, i) => {
    const red = axes.includes(i);
    const last = groups[groups.length - 1];
    if (last && last.red === red) last.dims.push(d);
    else groups.push({ red, dims: [d] });
  });
  const lines: string[] = [];
  const outN = mulExpr(ctx.outShape[0]);
  lines.push(`const outN = ${outN};`);
  lines.push(`${y}.fill(${mode === 'max' ? '-Infinity' : '0'}, 0, outN);`);
  groups.forEach((g, k) => lines.push(`const n${k} = ${mulExpr(g.dims)};`));
  lines.push('let p = 0;');
  const combine = (acc: string, v: string) =>
    mode === 'max' ? `if (${v} > ${acc} || ${v} !== ${v}) ${acc} = ${v};` : `${acc} += ${v};`;
  let body = '';
  let close = '';
  let o = '0';
  groups.forEach((g, k) => {
    const last = k === groups.length - 1;
    if (!last) {
      body += `for (let i${k} = 0; i${k} < n${k}; i${k}++) {\n`;
      close += '}\n';
      if (!g.red) {
        body += `const o${k} = ${o === '0' ? '' : `${o} * n${k} + `}i${k};\n`;
        o = `o${k}`;
      }
    } else if (g.red) {
      body += `let acc = ${y}[${o}];\nfor (const end = p + n${k}; p < end; p++) { const v = ${x}[p]; ${combine('acc', 'v')} }\n${y}[${o}] = acc;\n`;
    } else {
      body += `const ob = ${o === '0' ? '0' : `${o} * n${k}`};\nfor (let j = 0; j < n${k}; j++, p++) { const v = ${x}[p]; ${combine(`${y}[ob + j]`, 'v')} }\n`;
    }
  });
  if (groups.length === 0) body = `${y}[0] = ${x}[0];\n`;
  lines.push(body + close);
  if (mode === 'mean') {
    const count = mulExpr(axes.map((a) => shape[a]));
    lines.push(`const inv = 1 / ${count};`, `for (let i = 0; i < outN; i++) ${y}[i] *= inv;`);
  }
  return lines.join('\n');
}

/** outer / axis / inner extents of `shape` around `axis` as JS expressions. */
function aroundAxis(shape: readonly string[], axis: number): { O: string; R: string; I: string } {
  return { O: mulExpr(shape.slice(0, axis)), R: shape[axis], I: mulExpr(shape.slice(axis + 1)) };
}

function cpuSoftmax(ctx: CpuKernelContext, log: boolean, op: string): string {
  const [x, y] = [ctx.in[0], ctx.out[0]];
  const axis = normAxis(numAttr(ctx.attrs, 'axis', -1), ctx.inShape[0].length, op);
  const { O, R, I } = aroundAxis(ctx.inShape[0], axis);
  // along the last axis the row is contiguous: index = base + r
  const contiguous = I === '1';
  const stepDecl = contiguous ? '' : `const I = ${I};\n`;
  const st = contiguous ? '1' : 'I';
  const loopsOpen = contiguous ? `for (let o = 0; o < O; o++) {\nconst base = o * R;\n` : `for (let o = 0; o < O; o++) for (let i = 0; i < I; i++) {\nconst base = o * R * I + i;\n`;
  const end = contiguous ? 'base + R' : 'base + R * I';
  const walk = `for (let q = base; q < end; q += ${st})`;
  const finish = log
    ? `const sh = m + Math.log(s);\n${walk} ${y}[q] = ${x}[q] - sh;`
    : `const inv = 1 / s;\n${walk} ${y}[q] = Math.exp(${x}[q] - m) * inv;`;
  return `const O = ${O}, R = ${R};
${stepDecl}${loopsOpen}const end = ${end};
let m = -Infinity;
${walk} { const v = ${x}[q]; if (v > m) m = v; }
let s = 0;
${walk} s += Math.exp(${x}[q] - m);
${finish}
}`;
}

/** op name -> CPU renderer */
export const reduceCpuRenderers: OpTable<CpuRenderer> = {
  reduce_sum: {
    kernel: (ctx) => cpuReduce(ctx, 'sum', 'reduce_sum'),
  },
  reduce_mean: {
    kernel: (ctx) => cpuReduce(ctx, 'mean', 'reduce_mean'),
  },
  reduce_max: {
    kernel: (ctx) => cpuReduce(ctx, 'max', 'reduce_max'),
  },
  argmax: {
    kernel(ctx) {
      const [x, y] = [ctx.in[0], ctx.out[0]];
      const axis = normAxis(numAttr(ctx.attrs, 'axis', -1), ctx.inShape[0].length, 'argmax');
      const { O, R, I } = aroundAxis(ctx.inShape[0], axis);
      return `const O = ${O}, R = ${R}, I = ${I};
for (let o = 0; o < O; o++) {
  for (let i = 0; i < I; i++) {
    let p = o * R * I + i;
    let best = ${x}[p], bi = 0;
    for (let r = 1; r < R; r++) { p += I; const v = ${x}[p]; if (v > best) { best = v; bi = r; } }
    ${y}[o * I + i] = bi;
  }
}`;
    },
  },
  softmax: {
    kernel: (ctx) => cpuSoftmax(ctx, false, 'softmax'),
  },
  log_softmax: {
    kernel: (ctx) => cpuSoftmax(ctx, true, 'log_softmax'),
  },
};
