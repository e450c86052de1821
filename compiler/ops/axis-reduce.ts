/**
 * Reductions along one axis (pattern kind 'reduce'): argmax, and softmax /
 * log_softmax (max-subtracted, one pass for the maximum, one for the sum).
 */
import { dimProduct, shapeToString, type Dim } from '../dims.js';
import type { Attrs, TensorType } from '../ir.js';
import { ShapeError, type CpuKernelContext, type GpujsKernelContext, type OpDef, type OpSample, type RefTensor, type WgslKernel, type WgslKernelContext } from './types.js';
import { normAxis, refTensor, sizeOf } from './util.js';
import { boolAttr, expectArity, expectDtype, gpujsNum, numAttr, wgslMul, wgslNum } from './kernel-util.js';
import { aroundAxis, aroundAxisWgsl, gpujsRow, RED_WG, reducedShape, wgslTree } from './reduce-util.js';

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
