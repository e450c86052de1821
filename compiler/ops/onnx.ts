/**
 * The ONNX mapping of every registry op, next to the registry: one entry per
 * op, either a rule that emits ONNX nodes (opset 17, ONNX's own operators
 * where one has the op's semantics, small compositions otherwise) or the
 * reason it has none. interop/onnx walks a predict graph and calls these;
 * an op without a rule becomes a located diagnostic naming the op and the
 * layer, never a broken file. test/interop/export-tables.test.ts checks that
 * every registry op has an entry, so a new op must decide here.
 *
 * Rules see ONNX tensor names, not values: `cx.inputs[i]` holds input i,
 * and the rule must produce `cx.outputs` (pass them as the outputs of its
 * last `cx.add`).
 */
import type { Dim } from '../dims.js';
import type { DType, Node } from '../ir.js';
import { SLICE_END } from './shape.js';

/** An ONNX attribute value with its type (ONNX distinguishes int from float). */
export type OnnxAttr = { int: number } | { float: number } | { ints: number[] } | { floats: number[] } | { string: string } | { strings: string[] };

export const int = (v: number): OnnxAttr => ({ int: v });
export const float = (v: number): OnnxAttr => ({ float: v });
export const ints = (v: readonly number[]): OnnxAttr => ({ ints: [...v] });
export const str = (v: string): OnnxAttr => ({ string: v });

/** What a rule may do: add nodes and constants. Implemented by interop/onnx/builder.ts. */
export interface OnnxContext {
  node: Node;
  /** ONNX tensor names of the node's inputs */
  inputs: string[];
  /** ONNX tensor names the rule must produce, one per node output */
  outputs: string[];
  /** adds a node; returns its output names (`outputs`, or `count` fresh names) */
  add(op: string, inputs: string[], attrs?: Record<string, OnnxAttr>, outputs?: string[] | number): string[];
  /** a constant tensor (an initializer) */
  constant(dtype: DType | 'i64', shape: readonly number[], data: ArrayLike<number>): string;
  /** an int64 [n] tensor of dims; symbolic dims are read from the graph inputs' shapes at run time */
  dims(dims: readonly Dim[]): string;
  /** the TensorProto data type code of a dtype */
  code(dtype: DType | 'i64'): number;
}

export type OnnxRule = (cx: OnnxContext) => void;
export type OnnxMapping = OnnxRule | { unsupported: string };

const num = (node: Node, name: string, dflt: number): number => (typeof node.attrs[name] === 'number' ? (node.attrs[name] as number) : dflt);
const nums = (node: Node, name: string): number[] | undefined => (Array.isArray(node.attrs[name]) ? (node.attrs[name] as number[]) : undefined);
const dtypeOf = (cx: OnnxContext, i = 0): DType => cx.node.inputs[i].type.dtype;
const rankOf = (cx: OnnxContext, i = 0): number => cx.node.inputs[i].type.shape.length;

/** One ONNX op with the same inputs and outputs. */
const same =
  (op: string, attrs?: (node: Node) => Record<string, OnnxAttr>): OnnxRule =>
  (cx) =>
    void cx.add(op, cx.inputs, attrs?.(cx.node), cx.outputs);

/** A comparison whose ONNX op is the negation of another (not_equal = Not(Equal)). */
const negated =
  (op: string): OnnxRule =>
  (cx) =>
    void cx.add('Not', cx.add(op, cx.inputs), {}, cx.outputs);

/** A scalar constant of the input's dtype. */
const scalar = (cx: OnnxContext, v: number, dtype: DType = dtypeOf(cx)): string => cx.constant(dtype, [], [v]);

/** Reductions whose axes are an attribute (opset 17: ReduceMean, ReduceMax); empty axes reduce everything. */
const reduceAttr =
  (op: string): OnnxRule =>
  (cx) => {
    const axes = nums(cx.node, 'axes') ?? [];
    const keep = int(cx.node.attrs.keepdims ? 1 : 0);
    cx.add(op, cx.inputs, axes.length ? { axes: ints(axes), keepdims: keep } : { keepdims: keep }, cx.outputs);
  };

/** Swaps the last two axes (matmul's transA / transB). */
const swapLast = (cx: OnnxContext, name: string, rank: number): string => {
  const perm = Array.from({ length: rank }, (_, i) => i);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return cx.add('Transpose', [name], { perm: ints(perm) })[0];
};

const LEAF = 'a leaf: becomes a graph input, an initializer or a constant';
const GRADIENT = 'a gradient op: it appears only in training graphs, which are not exported';
const RANDOM = 'counter-based random numbers (seed, step, salt): ONNX has no operator that draws the same values';

export const onnxOps: Record<string, OnnxMapping> = {
  // leaves are emitted by the exporter itself
  const: { unsupported: LEAF },
  input: { unsupported: LEAF },
  param: { unsupported: LEAF },
  state: { unsupported: LEAF },

  // ------------------------------------------------------------ unary
  abs: same('Abs'),
  cast: (cx) => void cx.add('Cast', cx.inputs, { to: int(cx.code(cx.node.attrs.dtype as DType)) }, cx.outputs),
  elu: same('Elu', (n) => ({ alpha: float(num(n, 'alpha', 1)) })),
  exp: same('Exp'),
  // opset 17 has no Gelu (it comes in 20): the tanh approximation spelt out
  gelu: (cx) => {
    const x = cx.inputs[0];
    const cube = cx.add('Mul', [cx.add('Mul', [x, x])[0], x])[0];
    const inner = cx.add('Mul', [cx.add('Add', [x, cx.add('Mul', [cube, scalar(cx, 0.044715)])[0]])[0], scalar(cx, Math.sqrt(2 / Math.PI))])[0];
    const onePlus = cx.add('Add', [cx.add('Tanh', [inner])[0], scalar(cx, 1)])[0];
    cx.add('Mul', [cx.add('Mul', [x, scalar(cx, 0.5)])[0], onePlus], {}, cx.outputs);
  },
  leaky_relu: same('LeakyRelu', (n) => ({ alpha: float(num(n, 'alpha', 0.01)) })),
  log: same('Log'),
  logical_not: same('Not'),
  neg: same('Neg'),
  reciprocal: same('Reciprocal'),
  relu: same('Relu'),
  rsqrt: (cx) => void cx.add('Reciprocal', cx.add('Sqrt', cx.inputs), {}, cx.outputs),
  sigmoid: same('Sigmoid'),
  sign: same('Sign'),
  softplus: same('Softplus'),
  sqrt: same('Sqrt'),
  square: (cx) => void cx.add('Mul', [cx.inputs[0], cx.inputs[0]], {}, cx.outputs),
  step: (cx) => void cx.add('Cast', cx.add('Greater', [cx.inputs[0], scalar(cx, 0)]), { to: int(cx.code(dtypeOf(cx))) }, cx.outputs),
  tanh: same('Tanh'),
  stop_gradient: same('Identity'),

  // ------------------------------------------------------------ binary (numpy broadcasting, as ONNX)
  add: same('Add'),
  sub: same('Sub'),
  mul: same('Mul'),
  div: same('Div'),
  pow: same('Pow'),
  maximum: same('Max'),
  minimum: same('Min'),
  equal: same('Equal'),
  not_equal: negated('Equal'),
  greater: same('Greater'),
  greater_equal: same('GreaterOrEqual'),
  less: same('Less'),
  less_equal: same('LessOrEqual'),
  logical_and: same('And'),
  logical_or: same('Or'),
  where: same('Where'),

  // ------------------------------------------------------------ reductions
  reduce_sum: (cx) => {
    const axes = nums(cx.node, 'axes') ?? [];
    const keep = { keepdims: int(cx.node.attrs.keepdims ? 1 : 0) };
    cx.add('ReduceSum', axes.length ? [cx.inputs[0], cx.constant('i64', [axes.length], axes)] : cx.inputs, keep, cx.outputs);
  },
  reduce_mean: reduceAttr('ReduceMean'),
  reduce_max: reduceAttr('ReduceMax'),
  // ArgMax gives int64 (first index on ties, as ours); dnnc's indices are i32
  argmax: (cx) => {
    const idx = cx.add('ArgMax', cx.inputs, { axis: int(num(cx.node, 'axis', -1)), keepdims: int(cx.node.attrs.keepdims ? 1 : 0), select_last_index: int(0) });
    cx.add('Cast', idx, { to: int(cx.code('i32')) }, cx.outputs);
  },
  softmax: same('Softmax', (n) => ({ axis: int(num(n, 'axis', -1)) })),
  log_softmax: same('LogSoftmax', (n) => ({ axis: int(num(n, 'axis', -1)) })),
  softmax_cross_entropy: { unsupported: 'a loss: predict graphs do not compute losses, and training graphs are not exported' },
  softmax_cross_entropy_grad: { unsupported: GRADIENT },

  // ------------------------------------------------------------ shapes
  reshape: (cx) => void cx.add('Reshape', [cx.inputs[0], cx.dims(cx.node.attrs.shape as Dim[])], {}, cx.outputs),
  transpose: (cx) => {
    const perm = nums(cx.node, 'perm') ?? Array.from({ length: rankOf(cx) }, (_, i) => rankOf(cx) - 1 - i);
    cx.add('Transpose', cx.inputs, { perm: ints(perm) }, cx.outputs);
  },
  broadcast_to: (cx) => void cx.add('Expand', [cx.inputs[0], cx.dims(cx.node.attrs.shape as Dim[])], {}, cx.outputs),
  slice: (cx) => {
    const starts = (cx.node.attrs.starts as Dim[] | undefined) ?? [];
    const ends = (cx.node.attrs.ends as Dim[] | undefined) ?? [];
    const n = Math.max(starts.length, ends.length);
    const axes = nums(cx.node, 'axes') ?? Array.from({ length: n }, (_, i) => i);
    const steps = nums(cx.node, 'steps') ?? [];
    // ours: an end >= 2^31 - 1 (or absent) runs to the end of the axis; ONNX clamps any large end
    const full = (e: Dim | undefined): Dim => (e === undefined || (typeof e === 'number' && e >= SLICE_END) ? Number.MAX_SAFE_INTEGER : e);
    cx.add(
      'Slice',
      [
        cx.inputs[0],
        cx.dims(axes.map((_, i) => starts[i] ?? 0)),
        cx.dims(axes.map((_, i) => full(ends[i]))),
        cx.constant('i64', [axes.length], axes),
        cx.constant('i64', [axes.length], axes.map((_, i) => steps[i] ?? 1)),
      ],
      {},
      cx.outputs,
    );
  },
  slice_grad: { unsupported: GRADIENT },
  concat: same('Concat', (n) => ({ axis: int(num(n, 'axis', 0)) })),
  // ONNX's OneHot wraps negative indices; ours gives all zeros outside [0, depth): compare against 0..depth-1
  one_hot: (cx) => {
    const depth = num(cx.node, 'depth', 0);
    const classes = cx.constant('i32', [depth], Array.from({ length: depth }, (_, i) => i));
    const idx = cx.add('Unsqueeze', [cx.inputs[0], cx.constant('i64', [1], [-1])]);
    cx.add('Cast', cx.add('Equal', [idx[0], classes]), { to: int(cx.code('f32')) }, cx.outputs);
  },

  // ------------------------------------------------------------ linear algebra, convolutions, pooling
  matmul: (cx) => {
    const [a, b] = cx.inputs;
    const ta = cx.node.attrs.transA ? swapLast(cx, a, rankOf(cx, 0)) : a;
    const tb = cx.node.attrs.transB ? swapLast(cx, b, rankOf(cx, 1)) : b;
    cx.add('MatMul', [ta, tb], {}, cx.outputs);
  },
  // pads [t, l, b, r] are ONNX's [x1_begin, x2_begin, x1_end, x2_end]
  conv2d: same('Conv', (n) => ({ strides: ints(nums(n, 'strides') ?? [1, 1]), pads: ints(nums(n, 'pads') ?? [0, 0, 0, 0]), dilations: ints(nums(n, 'dilations') ?? [1, 1]), group: int(num(n, 'groups', 1)) })),
  conv2d_transpose: same('ConvTranspose', (n) => ({
    strides: ints(nums(n, 'strides') ?? [1, 1]),
    pads: ints(nums(n, 'pads') ?? [0, 0, 0, 0]),
    output_padding: ints(nums(n, 'output_padding') ?? [0, 0]),
    dilations: ints(nums(n, 'dilations') ?? [1, 1]),
    group: int(num(n, 'groups', 1)),
  })),
  conv2d_backprop_input: { unsupported: GRADIENT },
  conv2d_backprop_filter: { unsupported: GRADIENT },
  maxpool2d: same('MaxPool', (n) => ({ kernel_shape: ints(nums(n, 'kernel')!), strides: ints(nums(n, 'strides') ?? nums(n, 'kernel')!), pads: ints(nums(n, 'pads') ?? [0, 0, 0, 0]) })),
  // padding is not counted in the mean, as ours
  avgpool2d: same('AveragePool', (n) => ({ kernel_shape: ints(nums(n, 'kernel')!), strides: ints(nums(n, 'strides') ?? nums(n, 'kernel')!), pads: ints(nums(n, 'pads') ?? [0, 0, 0, 0]), count_include_pad: int(0) })),
  maxpool2d_grad: { unsupported: GRADIENT },
  avgpool2d_grad: { unsupported: GRADIENT },
  // nearest: floor(i / s) is 'asymmetric' + 'floor'; bilinear: half-pixel centres clamped at the edges
  upsample2d: (cx) => {
    const [sh, sw] = nums(cx.node, 'scale')!;
    const scales = cx.constant('f32', [4], [1, 1, sh, sw]);
    const attrs: Record<string, OnnxAttr> =
      cx.node.attrs.mode === 'bilinear' ? { mode: str('linear'), coordinate_transformation_mode: str('half_pixel') } : { mode: str('nearest'), coordinate_transformation_mode: str('asymmetric'), nearest_mode: str('floor') };
    cx.add('Resize', [cx.inputs[0], '', scales], attrs, cx.outputs);
  },
  upsample2d_grad: { unsupported: GRADIENT },

  // ------------------------------------------------------------ sequences
  gather: same('Gather', () => ({ axis: int(0) })),
  scatter_add: { unsupported: GRADIENT },
  iota: (cx) => {
    const shape = cx.node.attrs.shape as Dim[];
    const axis = num(cx.node, 'axis', 0);
    const dtype = (cx.node.attrs.dtype as DType | undefined) ?? 'f32';
    const ax = axis < 0 ? axis + shape.length : axis;
    if (shape.every((d): d is number => typeof d === 'number')) {
      const n = shape.reduce((a, b) => a * b, 1);
      const inner = shape.slice(ax + 1).reduce((a, b) => a * b, 1);
      const data = Array.from({ length: n }, (_, i) => Math.floor(i / inner) % shape[ax]);
      cx.add('Identity', [cx.constant(dtype, shape, data)], {}, cx.outputs);
      return;
    }
    // 0..n-1 along the axis, shaped [1, .., n, .., 1], then expanded to the full (possibly symbolic) shape
    const line = cx.add('Range', [cx.constant(dtype, [], [0]), cx.add('Cast', cx.add('Squeeze', [cx.dims([shape[ax]]), cx.constant('i64', [1], [0])]), { to: int(cx.code(dtype)) })[0], cx.constant(dtype, [], [1])]);
    const lineShape = shape.map((_, i) => (i === ax ? -1 : 1));
    const shaped = cx.add('Reshape', [line[0], cx.constant('i64', [lineShape.length], lineShape)]);
    cx.add('Expand', [shaped[0], cx.dims(shape)], {}, cx.outputs);
  },
  element_count: (cx) => {
    const shape = cx.node.attrs.shape as Dim[];
    const count = shape.length ? cx.add('ReduceProd', [cx.dims(shape)], { keepdims: int(0) })[0] : cx.constant('i64', [], [1]);
    cx.add('Cast', [count], { to: int(cx.code('f32')) }, cx.outputs);
  },
  random_uniform: { unsupported: RANDOM },
  random_normal: { unsupported: RANDOM },
};

export function onnxMapping(op: string): OnnxMapping | undefined {
  return Object.prototype.hasOwnProperty.call(onnxOps, op) ? onnxOps[op] : undefined;
}
