/** Math functions on tensors: each maps onto registry ops (or a short composition of them). */
import type { BuiltinImpl, CallContext } from '../builtin.js';
import { asDim, type LVal } from '../values.js';
import { sequenceBuiltins } from './sequence.js';

const t = (cx: CallContext, v: ReturnType<CallContext['op']>): LVal => ({ kind: 'tensor', v, span: cx.span });

function unaryFn(name: string, op = name, doc = `${name}(x), elementwise`): BuiltinImpl {
  return { name, kind: 'fn', doc, params: [{ name: 'x', type: 'tensor' }], apply: (cx) => t(cx, cx.op(op, [cx.args.tensor('x')])) };
}

function axesOf(cx: CallContext, rank: number): number[] | undefined {
  const a = cx.args.get('axis');
  if (!a) return undefined;
  const list = a.kind === 'list' ? a.items : [a];
  return list.map((item) => {
    if (item.kind !== 'num' || !Number.isInteger(item.value))
      cx.fail('DNN0017', { message: `'${cx.callee}': axis must be an integer or a list of integers` }, { span: item.span });
    if (item.value < -rank || item.value >= rank)
      cx.fail('DNN0008', { message: `'${cx.callee}': axis ${item.value} is out of range for a rank-${rank} tensor` }, { span: item.span });
    return item.value;
  });
}

function reduceFn(name: string, op: string): BuiltinImpl {
  return {
    name,
    kind: 'fn',
    doc: `${name}(x, axis?, keepdims = false): the ${name === 'sum' ? 'sum' : name === 'mean' ? 'mean' : 'maximum'} over the given axis or list of axes (all axes when absent); keepdims keeps them with size 1`,
    params: [
      { name: 'x', type: 'tensor' },
      { name: 'axis', type: 'any', optional: true },
      { name: 'keepdims', type: 'bool', optional: true },
    ],
    apply: (cx) => {
      const x = cx.args.tensor('x');
      const axes = axesOf(cx, x.type.shape.length);
      return t(cx, cx.op(op, [x], { axes: axes ?? [], keepdims: cx.args.bool('keepdims', false) }));
    },
  };
}

function axisFn(name: string, op: string): BuiltinImpl {
  return {
    name,
    kind: 'fn',
    doc: name === 'softmax' ? 'softmax(x, axis = -1): e^x / sum(e^x) along the axis (computed with the maximum subtracted)' : 'log_softmax(x, axis = -1): x - log(sum(e^x)) along the axis, stable; pair it with a loss on log-probabilities',
    params: [
      { name: 'x', type: 'tensor' },
      { name: 'axis', type: 'int', optional: true },
    ],
    apply: (cx) => t(cx, cx.op(op, [cx.args.tensor('x')], { axis: cx.args.int('axis', -1) })),
  };
}

function binaryFn(name: string, op = name): BuiltinImpl {
  return {
    name,
    kind: 'fn',
    doc: `${name}(a, b): ${name === 'pow' ? 'a to the power b' : `the elementwise ${name}`}, with NumPy broadcasting`,
    params: [
      { name: 'a', type: 'tensor' },
      { name: 'b', type: 'tensor' },
    ],
    apply: (cx) => t(cx, cx.op(op, [cx.args.tensor('a'), cx.args.tensor('b')])),
  };
}

export const mathBuiltins: BuiltinImpl[] = [
  unaryFn('exp', 'exp', 'exp(x): e^x, elementwise'),
  unaryFn('log', 'log', 'log(x): the natural logarithm, elementwise'),
  unaryFn('sqrt', 'sqrt', 'sqrt(x): the square root, elementwise'),
  unaryFn('rsqrt', 'rsqrt', 'rsqrt(x): 1 / sqrt(x), elementwise'),
  unaryFn('abs', 'abs', 'abs(x): |x|, elementwise'),
  unaryFn('sign', 'sign', 'sign(x): -1, 0 or 1, elementwise (its gradient is zero)'),
  unaryFn('square', 'square', 'square(x): x * x, elementwise'),
  unaryFn('relu', 'relu', 'relu(x): max(x, 0), elementwise (gradient 0 at 0)'),
  unaryFn('sigmoid', 'sigmoid', 'sigmoid(x): 1 / (1 + e^-x), elementwise'),
  unaryFn('tanh', 'tanh', 'tanh(x): the hyperbolic tangent, elementwise'),
  unaryFn('softplus', 'softplus', 'softplus(x): log(1 + e^x), elementwise (computed stably for large |x|)'),
  unaryFn('gelu', 'gelu', 'gelu(x) = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), the tanh form, elementwise'),
  {
    name: 'silu',
    kind: 'fn',
    doc: 'silu(x) = x * sigmoid(x) (also called swish), elementwise',
    params: [{ name: 'x', type: 'tensor' }],
    apply: (cx) => {
      const x = cx.args.tensor('x');
      return t(cx, cx.op('mul', [x, cx.op('sigmoid', [x])]));
    },
  },
  {
    name: 'leaky_relu',
    kind: 'fn',
    doc: 'leaky_relu(x, alpha = 0.01): x for x > 0, alpha * x otherwise, elementwise',
    params: [
      { name: 'x', type: 'tensor' },
      { name: 'alpha', type: 'num', optional: true },
    ],
    apply: (cx) => t(cx, cx.op('leaky_relu', [cx.args.tensor('x')], { alpha: cx.args.num('alpha', 0.01) })),
  },
  {
    name: 'elu',
    kind: 'fn',
    doc: 'elu(x, alpha = 1): x for x > 0, alpha * (e^x - 1) otherwise, elementwise',
    params: [
      { name: 'x', type: 'tensor' },
      { name: 'alpha', type: 'num', optional: true },
    ],
    apply: (cx) => t(cx, cx.op('elu', [cx.args.tensor('x')], { alpha: cx.args.num('alpha', 1) })),
  },
  reduceFn('sum', 'reduce_sum'),
  reduceFn('mean', 'reduce_mean'),
  reduceFn('max', 'reduce_max'),
  axisFn('softmax', 'softmax'),
  axisFn('log_softmax', 'log_softmax'),
  {
    name: 'argmax',
    kind: 'fn',
    doc: 'argmax(x, axis = -1): i32 indices',
    params: [
      { name: 'x', type: 'tensor' },
      { name: 'axis', type: 'int', optional: true },
    ],
    apply: (cx) => t(cx, cx.op('argmax', [cx.args.tensor('x')], { axis: cx.args.int('axis', -1), keepdims: false })),
  },
  binaryFn('maximum'),
  binaryFn('minimum'),
  binaryFn('pow'),
  {
    name: 'one_hot',
    kind: 'fn',
    doc: 'one_hot(indices, depth): f32 with a new last axis',
    params: [
      { name: 'indices', type: 'tensor' },
      { name: 'depth', type: 'int' },
    ],
    apply: (cx) => t(cx, cx.op('one_hot', [cx.args.tensor('indices')], { depth: cx.args.int('depth') })),
  },
  {
    name: 'transpose',
    kind: 'fn',
    doc: 'transpose(x, perm?): permute axes (reverse when perm is absent)',
    params: [
      { name: 'x', type: 'tensor' },
      { name: 'perm', type: 'list', optional: true },
    ],
    apply: (cx) => {
      const x = cx.args.tensor('x');
      const p = cx.args.get('perm');
      const perm = p && p.kind === 'list' ? p.items.map((i) => (i.kind === 'num' ? i.value : NaN)) : [...x.type.shape.keys()].reverse();
      return t(cx, cx.op('transpose', [x], { perm }));
    },
  },
  {
    name: 'concat',
    kind: 'fn',
    doc: 'concat(tensors, axis = -1): join a list of tensors [a, b, ...] along an axis; the other axes must agree',
    params: [
      { name: 'tensors', type: 'list' },
      { name: 'axis', type: 'int', optional: true },
    ],
    apply: (cx) => {
      const list = cx.args.get('tensors');
      const items = list && list.kind === 'list' ? list.items : [];
      const vs = items.map((i) => {
        if (i.kind !== 'tensor') return cx.fail('DNN0017', { message: `'concat' takes a list of tensors` }, { span: i.span });
        return i.v;
      });
      const rank = vs[0]?.type.shape.length ?? 1;
      let axis = cx.args.int('axis', -1);
      if (axis < 0) axis += rank;
      return t(cx, cx.op('concat', vs, { axis }));
    },
  },
  {
    name: 'where',
    kind: 'fn',
    doc: 'where(cond, a, b): a where the bool cond is true, else b, elementwise; all three broadcast, a and b share a dtype (a number takes their dtype); cond comes from a comparison such as x > 0',
    params: [
      { name: 'cond', type: 'tensor' },
      { name: 'a', type: 'tensor' },
      { name: 'b', type: 'tensor' },
    ],
    apply: (cx) => t(cx, cx.op('where', [cx.args.tensor('cond'), cx.args.tensor('a'), cx.args.tensor('b')])),
  },
  {
    name: 'dim',
    kind: 'fn',
    doc: 'dim(d): the size of a dimension (a symbolic dim like B, or an expression like B * T) as an f32 scalar tensor, for arithmetic such as sum(x) / dim(B); bound when the inputs are',
    reference: { shapes: 'f32[]' },
    params: [{ name: 'd', type: 'dim' }],
    apply: (cx) => {
      const d = cx.args.get('d');
      const dim = d && asDim(d);
      if (dim === undefined) return cx.fail('DNN0006', { callee: 'dim', name: 'd' });
      return t(cx, cx.op('element_count', [], { shape: [dim] }));
    },
  },
  // arange, cast, the sequence metrics and data sets (./sequence.ts)
  ...sequenceBuiltins,
];
