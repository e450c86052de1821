/**
 * Shape ops (pattern kind 'injective'): reshape, transpose, broadcast_to,
 * slice and its gradient slice_grad, concat, one_hot. Shapes may hold
 * symbolic dims; they are checked with dim arithmetic (B*784 = 784*B) and
 * bound at run time (`dims` in references, `dims.B` in kernels).
 */
import { dimAdd, dimDiv, dimEq, dimProduct, dimSub, evalDim, normDim, shapeEq, shapeToString, type Dim, type DimEnv, type Shape } from '../dims.js';
import type { Attrs, TensorType } from '../ir.js';
import { ShapeError, type OpDef } from './types.js';
import { normAxis, refTensor, sizeOf, stridesOf } from './util.js';
import { expectArity, expectDtype, numAttr, numsAttr } from './kernel-util.js';

/** An `ends` entry at least this large means "to the end of the axis" (also for symbolic dims). */
export const SLICE_END = 2147483647;

function dimsAttr(attrs: Attrs, name: string, op: string): Dim[] {
  const v = attrs[name];
  if (!Array.isArray(v)) throw new ShapeError(`${op}: attribute '${name}' must be a list of dims`, 'DNN0022');
  return (v as Dim[]).map((d) => (typeof d === 'number' ? d : normDim(d)));
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
  samples: [
    { inputs: [{ shape: [2, 3] }], attrs: { shape: [3, 2] } },
    { inputs: [{ shape: [2, 3, 4] }], attrs: { shape: [-1, 4] } },
  ],
};

// ---------------------------------------------------------------- transpose

export function permOf(attrs: Attrs, rank: number, op = 'transpose'): number[] {
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
  samples: [
    { inputs: [{ shape: [3] }], attrs: { shape: [2, 3] } },
    { inputs: [{ shape: [2, 1, 4] }], attrs: { shape: [3, 2, 3, 4] } },
  ],
};

// ---------------------------------------------------------------- slice

export interface AxisSlice {
  /** start as given (a number with numpy's negative convention, or a symbolic position) */
  start: Dim;
  end: Dim;
  step: number;
}

/** Per axis of a tensor of rank `rank`, the slice taken (whole axis when not listed). */
export function sliceAxes(attrs: Attrs, shape: readonly Dim[], op: string): AxisSlice[] {
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

export const clamp = (v: number, lo: number, hi: number) => (v < lo ? lo : v > hi ? hi : v);
/** numpy's rule for a numeric start/end on an axis of static size D */
export const resolvePos = (p: number, D: number) => clamp(p < 0 ? p + D : p, 0, D);

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
  samples: [
    { inputs: [{ shape: [2, 5] }], attrs: { axes: [1], starts: [1], ends: [-1] } },
    { inputs: [{ shape: [3, 4, 5] }], attrs: { axes: [0, 2], starts: [-2, 0], ends: [SLICE_END, 5], steps: [1, 2] } },
  ],
};

/** Strips null attrs (slice attrs that were absent). */
export function present(attrs: Attrs): Attrs {
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
  samples: [{ inputs: [{ shape: [4], dtype: 'i32', range: [0, 3] }], attrs: { depth: 3 } }],
};

