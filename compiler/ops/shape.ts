/**
 * Shape ops (pattern kind 'injective'): reshape, transpose, broadcast_to,
 * slice and its gradient slice_grad, concat, one_hot. Shapes may hold
 * symbolic dims; they are checked with dim arithmetic (B*784 = 784*B) and
 * bound at run time (`dims` in references, `dims.B` in kernels).
 */
import { dimAdd, dimDiv, dimEq, dimProduct, dimSub, dimToJs, evalDim, normDim, shapeEq, shapeToString, type Dim, type DimEnv, type Shape } from '../dims.js';
import type { Attrs, TensorType } from '../ir.js';
import { ShapeError, type GpujsKernelContext, type OpDef, type WgslKernel, type WgslKernelContext } from './types.js';
import { normAxis, refTensor, sizeOf, stridesOf } from './util.js';
import { emitStrides, expectArity, expectDtype, gpujsDim, gpujsDot, gpujsIdiv, gpujsMul, gpujsStrides, gpujsUnravel, mulExpr, nestedLoops, numAttr, numsAttr, paren, wgslDim, wgslDot, wgslLiteral, wgslMul, wgslPerElement, wgslStrides, wgslUnravel, type Stream } from './kernel-util.js';

/** An `ends` entry at least this large means "to the end of the axis" (also for symbolic dims). */
export const SLICE_END = 2147483647;

function dimsAttr(attrs: Attrs, name: string, op: string): Dim[] {
  const v = attrs[name];
  if (!Array.isArray(v)) throw new ShapeError(`${op}: attribute '${name}' must be a list of dims`, 'DNN0022');
  return (v as Dim[]).map((d) => (typeof d === 'number' ? d : normDim(d)));
}

/** Copies n elements (n a JS expression) from x to y. */
function copyBody(x: string, y: string, n: string): string {
  return `const n = ${n};\nfor (let i = 0; i < n; i++) ${y}[i] = ${x}[i];`;
}

/** Inverts each position of an iteration over `shape` (for references). */
function forEachIndex(shape: readonly number[], f: (idx: number[], flat: number) => void): void {
  const n = sizeOf(shape);
  const idx = new Array<number>(shape.length).fill(0);
  for (let flat = 0; flat < n; flat++) {
    f(idx, flat);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
}

// ---------------------------------------------------------------- reshape

/** The target shape with a -1 entry replaced; throws DNN0007 when the element counts differ. */
function reshapeTarget(from: Shape, target: Dim[], op = 'reshape'): Shape {
  const count = dimProduct(from);
  const holes = target.flatMap((d, i) => (d === -1 ? [i] : []));
  if (holes.length > 1) throw new ShapeError(`${op}: at most one -1 is allowed in the target shape ${shapeToString(target)}`, 'DNN0022');
  for (const d of target)
    if (typeof d === 'number' && (d < -1 || !Number.isInteger(d)))
      throw new ShapeError(`${op}: invalid dim ${d} in the target shape ${shapeToString(target)}`, 'DNN0022');
  const out = [...target];
  if (holes.length === 1) {
    const known = dimProduct(target.filter((_, i) => i !== holes[0]));
    const inferred = dimEq(known, 0) ? undefined : dimDiv(count, known);
    if (inferred === undefined)
      throw new ShapeError(
        `${op}: cannot reshape ${shapeToString(from)} (${count} elements) to ${shapeToString(target)}: ${count} is not a multiple of ${known}`,
      );
    out[holes[0]] = inferred;
  }
  const outCount = dimProduct(out);
  if (!dimEq(outCount, count))
    throw new ShapeError(
      `${op}: cannot reshape ${shapeToString(from)} (${count} elements) to ${shapeToString(out)} (${outCount} elements)`,
    );
  return out;
}

export const reshape: OpDef = {
  name: 'reshape',
  kind: 'injective',
  doc: 'same elements, new shape attrs.shape (symbolic dims allowed; one -1 is inferred)',
  arity: 1,
  attrNames: ['shape'],
  infer(inputs, attrs) {
    expectArity('reshape', inputs, 1);
    return [{ dtype: inputs[0].dtype, shape: reshapeTarget(inputs[0].shape, dimsAttr(attrs, 'shape', 'reshape')) }];
  },
  reference(inputs, attrs, dims) {
    const x = inputs[0];
    const target = dimsAttr(attrs, 'shape', 'reshape');
    const known = target.filter((d) => d !== -1).map((d) => evalDim(d, dims));
    const shape = target.map((d) => (d === -1 ? x.data.length / sizeOf(known) : evalDim(d, dims)));
    if (sizeOf(shape) !== x.data.length)
      throw new Error(`reshape: ${x.data.length} elements do not fit [${shape.join(', ')}]`);
    return [refTensor(x.dtype, shape, x.data)];
  },
  grad: ({ b, node, dy }) => [dy[0] && node.inputs[0].type.dtype === 'f32' ? b.reshape(dy[0], node.inputs[0].type.shape) : undefined],
  cpu: (ctx) => copyBody(ctx.in[0], ctx.out[0], mulExpr(ctx.outShape[0])),
  wgsl: (ctx) => wgslPerElement(dimProduct(ctx.outDims[0]), `${ctx.out[0]}[idx] = ${ctx.in[0]}[idx];`),
  gpujs: (ctx) => `return ${ctx.in[0]}[i];`,
  samples: [
    { inputs: [{ shape: [2, 3] }], attrs: { shape: [3, 2] } },
    { inputs: [{ shape: [2, 3, 4] }], attrs: { shape: [-1, 4] } },
  ],
};

// ---------------------------------------------------------------- transpose

function permOf(attrs: Attrs, rank: number, op = 'transpose'): number[] {
  const p = numsAttr(attrs, 'perm');
  if (!p || p.length === 0) return Array.from({ length: rank }, (_, i) => rank - 1 - i);
  const norm = p.map((a) => normAxis(a, rank, op));
  if (norm.length !== rank || new Set(norm).size !== rank)
    throw new ShapeError(`${op}: perm [${p.join(', ')}] is not a permutation of the ${rank} axes`, 'DNN0022');
  return norm;
}

export const transpose: OpDef = {
  name: 'transpose',
  kind: 'injective',
  doc: 'permute axes: out dim i = in dim perm[i] (default: reverse)',
  arity: 1,
  attrNames: ['perm'],
  infer(inputs, attrs) {
    expectArity('transpose', inputs, 1);
    const perm = permOf(attrs, inputs[0].shape.length);
    return [{ dtype: inputs[0].dtype, shape: perm.map((p) => inputs[0].shape[p]) }];
  },
  reference(inputs, attrs) {
    const x = inputs[0];
    const perm = permOf(attrs, x.shape.length);
    const out = refTensor(x.dtype, perm.map((p) => x.shape[p]));
    const st = stridesOf(x.shape);
    forEachIndex(out.shape, (idx, flat) => {
      let off = 0;
      for (let d = 0; d < idx.length; d++) off += idx[d] * st[perm[d]];
      out.data[flat] = x.data[off];
    });
    return [out];
  },
  grad({ b, node, dy }) {
    if (!dy[0] || node.inputs[0].type.dtype !== 'f32') return [undefined];
    const perm = permOf(node.attrs, node.inputs[0].type.shape.length);
    const inv = new Array<number>(perm.length);
    perm.forEach((p, i) => (inv[p] = i));
    return [b.op('transpose', [dy[0]], { perm: inv })];
  },
  cpu(ctx) {
    const perm = permOf(ctx.attrs, ctx.inShape[0].length);
    const lines: string[] = [];
    const xs = emitStrides(ctx.inShape[0], 'xs', lines);
    const ys = emitStrides(ctx.outShape[0], 'ys', lines);
    lines.push(
      nestedLoops(ctx.outShape[0], [{ base: '0', strides: perm.map((p) => xs[p]) }, { base: '0', strides: ys }], ([s, d]) => `${ctx.out[0]}[${d}] = ${ctx.in[0]}[${s}];`),
    );
    return lines.join('\n');
  },
  wgsl(ctx) {
    const perm = permOf(ctx.attrs, ctx.inShape[0].length);
    const xs = wgslStrides(ctx.inShape[0]);
    const lines: string[] = [];
    const c = wgslUnravel('idx', ctx.outShape[0], 'c', lines);
    lines.push(`${ctx.out[0]}[idx] = ${ctx.in[0]}[${wgslDot(c, perm.map((p) => xs[p]))}];`);
    return wgslPerElement(dimProduct(ctx.outDims[0]), lines.join('\n'));
  },
  gpujs(ctx) {
    const perm = permOf(ctx.attrs, ctx.inDims[0].length);
    const xs = gpujsStrides(ctx.inDims[0]);
    const lines: string[] = [];
    const c = gpujsUnravel('i', ctx.outDims[0], 'c', lines);
    lines.push(`return ${ctx.in[0]}[${gpujsDot(c, perm.map((p) => xs[p]))}];`);
    return lines.join('\n');
  },
  samples: [
    { inputs: [{ shape: [2, 3] }] },
    { inputs: [{ shape: [2, 3, 4] }], attrs: { perm: [1, 2, 0] } },
  ],
};

// ---------------------------------------------------------------- broadcast_to

export const broadcast_to: OpDef = {
  name: 'broadcast_to',
  // a broadcast pattern: fused loops read the smaller input by broadcast index math
  kind: 'broadcast',
  scalarJs: (a) => a[0],
  scalarWgsl: (a) => a[0],
  doc: 'repeat along dims of size 1 (and new leading dims) to attrs.shape',
  arity: 1,
  attrNames: ['shape'],
  infer(inputs, attrs) {
    expectArity('broadcast_to', inputs, 1);
    const from = inputs[0].shape;
    const to = dimsAttr(attrs, 'shape', 'broadcast_to');
    const lead = to.length - from.length;
    const ok = lead >= 0 && from.every((d, i) => dimEq(d, to[lead + i]) || dimEq(d, 1));
    if (!ok) throw new ShapeError(`broadcast_to: cannot broadcast ${shapeToString(from)} to ${shapeToString(to)}`);
    return [{ dtype: inputs[0].dtype, shape: to }];
  },
  reference(inputs, attrs, dims) {
    const x = inputs[0];
    const to = dimsAttr(attrs, 'shape', 'broadcast_to').map((d) => evalDim(d, dims));
    const out = refTensor(x.dtype, to);
    const lead = to.length - x.shape.length;
    const st = stridesOf(x.shape);
    forEachIndex(to, (idx, flat) => {
      let off = 0;
      for (let d = 0; d < x.shape.length; d++) if (x.shape[d] !== 1) off += idx[lead + d] * st[d];
      out.data[flat] = x.data[off];
    });
    return [out];
  },
  grad: ({ b, node, dy }) => [dy[0] && node.inputs[0].type.dtype === 'f32' ? b.unbroadcast(dy[0], node.inputs[0].type.shape) : undefined],
  cpu(ctx) {
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
  wgsl(ctx) {
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
    lines.push(`${ctx.out[0]}[idx] = ${ctx.in[0]}[${wgslDot(c, src)}];`);
    return wgslPerElement(dimProduct(ctx.outDims[0]), lines.join('\n'));
  },
  gpujs(ctx) {
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
  samples: [
    { inputs: [{ shape: [3] }], attrs: { shape: [2, 3] } },
    { inputs: [{ shape: [2, 1, 4] }], attrs: { shape: [3, 2, 3, 4] } },
  ],
};

// ---------------------------------------------------------------- slice

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

// ---------------------------------------------------------------- concat

export const concat: OpDef = {
  name: 'concat',
  kind: 'injective',
  doc: 'join tensors along attrs.axis (default 0); other dims must agree',
  arity: 'variadic',
  attrNames: ['axis'],
  infer(inputs, attrs) {
    if (inputs.length === 0) throw new ShapeError('concat: needs at least one input', 'DNN0017');
    const first = inputs[0];
    const rank = first.shape.length;
    const shapes = inputs.map((t) => shapeToString(t.shape)).join(', ');
    if (rank === 0) throw new ShapeError(`concat: cannot concatenate scalars (${shapes})`, 'DNN0008');
    const axis = normAxis(numAttr(attrs, 'axis', 0), rank, 'concat');
    let total: Dim = 0;
    for (const t of inputs) {
      if (t.dtype !== first.dtype)
        throw new ShapeError(`concat: inputs have different dtypes: ${inputs.map((u) => u.dtype + shapeToString(u.shape)).join(', ')}`, 'DNN0018');
      if (t.shape.length !== rank || t.shape.some((d, i) => i !== axis && !dimEq(d, first.shape[i])))
        throw new ShapeError(`concat: shapes ${shapes} differ outside axis ${axis}`);
      total = dimAdd(total, t.shape[axis]);
    }
    const shape = [...first.shape];
    shape[axis] = total;
    return [{ dtype: first.dtype, shape }];
  },
  reference(inputs, attrs) {
    const rank = inputs[0].shape.length;
    const axis = normAxis(numAttr(attrs, 'axis', 0), rank, 'concat');
    const shape = [...inputs[0].shape];
    shape[axis] = inputs.reduce((s, t) => s + t.shape[axis], 0);
    const out = refTensor(inputs[0].dtype, shape);
    const O = sizeOf(shape.slice(0, axis));
    const I = sizeOf(shape.slice(axis + 1));
    const T = shape[axis];
    let off = 0;
    for (const t of inputs) {
      const A = t.shape[axis];
      for (let o = 0; o < O; o++)
        for (let j = 0; j < A * I; j++) out.data[(o * T + off) * I + j] = t.data[o * A * I + j];
      off += A;
    }
    return [out];
  },
  grad({ b, node, dy }) {
    const g = dy[0];
    if (!g || node.outputs[0].type.dtype !== 'f32') return node.inputs.map(() => undefined);
    const axis = normAxis(numAttr(node.attrs, 'axis', 0), g.type.shape.length, 'concat');
    let off: Dim = 0;
    return node.inputs.map((x) => {
      const end = dimAdd(off, x.type.shape[axis]);
      const r = b.op('slice', [g], { axes: [axis], starts: [off], ends: [end] });
      off = end;
      return r;
    });
  },
  cpu(ctx) {
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
  wgsl(ctx) {
    const outS = ctx.outShape[0];
    const axis = normAxis(numAttr(ctx.attrs, 'axis', 0), outS.length, 'concat');
    const I = wgslMul(outS.slice(axis + 1));
    const T = outS[axis];
    const lines = [`let i = idx % ${I};`, `let t = (idx / ${I}) % ${T};`, `let o = idx / ${wgslMul([I, T])};`];
    let off = '0u';
    ctx.in.forEach((x, k) => {
      const A = ctx.inShape[k][axis];
      const end = off === '0u' ? A : `${off} + ${A}`;
      const local = off === '0u' ? 't' : `(t - (${off}))`;
      const cond = k === ctx.in.length - 1 ? '' : `if (t < ${end}) `;
      lines.push(`${k === 0 ? '' : 'else '}${cond}{ ${ctx.out[0]}[idx] = ${x}[(o * ${A} + ${local}) * ${I} + i]; }`);
      off = end;
    });
    return wgslPerElement(dimProduct(ctx.outDims[0]), lines.join('\n'));
  },
  gpujs(ctx) {
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
  samples: [
    { inputs: [{ shape: [2, 3] }, { shape: [1, 3] }] },
    { inputs: [{ shape: [2, 3, 2] }, { shape: [2, 1, 2] }, { shape: [2, 2, 2] }], attrs: { axis: 1 } },
    { inputs: [{ shape: [2, 2] }, { shape: [2, 3] }], attrs: { axis: -1 } },
  ],
};

// ---------------------------------------------------------------- one_hot

export const one_hot: OpDef = {
  name: 'one_hot',
  kind: 'injective',
  doc: 'i32 class indices [...] -> f32 [..., attrs.depth] with a 1 at each index (out of range: all zeros)',
  arity: 1,
  attrNames: ['depth'],
  infer(inputs: TensorType[], attrs: Attrs) {
    expectArity('one_hot', inputs, 1);
    expectDtype('one_hot', inputs[0], ['i32']);
    const depth = attrs.depth;
    if (typeof depth !== 'number' || !Number.isInteger(depth) || depth <= 0)
      throw new ShapeError(`one_hot: depth must be a positive integer, got ${String(depth)}`, 'DNN0022');
    return [{ dtype: 'f32', shape: [...inputs[0].shape, depth] }];
  },
  reference(inputs, attrs) {
    const x = inputs[0];
    const depth = attrs.depth as number;
    const out = refTensor('f32', [...x.shape, depth]);
    for (let i = 0; i < x.data.length; i++) {
      const v = x.data[i];
      if (v >= 0 && v < depth) out.data[i * depth + v] = 1;
    }
    return [out];
  },
  cpu(ctx) {
    const [x, y] = [ctx.in[0], ctx.out[0]];
    const depth = Number(ctx.attrs.depth);
    return `const n = ${mulExpr(ctx.inShape[0])};
${y}.fill(0, 0, n * ${depth});
for (let i = 0; i < n; i++) { const v = ${x}[i]; if (v >= 0 && v < ${depth}) ${y}[i * ${depth} + v] = 1; }`;
  },
  wgsl(ctx) {
    const depth = Number(ctx.attrs.depth);
    return wgslPerElement(
      dimProduct(ctx.outDims[0]),
      `let v = ${ctx.in[0]}[idx / ${depth}u];\n${ctx.out[0]}[idx] = select(0.0, 1.0, v == i32(idx % ${depth}u));`,
    );
  },
  gpujs(ctx) {
    const depth = String(Number(ctx.attrs.depth));
    return `const r = ${gpujsIdiv('i', depth)};\nconst k = i - r * ${depth};\nreturn ${ctx.in[0]}[r] === k ? 1 : 0;`;
  },
  samples: [{ inputs: [{ shape: [4], dtype: 'i32', range: [0, 3] }], attrs: { depth: 3 } }],
};

