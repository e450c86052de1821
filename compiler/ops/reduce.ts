/**
 * Reductions (pattern kind 'reduce'): reduce_sum / reduce_mean / reduce_max
 * over a set of axes, argmax, and softmax / log_softmax along one axis.
 * CPU kernels merge runs of adjacent reduced/kept axes and walk the input
 * once in memory order; a reduction over trailing axes is a tight loop with
 * a local accumulator.
 */
import { dimProduct, shapeToString, type Dim, type Shape } from '../dims.js';
import type { Attrs, DType, TensorType } from '../ir.js';
import { ShapeError, type CpuKernelContext, type GpujsKernelContext, type OpDef, type OpSample, type RefTensor, type WgslKernel, type WgslKernelContext } from './types.js';
import { normAxis, refTensor, sizeOf, stridesOf } from './util.js';
import { boolAttr, expectArity, expectDtype, gpujsDim, gpujsDot, gpujsIdiv, gpujsMul, gpujsNum, gpujsStrides, gpujsUnravel, mulExpr, numAttr, numsAttr, wgslDim, wgslDot, wgslMul, wgslNum, wgslStrides, wgslUnravel } from './kernel-util.js';

/** Sorted, de-duplicated, normalized axes; empty or absent = all axes. */
export function reduceAxes(attrs: Attrs, rank: number, op: string): number[] {
  const raw = numsAttr(attrs, 'axes');
  if (!raw || raw.length === 0) return Array.from({ length: rank }, (_, i) => i);
  const set = new Set<number>();
  for (const a of raw) {
    const n = normAxis(a, rank, op);
    if (set.has(n)) throw new ShapeError(`${op}: axis ${a} is listed twice in axes [${raw.join(', ')}]`, 'DNN0022');
    set.add(n);
  }
  return [...set].sort((x, y) => x - y);
}

function reducedShape<T>(shape: readonly T[], axes: readonly number[], keepdims: boolean, one: T): T[] {
  const out: T[] = [];
  shape.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keepdims) out.push(one);
  });
  return out;
}

/** Shape `shape` with the reduced axes set to 1 (keepdims form). */
function keptShape(shape: Shape, axes: readonly number[]): Shape {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

// ---------------------------------------------------------------- reference

type Mode = 'sum' | 'mean' | 'max';

function refReduce(x: RefTensor, attrs: Attrs, mode: Mode, op: string): RefTensor {
  const rank = x.shape.length;
  const axes = reduceAxes(attrs, rank, op);
  const keep = boolAttr(attrs, 'keepdims', false);
  const outShape = reducedShape(x.shape, axes, keep, 1);
  const out = refTensor(x.dtype, outShape);
  const init = mode === 'max' ? -Infinity : 0;
  const acc = new Float64Array(out.data.length).fill(init);
  const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const keptStrides = stridesOf(kept);
  const inStrides = stridesOf(x.shape);
  for (let i = 0; i < x.data.length; i++) {
    let rem = i;
    let o = 0;
    for (let d = 0; d < rank; d++) {
      const idx = Math.floor(rem / inStrides[d]);
      rem -= idx * inStrides[d];
      if (!axes.includes(d)) o += idx * keptStrides[d];
    }
    const v = x.data[i];
    if (mode === 'max') {
      if (v > acc[o] || Number.isNaN(v)) acc[o] = v;
    } else acc[o] += v;
  }
  const count = axes.reduce((n, a) => n * x.shape[a], 1);
  for (let o = 0; o < acc.length; o++) out.data[o] = mode === 'mean' ? acc[o] / count : acc[o];
  return out;
}

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
  inner.push(`if (valid) { let v = ${ctx.in[0]}[base + ${wgslDot(rc, axes.map((a) => st[a]))}]; acc = ${combine('acc', 'v')}; }`);
  lines.push(...inner.map((l) => '  ' + l), '}');
  lines.push('red[li] = acc;', wgslTree(combine));
  const result = mode === 'mean' ? `red[0] / f32(${R})` : 'red[0]';
  lines.push(`if (li == 0u && valid) { ${ctx.out[0]}[o] = ${result}; }`);
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
  const x = ctx.in[0];
  const body = `let o = wg;
let valid = o < ${wgslMul([O, I])};
let base = (o / ${I}) * ${wgslMul([R, I])} + o % ${I};
var best: ${T} = ${T === 'f32' ? wgslNum(-Infinity) : 'i32(-2147483647 - 1)'};
var bi = ${R};
for (var r = li; r < ${R}; r = r + ${RED_WG}u) {
  if (valid) { let v = ${x}[base + r * ${I}]; if (bi == ${R} || v > best) { best = v; bi = r; } }
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
if (li == 0u && valid) { ${ctx.out[0]}[o] = i32(redi[0]); }`;
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
  const [x, y] = [ctx.in[0], ctx.out[0]];
  const loop = (stmt: string) => `for (var r = li; r < ${R}; r = r + ${RED_WG}u) { if (valid) { let q = base + r * ${I}; ${stmt} } }`;
  const finish = log ? `${y}[q] = ${x}[q] - sh;` : `${y}[q] = exp(${x}[q] - m) * inv;`;
  const body = `let o = wg;
let valid = o < ${wgslMul([O, I])};
let base = (o / ${I}) * ${wgslMul([R, I])} + o % ${I};
var acc = ${wgslNum(-Infinity)};
${loop(`acc = max(acc, ${x}[q]);`)}
red[li] = acc;
${wgslTree((a, b) => `max(${a}, ${b})`)}
let m = red[0];
workgroupBarrier();
var se = 0.0;
${loop(`se = se + exp(${x}[q] - m);`)}
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

// ---------------------------------------------------------------- reduce_*

function reduceInfer(op: string, dtypes: DType[]) {
  return (inputs: TensorType[], attrs: Attrs): TensorType[] => {
    expectArity(op, inputs, 1);
    expectDtype(op, inputs[0], dtypes);
    const axes = reduceAxes(attrs, inputs[0].shape.length, op);
    const keep = boolAttr(attrs, 'keepdims', false);
    return [{ dtype: inputs[0].dtype, shape: reducedShape<Dim>(inputs[0].shape, axes, keep, 1) }];
  };
}

const reduceSamples: OpSample[] = [
  { inputs: [{ shape: [2, 3] }], attrs: { axes: [1] } },
  { inputs: [{ shape: [2, 3, 4] }], attrs: { axes: [0, 2], keepdims: true } },
  { inputs: [{ shape: [2, 3, 4] }], attrs: { axes: [-2] } },
  { inputs: [{ shape: [2, 3] }], note: 'all axes' },
];

export const reduce_sum: OpDef = {
  name: 'reduce_sum',
  kind: 'reduce',
  doc: 'sum over attrs.axes (negative allowed; empty/absent = all), keepdims (default false)',
  arity: 1,
  attrNames: ['axes', 'keepdims'],
  infer: reduceInfer('reduce_sum', ['f32', 'i32']),
  reference: (inputs, attrs) => [refReduce(inputs[0], attrs, 'sum', 'reduce_sum')],
  sumOf: (node) => [...reduceAxes(node.attrs, node.inputs[0].type.shape.length, 'reduce_sum')].sort((a, b) => a - b),
  grad({ b, node, dy }) {
    const x = node.inputs[0];
    if (!dy[0] || x.type.dtype !== 'f32') return [undefined];
    const axes = reduceAxes(node.attrs, x.type.shape.length, 'reduce_sum');
    return [b.broadcastTo(b.reshape(dy[0], keptShape(x.type.shape, axes)), x.type.shape)];
  },
  cpu: (ctx) => cpuReduce(ctx, 'sum', 'reduce_sum'),
  wgsl: (ctx) => wgslReduce(ctx, 'sum', 'reduce_sum'),
  gpujs: (ctx) => gpujsReduce(ctx, 'sum', 'reduce_sum'),
  samples: reduceSamples,
};

export const reduce_mean: OpDef = {
  name: 'reduce_mean',
  kind: 'reduce',
  doc: 'mean over attrs.axes (empty/absent = all), keepdims (default false); divides by the run-time count',
  arity: 1,
  attrNames: ['axes', 'keepdims'],
  infer: reduceInfer('reduce_mean', ['f32']),
  reference: (inputs, attrs) => [refReduce(inputs[0], attrs, 'mean', 'reduce_mean')],
  grad({ b, node, dy }) {
    const x = node.inputs[0];
    if (!dy[0]) return [undefined];
    const shape = x.type.shape;
    const axes = reduceAxes(node.attrs, shape.length, 'reduce_mean');
    const count = dimProduct(axes.map((a) => shape[a]));
    // 1/count: a literal when static, else the count of the reduced dims at run time (no kernel of its own)
    const scaled =
      typeof count === 'number' ? b.mul(dy[0], b.scalar(1 / count)) : b.div(dy[0], b.op('element_count', [], { shape: axes.map((a) => shape[a]) }));
    // a scalar broadcasts as it is (no reshape: the chain stays one elementwise producer)
    return [b.broadcastTo(scaled.type.shape.length === 0 ? scaled : b.reshape(scaled, keptShape(shape, axes)), shape)];
  },
  cpu: (ctx) => cpuReduce(ctx, 'mean', 'reduce_mean'),
  wgsl: (ctx) => wgslReduce(ctx, 'mean', 'reduce_mean'),
  gpujs: (ctx) => gpujsReduce(ctx, 'mean', 'reduce_mean'),
  samples: reduceSamples,
};

export const reduce_max: OpDef = {
  name: 'reduce_max',
  kind: 'reduce',
  doc: 'max over attrs.axes (empty/absent = all), keepdims (default false); tied maxima share the gradient',
  arity: 1,
  attrNames: ['axes', 'keepdims'],
  infer: reduceInfer('reduce_max', ['f32', 'i32']),
  reference: (inputs, attrs) => [refReduce(inputs[0], attrs, 'max', 'reduce_max')],
  grad({ b, node, dy }) {
    const x = node.inputs[0];
    if (!dy[0] || x.type.dtype !== 'f32') return [undefined];
    const shape = x.type.shape;
    const axes = reduceAxes(node.attrs, shape.length, 'reduce_max');
    const keep = keptShape(shape, axes);
    const yk = b.broadcastTo(b.reshape(node.outputs[0], keep), shape);
    const mask = b.op('cast', [b.op('equal', [x, yk])], { dtype: 'f32' });
    const count = b.op('reduce_sum', [mask], { axes, keepdims: true });
    const gk = b.div(b.reshape(dy[0], keep), count);
    return [b.mul(mask, b.broadcastTo(gk, shape))];
  },
  cpu: (ctx) => cpuReduce(ctx, 'max', 'reduce_max'),
  wgsl: (ctx) => wgslReduce(ctx, 'max', 'reduce_max'),
  gpujs: (ctx) => gpujsReduce(ctx, 'max', 'reduce_max'),
  samples: reduceSamples,
};

// ---------------------------------------------------------------- argmax

export const argmax: OpDef = {
  name: 'argmax',
  kind: 'reduce',
  doc: 'index of the largest element along attrs.axis (default -1; first on ties), keepdims (default false) -> i32',
  arity: 1,
  attrNames: ['axis', 'keepdims'],
  infer(inputs, attrs) {
    expectArity('argmax', inputs, 1);
    expectDtype('argmax', inputs[0], ['f32', 'i32']);
    const axis = normAxis(numAttr(attrs, 'axis', -1), inputs[0].shape.length, 'argmax');
    return [{ dtype: 'i32', shape: reducedShape<Dim>(inputs[0].shape, [axis], boolAttr(attrs, 'keepdims', false), 1) }];
  },
  reference(inputs, attrs) {
    const x = inputs[0];
    const axis = normAxis(numAttr(attrs, 'axis', -1), x.shape.length, 'argmax');
    const out = refTensor('i32', reducedShape(x.shape, [axis], boolAttr(attrs, 'keepdims', false), 1));
    const O = sizeOf(x.shape.slice(0, axis));
    const R = x.shape[axis];
    const I = sizeOf(x.shape.slice(axis + 1));
    for (let o = 0; o < O; o++)
      for (let i = 0; i < I; i++) {
        let best = -Infinity;
        let bi = 0;
        for (let r = 0; r < R; r++) {
          const v = x.data[(o * R + r) * I + i];
          if (v > best) {
            best = v;
            bi = r;
          }
        }
        out.data[o * I + i] = bi;
      }
    return [out];
  },
  cpu(ctx) {
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
  wgsl: wgslArgmax,
  gpujs: gpujsArgmax,
  samples: [
    { inputs: [{ shape: [2, 3] }] },
    { inputs: [{ shape: [2, 3, 4] }], attrs: { axis: 1, keepdims: true } },
  ],
};

// ---------------------------------------------------------------- softmax

function softmaxInfer(op: string) {
  return (inputs: TensorType[], attrs: Attrs): TensorType[] => {
    expectArity(op, inputs, 1);
    expectDtype(op, inputs[0], ['f32']);
    if (inputs[0].shape.length === 0) throw new ShapeError(`${op}: needs a tensor of rank >= 1, got ${shapeToString(inputs[0].shape)}`, 'DNN0008');
    normAxis(numAttr(attrs, 'axis', -1), inputs[0].shape.length, op);
    return [{ dtype: 'f32', shape: [...inputs[0].shape] }];
  };
}

function refSoftmax(x: RefTensor, attrs: Attrs, log: boolean, op: string): RefTensor {
  const axis = normAxis(numAttr(attrs, 'axis', -1), x.shape.length, op);
  const out = refTensor('f32', x.shape);
  const O = sizeOf(x.shape.slice(0, axis));
  const R = x.shape[axis];
  const I = sizeOf(x.shape.slice(axis + 1));
  for (let o = 0; o < O; o++)
    for (let i = 0; i < I; i++) {
      const at = (r: number) => (o * R + r) * I + i;
      let m = -Infinity;
      for (let r = 0; r < R; r++) m = Math.max(m, x.data[at(r)]);
      let s = 0;
      for (let r = 0; r < R; r++) s += Math.exp(x.data[at(r)] - m);
      const ls = Math.log(s);
      for (let r = 0; r < R; r++) {
        const z = x.data[at(r)] - m;
        out.data[at(r)] = log ? z - ls : Math.exp(z) / s;
      }
    }
  return out;
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

const softmaxSamples: OpSample[] = [
  { inputs: [{ shape: [2, 3], range: [-2, 2] }] },
  { inputs: [{ shape: [2, 3, 4], range: [-2, 2] }], attrs: { axis: 1 } },
];

export const softmax: OpDef = {
  name: 'softmax',
  kind: 'reduce',
  doc: 'exp(x - max) / sum(exp(x - max)) along attrs.axis (default -1)',
  arity: 1,
  attrNames: ['axis'],
  infer: softmaxInfer('softmax'),
  reference: (inputs, attrs) => [refSoftmax(inputs[0], attrs, false, 'softmax')],
  grad({ b, node, dy }) {
    const g = dy[0];
    if (!g) return [undefined];
    const y = node.outputs[0];
    const axis = normAxis(numAttr(node.attrs, 'axis', -1), y.type.shape.length, 'softmax');
    const s = b.op('reduce_sum', [b.mul(g, y)], { axes: [axis], keepdims: true });
    return [b.mul(y, b.sub(g, s))];
  },
  cpu: (ctx) => cpuSoftmax(ctx, false, 'softmax'),
  wgsl: (ctx) => wgslSoftmax(ctx, false, 'softmax'),
  gpujs: (ctx) => gpujsSoftmax(ctx, false, 'softmax'),
  samples: softmaxSamples,
};

export const log_softmax: OpDef = {
  name: 'log_softmax',
  kind: 'reduce',
  doc: 'x - max - log(sum(exp(x - max))) along attrs.axis (default -1)',
  arity: 1,
  attrNames: ['axis'],
  infer: softmaxInfer('log_softmax'),
  reference: (inputs, attrs) => [refSoftmax(inputs[0], attrs, true, 'log_softmax')],
  grad({ b, node, dy }) {
    const g = dy[0];
    if (!g) return [undefined];
    const y = node.outputs[0];
    const axis = normAxis(numAttr(node.attrs, 'axis', -1), y.type.shape.length, 'log_softmax');
    const s = b.op('reduce_sum', [g], { axes: [axis], keepdims: true });
    return [b.sub(g, b.mul(b.op('exp', [y]), s))];
  },
  cpu: (ctx) => cpuSoftmax(ctx, true, 'log_softmax'),
  wgsl: (ctx) => wgslSoftmax(ctx, true, 'log_softmax'),
  gpujs: (ctx) => gpujsSoftmax(ctx, true, 'log_softmax'),
  samples: softmaxSamples,
};
