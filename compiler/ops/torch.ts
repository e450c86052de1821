/**
 * The PyTorch spelling of every registry op, next to the registry: one
 * entry per op, a rule giving the Python expression of its output, or the
 * reason it has none. interop/pytorch writes a model's forward (and the
 * train block's loss and metrics) with these; `ops.` names the helpers of
 * the exported package's ops.py, used where PyTorch's own function has
 * other edge semantics (asymmetric padding, out-of-range one-hot ids).
 * test/interop/export-tables.test.ts checks that every registry op has an
 * entry.
 */
import type { Dim } from '../dims.js';
import type { DType, Node } from '../ir.js';
import { SLICE_END } from './shape.js';

export interface TorchContext {
  node: Node;
  /** Python expressions of the inputs: names of earlier values, or number literals for scalar constants */
  args: string[];
  /** the input as a tensor (a literal wrapped in torch.tensor of its dtype) */
  tensor(i: number): string;
  /** is input i a number literal rather than a tensor? */
  literal(i: number): boolean;
  /** a Python tuple of dims; symbolic dims are variables of the function (B, T) */
  dims(dims: readonly Dim[]): string;
  dim(d: Dim): string;
  /** the device tensors made by the code go to (a variable of the function) */
  device(): string;
}

export type TorchRule = (cx: TorchContext) => string;
export type TorchMapping = TorchRule | { unsupported: string };

const num = (node: Node, name: string, dflt: number): number => (typeof node.attrs[name] === 'number' ? (node.attrs[name] as number) : dflt);
const nums = (node: Node, name: string): number[] | undefined => (Array.isArray(node.attrs[name]) ? (node.attrs[name] as number[]) : undefined);
/** a Python float literal */
export const pyFloat = (v: number): string => (Number.isFinite(v) ? (Number.isInteger(v) && Math.abs(v) < 1e16 ? `${v}.0` : String(v)) : v > 0 ? "float('inf')" : v < 0 ? "float('-inf')" : "float('nan')");
const tuple = (xs: readonly (number | string)[]): string => (xs.length === 1 ? `(${xs[0]},)` : `(${xs.join(', ')})`);
export const TORCH_DTYPE: Record<DType, string> = { f32: 'torch.float32', i32: 'torch.int32', bool: 'torch.bool' };

const fn =
  (name: string): TorchRule =>
  (cx) =>
    `${name}(${cx.tensor(0)})`;
const infix =
  (op: string): TorchRule =>
  (cx) =>
    `(${cx.args[0]} ${op} ${cx.args[1]})`;
/** maximum/minimum: clamp when one side is a number (torch.maximum takes tensors only) */
const extremum =
  (which: 'maximum' | 'minimum'): TorchRule =>
  (cx) => {
    const bound = which === 'maximum' ? 'min' : 'max';
    if (cx.literal(1) && !cx.literal(0)) return `torch.clamp(${cx.args[0]}, ${bound}=${cx.args[1]})`;
    if (cx.literal(0) && !cx.literal(1)) return `torch.clamp(${cx.args[1]}, ${bound}=${cx.args[0]})`;
    return `torch.${which}(${cx.tensor(0)}, ${cx.tensor(1)})`;
  };
/** dims of a reduction: all when empty or absent */
const reduce =
  (name: string): TorchRule =>
  (cx) => {
    const axes = nums(cx.node, 'axes') ?? [];
    const rank = cx.node.inputs[0].type.shape.length;
    const keep = cx.node.attrs.keepdims ? 'True' : 'False';
    if (axes.length === 0 && !cx.node.attrs.keepdims) return `${name}(${cx.tensor(0)})`;
    const dims = axes.length ? axes : Array.from({ length: rank }, (_, i) => i);
    return `${name}(${cx.tensor(0)}, dim=${tuple(dims)}, keepdim=${keep})`;
  };

const GRADIENT = 'a gradient op: it appears only in training graphs, where PyTorch differentiates itself';

export const torchOps: Record<string, TorchMapping> = {
  // leaves are names, parameters and constants of the generated code
  const: { unsupported: 'a leaf: a literal or a constant buffer' },
  input: { unsupported: 'a leaf: an argument of forward' },
  param: { unsupported: "a leaf: a parameter of the layer's module" },
  state: { unsupported: "a leaf: a buffer of the layer's module" },

  // ------------------------------------------------------------ unary
  abs: fn('torch.abs'),
  cast: (cx) => `${cx.tensor(0)}.to(${TORCH_DTYPE[cx.node.attrs.dtype as DType]})`,
  elu: (cx) => `F.elu(${cx.tensor(0)}, alpha=${pyFloat(num(cx.node, 'alpha', 1))})`,
  exp: fn('torch.exp'),
  gelu: (cx) => `F.gelu(${cx.tensor(0)}, approximate='tanh')`,
  leaky_relu: (cx) => `F.leaky_relu(${cx.tensor(0)}, ${pyFloat(num(cx.node, 'alpha', 0.01))})`,
  log: fn('torch.log'),
  logical_not: fn('torch.logical_not'),
  neg: (cx) => `(-${cx.args[0]})`,
  reciprocal: fn('torch.reciprocal'),
  relu: fn('torch.relu'),
  rsqrt: fn('torch.rsqrt'),
  sigmoid: fn('torch.sigmoid'),
  sign: fn('torch.sign'),
  softplus: fn('F.softplus'),
  sqrt: fn('torch.sqrt'),
  square: fn('torch.square'),
  step: (cx) => `(${cx.tensor(0)} > 0).to(${TORCH_DTYPE[cx.node.inputs[0].type.dtype]})`,
  tanh: fn('torch.tanh'),
  stop_gradient: (cx) => `${cx.tensor(0)}.detach()`,

  // ------------------------------------------------------------ binary (broadcasting as numpy, like PyTorch)
  add: infix('+'),
  sub: infix('-'),
  mul: infix('*'),
  div: infix('/'),
  pow: (cx) => `torch.pow(${cx.tensor(0)}, ${cx.args[1]})`,
  maximum: extremum('maximum'),
  minimum: extremum('minimum'),
  equal: infix('=='),
  not_equal: infix('!='),
  greater: infix('>'),
  greater_equal: infix('>='),
  less: infix('<'),
  less_equal: infix('<='),
  logical_and: (cx) => `torch.logical_and(${cx.tensor(0)}, ${cx.tensor(1)})`,
  logical_or: (cx) => `torch.logical_or(${cx.tensor(0)}, ${cx.tensor(1)})`,
  where: (cx) => `torch.where(${cx.tensor(0)}, ${cx.tensor(1)}, ${cx.tensor(2)})`,

  // ------------------------------------------------------------ reductions
  reduce_sum: reduce('torch.sum'),
  reduce_mean: reduce('torch.mean'),
  reduce_max: reduce('torch.amax'),
  // the first index on ties, as ours; ours are i32
  argmax: (cx) => `torch.argmax(${cx.tensor(0)}, dim=${num(cx.node, 'axis', -1)}, keepdim=${cx.node.attrs.keepdims ? 'True' : 'False'}).to(torch.int32)`,
  softmax: (cx) => `F.softmax(${cx.tensor(0)}, dim=${num(cx.node, 'axis', -1)})`,
  log_softmax: (cx) => `F.log_softmax(${cx.tensor(0)}, dim=${num(cx.node, 'axis', -1)})`,
  softmax_cross_entropy: (cx) => `ops.softmax_cross_entropy(${cx.tensor(0)}, ${cx.tensor(1)})`,
  softmax_cross_entropy_grad: { unsupported: GRADIENT },

  // ------------------------------------------------------------ shapes
  reshape: (cx) => `${cx.tensor(0)}.reshape(${cx.dims(cx.node.attrs.shape as Dim[])})`,
  transpose: (cx) => {
    const rank = cx.node.inputs[0].type.shape.length;
    return `${cx.tensor(0)}.permute(${tuple(nums(cx.node, 'perm') ?? Array.from({ length: rank }, (_, i) => rank - 1 - i))})`;
  },
  broadcast_to: (cx) => `${cx.tensor(0)}.expand(${cx.dims(cx.node.attrs.shape as Dim[])})`,
  // x[start:end:step] per axis, Python's own negative-index convention (numpy's, as ours)
  slice: (cx) => {
    const rank = cx.node.inputs[0].type.shape.length;
    const starts = (cx.node.attrs.starts as Dim[] | undefined) ?? [];
    const ends = (cx.node.attrs.ends as Dim[] | undefined) ?? [];
    const axes = nums(cx.node, 'axes') ?? Array.from({ length: Math.max(starts.length, ends.length) }, (_, i) => i);
    const steps = nums(cx.node, 'steps') ?? [];
    const index = Array.from({ length: rank }, () => ':');
    axes.forEach((a, i) => {
      const s = starts[i] ?? 0;
      const e = ends[i];
      const start = s === 0 ? '' : cx.dim(s);
      const end = e === undefined || (typeof e === 'number' && e >= SLICE_END) ? '' : cx.dim(e);
      const step = (steps[i] ?? 1) === 1 ? '' : `:${steps[i]}`;
      index[a < 0 ? a + rank : a] = `${start}:${end}${step}`;
    });
    while (index.length > 1 && index[index.length - 1] === ':') index.pop();
    return `${cx.tensor(0)}[${index.join(', ')}]`;
  },
  slice_grad: { unsupported: GRADIENT },
  concat: (cx) => `torch.cat([${cx.node.inputs.map((_, i) => cx.tensor(i)).join(', ')}], dim=${num(cx.node, 'axis', 0)})`,
  one_hot: (cx) => `ops.one_hot(${cx.tensor(0)}, ${num(cx.node, 'depth', 0)})`,

  // ------------------------------------------------------------ linear algebra, convolutions, pooling
  matmul: (cx) => {
    const t = (i: number, on: unknown) => (on ? `${cx.tensor(i)}.transpose(-2, -1)` : cx.tensor(i));
    return `torch.matmul(${t(0, cx.node.attrs.transA)}, ${t(1, cx.node.attrs.transB)})`;
  },
  conv2d: (cx) =>
    `ops.conv2d(${cx.tensor(0)}, ${cx.tensor(1)}, stride=${tuple(nums(cx.node, 'strides') ?? [1, 1])}, pads=${tuple(nums(cx.node, 'pads') ?? [0, 0, 0, 0])}, dilation=${tuple(nums(cx.node, 'dilations') ?? [1, 1])}, groups=${num(cx.node, 'groups', 1)})`,
  conv2d_transpose: (cx) =>
    `ops.conv_transpose2d(${cx.tensor(0)}, ${cx.tensor(1)}, stride=${tuple(nums(cx.node, 'strides') ?? [1, 1])}, pads=${tuple(nums(cx.node, 'pads') ?? [0, 0, 0, 0])}, output_padding=${tuple(nums(cx.node, 'output_padding') ?? [0, 0])}, dilation=${tuple(nums(cx.node, 'dilations') ?? [1, 1])}, groups=${num(cx.node, 'groups', 1)})`,
  conv2d_backprop_input: { unsupported: GRADIENT },
  conv2d_backprop_filter: { unsupported: GRADIENT },
  maxpool2d: (cx) => `ops.max_pool2d(${cx.tensor(0)}, kernel=${tuple(nums(cx.node, 'kernel')!)}, stride=${tuple(nums(cx.node, 'strides') ?? nums(cx.node, 'kernel')!)}, pads=${tuple(nums(cx.node, 'pads') ?? [0, 0, 0, 0])})`,
  avgpool2d: (cx) => `ops.avg_pool2d(${cx.tensor(0)}, kernel=${tuple(nums(cx.node, 'kernel')!)}, stride=${tuple(nums(cx.node, 'strides') ?? nums(cx.node, 'kernel')!)}, pads=${tuple(nums(cx.node, 'pads') ?? [0, 0, 0, 0])})`,
  maxpool2d_grad: { unsupported: GRADIENT },
  avgpool2d_grad: { unsupported: GRADIENT },
  upsample2d: (cx) => {
    const s = tuple(nums(cx.node, 'scale')!);
    return cx.node.attrs.mode === 'bilinear' ? `F.interpolate(${cx.tensor(0)}, scale_factor=${s}, mode='bilinear', align_corners=False)` : `F.interpolate(${cx.tensor(0)}, scale_factor=${s}, mode='nearest')`;
  },
  upsample2d_grad: { unsupported: GRADIENT },

  // ------------------------------------------------------------ sequences, positions, counts
  gather: (cx) => `F.embedding(${cx.tensor(1)}.long(), ${cx.tensor(0)})`,
  scatter_add: { unsupported: GRADIENT },
  iota: (cx) => `ops.iota(${cx.dims(cx.node.attrs.shape as Dim[])}, axis=${num(cx.node, 'axis', 0)}, dtype=${TORCH_DTYPE[(cx.node.attrs.dtype as DType | undefined) ?? 'f32']}, device=${cx.device()})`,
  element_count: (cx) => `float(${(cx.node.attrs.shape as Dim[]).map((d) => cx.dim(d)).join(' * ') || '1'})`,
  // the same distributions; PyTorch's generator draws other numbers than dnnc's counter-based hash
  random_uniform: (cx) => `torch.rand(${cx.dims(cx.node.attrs.shape as Dim[])}, device=${cx.device()})`,
  random_normal: (cx) => `(torch.randn(${cx.dims(cx.node.attrs.shape as Dim[])}, device=${cx.device()}) * ${pyFloat(num(cx.node, 'std', 1))} + ${pyFloat(num(cx.node, 'mean', 0))})`,
};

export function torchMapping(op: string): TorchMapping | undefined {
  return Object.prototype.hasOwnProperty.call(torchOps, op) ? torchOps[op] : undefined;
}
