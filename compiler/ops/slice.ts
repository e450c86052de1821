/**
 * slice and its gradient slice_grad (pattern kind 'injective'): per-axis
 * start, end and step, with numpy's negative positions and symbolic dims.
 */
import { dimAdd, dimProduct, dimSub, dimToJs, evalDim, shapeEq, shapeToString, type Dim, type DimEnv, type Shape } from '../dims.js';
import type { Attrs } from '../ir.js';
import { ShapeError, type GpujsKernelContext, type OpDef, type WgslKernel, type WgslKernelContext } from './types.js';
import { normAxis, refTensor, stridesOf } from './util.js';
import { emitStrides, expectArity, gpujsDim, gpujsDot, gpujsStrides, gpujsUnravel, mulExpr, nestedLoops, numsAttr, paren, wgslDim, wgslDot, wgslLiteral, wgslPerElement, wgslStrides, wgslUnravel, type Stream } from './kernel-util.js';
import { dimsAttr, forEachIndex, SLICE_END } from './shape-util.js';

interface AxisSlice {
  /** start as given (a number with numpy's negative convention, or a symbolic position) */
  start: Dim;
  end: Dim;
  step: number;
}

/** Per axis of a tensor of rank `rank`, the slice taken (whole axis when not listed). */
function sliceAxes(attrs: Attrs, shape: readonly Dim[], op: string): AxisSlice[] {
  const rank = shape.length;
  const starts = (attrs.starts as Dim[] | undefined) ?? [];
  const ends = (attrs.ends as Dim[] | undefined) ?? [];
  const steps = numsAttr(attrs, 'steps') ?? [];
  const n = Math.max(starts.length, ends.length);
  const axes = numsAttr(attrs, 'axes') ?? Array.from({ length: n }, (_, i) => i);
  if (starts.length > axes.length || ends.length > axes.length || steps.length > axes.length)
    throw new ShapeError(`${op}: starts/ends/steps list more entries than axes [${axes.join(', ')}]`, 'DNN0022');
  const out: AxisSlice[] = shape.map((d) => ({ start: 0, end: d, step: 1 }));
  const seen = new Set<number>();
  axes.forEach((a, i) => {
    const ax = normAxis(a, rank, op);
    if (seen.has(ax)) throw new ShapeError(`${op}: axis ${a} is sliced twice`, 'DNN0022');
    seen.add(ax);
    const step = steps[i] ?? 1;
    if (!Number.isInteger(step) || step <= 0) throw new ShapeError(`${op}: steps must be positive integers, got ${step}`, 'DNN0022');
    out[ax] = { start: starts[i] ?? 0, end: ends[i] ?? SLICE_END, step };
  });
  return out;
}

const clamp = (v: number, lo: number, hi: number) => (v < lo ? lo : v > hi ? hi : v);
/** numpy's rule for a numeric start/end on an axis of static size D */
const resolvePos = (p: number, D: number) => clamp(p < 0 ? p + D : p, 0, D);

/** Output dim of one sliced axis (static: numpy clamping; symbolic: dim arithmetic, step 1 only). */
function slicedDim(D: Dim, s: AxisSlice, op: string, shape: readonly Dim[]): Dim {
  if (typeof D === 'number' && typeof s.start === 'number' && typeof s.end === 'number') {
    const a = resolvePos(s.start, D);
    const e = resolvePos(s.end, D);
    return Math.max(0, Math.ceil((e - a) / s.step));
  }
  if (s.step !== 1) throw new ShapeError(`${op}: a step other than 1 on the symbolic dim ${D} of ${shapeToString(shape)}`, 'DNN0015');
  if (s.start === 0 && s.end === SLICE_END) return D;
  const symPos = (p: Dim, isEnd: boolean): Dim =>
    typeof p === 'string' ? p : isEnd && p >= SLICE_END ? D : p < 0 ? dimAdd(D, p) : p;
  return dimSub(symPos(s.end, true), symPos(s.start, false));
}

function sliceOutShape(shape: readonly Dim[], attrs: Attrs, op: string): Shape {
  return sliceAxes(attrs, shape, op).map((s, d) => slicedDim(shape[d], s, op, shape));
}

/** Run-time start of an axis (reference). */
function runtimeStart(s: AxisSlice, D: number, dims: DimEnv): number {
  return typeof s.start === 'string' ? evalDim(s.start, dims) : resolvePos(s.start, D);
}

/** Run-time start of an axis as a JS expression (kernel); D is the axis extent expression. */
function startJs(s: AxisSlice, D: string): string {
  if (typeof s.start === 'string') return dimToJs(s.start);
  if (s.start === 0) return '0';
  if (/^\d+$/.test(D)) return String(resolvePos(s.start, Number(D)));
  return `Math.min(Math.max(${s.start < 0 ? `${paren(D)} + ${s.start}` : s.start}, 0), ${D})`;
}

/** Run-time start of an axis as a WGSL u32 expression; D is the axis extent (WGSL). */
function startWgsl(s: AxisSlice, D: string): string {
  if (typeof s.start === 'string') return wgslDim(s.start);
  if (s.start === 0) return '0u';
  const lit = wgslLiteral(D);
  if (lit !== undefined) return `${resolvePos(s.start, lit)}u`;
  return `u32(clamp(${s.start < 0 ? `i32(${D}) + (${s.start})` : s.start}, 0, i32(${D})))`;
}

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
    lines.push(`${ctx.out[0]}[idx] = ${ctx.in[0]}[${wgslDot(terms, fs)}];`);
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
  lines.push(`${ctx.out[0]}[idx] = select(${zero}, ${ctx.in[0]}[min(src, arrayLength(&${ctx.in[0]}) - 1u)], inside);`);
  return wgslPerElement(dimProduct(ctx.outDims[0]), lines.join('\n'));
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

function refSliceWalk(fullShape: number[], attrs: Attrs, dims: DimEnv, op: string, f: (fullOff: number, partFlat: number) => void): number[] {
  const slices = sliceAxes(attrs, fullShape, op);
  const partShape = slices.map((s, d) => slicedDim(fullShape[d], { ...s, start: runtimeStart(s, fullShape[d], dims), end: typeof s.end === 'string' ? evalDim(s.end, dims) : s.end }, op, fullShape) as number);
  const st = stridesOf(fullShape);
  const starts = slices.map((s, d) => runtimeStart(s, fullShape[d], dims));
  forEachIndex(partShape, (idx, flat) => {
    let off = 0;
    for (let d = 0; d < idx.length; d++) off += (starts[d] + idx[d] * slices[d].step) * st[d];
    f(off, flat);
  });
  return partShape;
}

const sliceAttrNames = ['axes', 'starts', 'ends', 'steps'];

export const slice: OpDef = {
  name: 'slice',
  kind: 'injective',
  doc: `x[starts:ends:steps] along attrs.axes (negative starts/ends count from the end; ends >= ${SLICE_END} or absent = to the end; symbolic positions allowed)`,
  arity: 1,
  attrNames: sliceAttrNames,
  infer(inputs, attrs) {
    expectArity('slice', inputs, 1);
    return [{ dtype: inputs[0].dtype, shape: sliceOutShape(inputs[0].shape, attrs, 'slice') }];
  },
  reference(inputs, attrs, dims) {
    const x = inputs[0];
    const vals: number[] = [];
    const shape = refSliceWalk(x.shape, attrs, dims, 'slice', (off) => vals.push(x.data[off]));
    return [refTensor(x.dtype, shape, vals)];
  },
  grad({ b, node, dy }) {
    const x = node.inputs[0];
    if (!dy[0] || x.type.dtype !== 'f32') return [undefined];
    return [b.op('slice_grad', [dy[0]], { ...present(node.attrs), shape: x.type.shape })];
  },
  cpu(ctx) {
    const lines: string[] = [];
    sliceKernel(ctx.inShape[0], ctx.outShape[0], ctx.attrs, 'slice', (f, p) => `${ctx.out[0]}[${p}] = ${ctx.in[0]}[${f}];`, lines);
    return lines.join('\n');
  },
  wgsl: (ctx) => sliceWgsl(ctx, false),
  gpujs: (ctx) => sliceGpujs(ctx, false),
  samples: [
    { inputs: [{ shape: [2, 5] }], attrs: { axes: [1], starts: [1], ends: [-1] } },
    { inputs: [{ shape: [3, 4, 5] }], attrs: { axes: [0, 2], starts: [-2, 0], ends: [SLICE_END, 5], steps: [1, 2] } },
  ],
};

/** Strips null attrs (slice attrs that were absent). */
function present(attrs: Attrs): Attrs {
  const out: Attrs = {};
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) out[k] = v;
  return out;
}

export const slice_grad: OpDef = {
  name: 'slice_grad',
  kind: 'injective',
  doc: 'the gradient of slice: a zero tensor of attrs.shape with the input placed where slice (same attrs) reads',
  arity: 1,
  attrNames: ['shape', ...sliceAttrNames],
  infer(inputs, attrs) {
    expectArity('slice_grad', inputs, 1);
    const full = dimsAttr(attrs, 'shape', 'slice_grad');
    const part = sliceOutShape(full, present(attrs), 'slice_grad');
    if (!shapeEq(part, inputs[0].shape))
      throw new ShapeError(`slice_grad: input ${shapeToString(inputs[0].shape)} does not match the slice ${shapeToString(part)} of ${shapeToString(full)}`);
    return [{ dtype: inputs[0].dtype, shape: full }];
  },
  reference(inputs, attrs, dims) {
    const g = inputs[0];
    const full = dimsAttr(attrs, 'shape', 'slice_grad').map((d) => evalDim(d, dims));
    const out = refTensor(g.dtype, full);
    refSliceWalk(full, present(attrs), dims, 'slice_grad', (off, flat) => (out.data[off] = g.data[flat]));
    return [out];
  },
  grad({ b, node, dy }) {
    if (!dy[0] || node.inputs[0].type.dtype !== 'f32') return [undefined];
    const { shape: _s, ...rest } = present(node.attrs);
    return [b.op('slice', [dy[0]], rest)];
  },
  cpu(ctx) {
    const lines: string[] = [`${ctx.out[0]}.fill(0, 0, ${mulExpr(ctx.outShape[0])});`];
    sliceKernel(ctx.outShape[0], ctx.inShape[0], present(ctx.attrs), 'slice_grad', (f, p) => `${ctx.out[0]}[${f}] = ${ctx.in[0]}[${p}];`, lines);
    return lines.join('\n');
  },
  wgsl: (ctx) => sliceWgsl(ctx, true),
  gpujs: (ctx) => sliceGpujs(ctx, true),
  samples: [
    { inputs: [{ shape: [2, 3] }], attrs: { shape: [2, 5], axes: [1], starts: [1], ends: [-1] } },
    { inputs: [{ shape: [2, 4, 3] }], attrs: { shape: [3, 4, 5], axes: [0, 2], starts: [-2, 0], ends: [SLICE_END, 5], steps: [1, 2] } },
  ],
};
