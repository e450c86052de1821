/**
 * The gpu.js renderers of the ops of compiler/ops/reduce.ts.
 */
import { type GpujsKernelContext } from '../types.js';
import { normAxis } from '../../../compiler/ops/util.js';
import { gpujsDim, gpujsDot, gpujsIdiv, gpujsMul, gpujsNum, gpujsStrides, gpujsUnravel } from '../util.js';
import { numAttr } from '../../../compiler/ops/kernel-util.js';
import { reduceAxes, Mode } from '../../../compiler/ops/reduce.js';
import type { OpTable } from '../../../compiler/ops/index.js';
import type { GpujsRenderer } from '../types.js';

// ---------------------------------------------------------------- gpu.js kernels
// One thread per output element, which loops over what it reduces (constant
// bounds: dims are bound before the kernel is made).

/** reduce_sum / mean / max: the kept coordinates give the base; one loop per reduced axis. */
function gpujsReduce(ctx: GpujsKernelContext, mode: Mode, op: string): string {
  const shape = ctx.inDims[0];
  const axes = reduceAxes(ctx.attrs, shape.length, op);
  const st = gpujsStrides(shape);
  const kept = shape.map((_, d) => d).filter((d) => !axes.includes(d));
  const lines: string[] = [];
  const kc = gpujsUnravel('i', kept.map((d) => shape[d]), 'k', lines);
  lines.push(`const base = ${gpujsDot(kc, kept.map((d) => st[d]))};`);
  lines.push(`let acc = ${mode === 'max' ? gpujsNum(-Infinity) : '0'};`);
  let close = '';
  const offs: string[] = ['base'];
  axes.forEach((a, k) => {
    lines.push(`for (let r${k} = 0; r${k} < ${gpujsDim(shape[a])}; r${k}++) {`);
    close += '}';
    offs.push(st[a] === '1' ? `r${k}` : `r${k} * ${st[a]}`);
  });
  lines.push(`const v = ${ctx.in[0]}[${offs.join(' + ')}];`);
  lines.push(mode === 'max' ? 'acc = v > acc ? v : acc;' : 'acc = acc + v;');
  lines.push(close);
  lines.push(mode === 'mean' ? `return acc / ${gpujsMul(axes.map((a) => shape[a]))};` : 'return acc;');
  return lines.join('\n');
}

/** outer / axis / inner extents around `axis` as gpu.js source, and the row base of element `i` (statements into lines). */
function gpujsRow(ctx: GpujsKernelContext, axis: number, rowOf: string, lines: string[]): { R: string; I: string } {
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

function gpujsArgmax(ctx: GpujsKernelContext): string {
  const axis = normAxis(numAttr(ctx.attrs, 'axis', -1), ctx.inDims[0].length, 'argmax');
  const lines: string[] = [];
  const { R, I } = gpujsRow(ctx, axis, 'out', lines);
  const x = ctx.in[0];
  // the index is counted in a float (gpu.js types a variable once; the loop counter is an int on WebGL)
  lines.push(
    `let best = ${x}[base];`,
    'let bi = 0;',
    'let at = 0;',
    `for (let r = 1; r < ${R}; r++) {`,
    'at = at + 1;',
    `const v = ${x}[base + r * ${I}];`,
    'if (v > best) {',
    'best = v;',
    'bi = at;',
    '}',
    '}',
    'return bi;',
  );
  return lines.join('\n');
}

function gpujsSoftmax(ctx: GpujsKernelContext, log: boolean, op: string): string {
  const axis = normAxis(numAttr(ctx.attrs, 'axis', -1), ctx.inDims[0].length, op);
  const lines: string[] = [];
  const { R, I } = gpujsRow(ctx, axis, 'in', lines);
  const x = ctx.in[0];
  const at = I === '1' ? 'base + r' : `base + r * ${I}`;
  lines.push(
    `let m = ${gpujsNum(-Infinity)};`,
    `for (let r = 0; r < ${R}; r++) {`,
    `const v = ${x}[${at}];`,
    'm = v > m ? v : m;',
    '}',
    'let s = 0;',
    `for (let r = 0; r < ${R}; r++) {`,
    `s = s + Math.exp(${x}[${at}] - m);`,
    '}',
    log ? `return ${x}[i] - m - Math.log(s);` : `return Math.exp(${x}[i] - m) / s;`,
  );
  return lines.join('\n');
}

/** op name -> gpu.js renderer */
export const reduceGpujsRenderers: OpTable<GpujsRenderer> = {
  reduce_sum: {
    kernel: (ctx) => gpujsReduce(ctx, 'sum', 'reduce_sum'),
  },
  reduce_mean: {
    kernel: (ctx) => gpujsReduce(ctx, 'mean', 'reduce_mean'),
  },
  reduce_max: {
    kernel: (ctx) => gpujsReduce(ctx, 'max', 'reduce_max'),
  },
  argmax: {
    kernel: gpujsArgmax,
  },
  softmax: {
    kernel: (ctx) => gpujsSoftmax(ctx, false, 'softmax'),
  },
  log_softmax: {
    kernel: (ctx) => gpujsSoftmax(ctx, true, 'log_softmax'),
  },
};
