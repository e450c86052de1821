/**
 * Unary elementwise ops (pattern kind 'elementwise'). Each entry gives the
 * float64 reference function and the gradient built from registry ops; the
 * scalar expressions the backends inline are theirs (codegen/<backend>/ops/unary.ts).
 */
import type { Attrs, DType, Value } from '../ir.js';
import { ShapeError, type OpDef, type OpSample, type GradBuilder } from './types.js';
import { refTensor } from './util.js';
import { expectArity, expectDtype, numAttr } from './kernel-util.js';

interface UnarySpec {
  name: string;
  doc: string;
  /** float64 reference */
  f: (x: number, attrs: Attrs) => number;
  /** dx from the input x, output y, cotangent g */
  grad?: (b: GradBuilder, x: Value, y: Value, g: Value, attrs: Attrs) => Value | undefined;
  /** accepted input dtypes (default f32) */
  dtypes?: DType[];
  /** output dtype (default: the input's) */
  outDtype?: (input: DType, attrs: Attrs) => DType;
  attrNames?: string[];
  samples?: OpSample[];
}

const defaultSamples: OpSample[] = [{ inputs: [{ shape: [2, 3] }] }, { inputs: [{ shape: [4] }], note: 'rank 1' }];

function unary(spec: UnarySpec): OpDef {
  const dtypes = spec.dtypes ?? ['f32'];
  const def: OpDef = {
    name: spec.name,
    kind: 'elementwise',
    doc: spec.doc,
    arity: 1,
    attrNames: spec.attrNames ?? [],
    infer(inputs, attrs) {
      expectArity(spec.name, inputs, 1);
      expectDtype(spec.name, inputs[0], dtypes);
      const dtype = spec.outDtype ? spec.outDtype(inputs[0].dtype, attrs) : inputs[0].dtype;
      return [{ dtype, shape: [...inputs[0].shape] }];
    },
    reference(inputs, attrs) {
      const x = inputs[0];
      const dtype = spec.outDtype ? spec.outDtype(x.dtype, attrs) : x.dtype;
      const out = refTensor(dtype, x.shape);
      for (let i = 0; i < x.data.length; i++) out.data[i] = spec.f(x.data[i], attrs);
      return [out];
    },
    samples: spec.samples ?? defaultSamples,
  };
  const g = spec.grad;
  if (g)
    def.grad = ({ b, node, dy }) => {
      if (!dy[0] || node.inputs[0].type.dtype !== 'f32') return [undefined];
      return [g(b, node.inputs[0], node.outputs[0], dy[0], node.attrs)];
    };
  return def;
}

export const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
export const GELU_C = 0.044715;

const sigmoidF = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

export const neg = unary({
  name: 'neg',
  doc: 'y = -x',
  dtypes: ['f32', 'i32'],
  f: (x) => -x,
  grad: (b, _x, _y, g) => b.neg(g),
});

export const exp = unary({
  name: 'exp',
  doc: 'y = e^x',
  f: Math.exp,
  grad: (b, _x, y, g) => b.mul(g, y),
});

export const log = unary({
  name: 'log',
  doc: 'y = ln x (natural logarithm)',
  f: Math.log,
  grad: (b, x, _y, g) => b.div(g, x),
  samples: [{ inputs: [{ shape: [2, 3], range: [0.2, 2] }] }],
});

export const sqrt = unary({
  name: 'sqrt',
  doc: 'y = sqrt(x)',
  f: Math.sqrt,
  // dy/dx = 1 / (2 sqrt x)
  grad: (b, _x, y, g) => b.div(b.mul(g, b.scalar(0.5)), y),
  samples: [{ inputs: [{ shape: [2, 3], range: [0.2, 2] }] }],
});

export const rsqrt = unary({
  name: 'rsqrt',
  doc: 'y = 1 / sqrt(x)',
  f: (x) => 1 / Math.sqrt(x),
  // dy/dx = -1/2 x^(-3/2) = -1/2 y^3
  grad: (b, _x, y, g) => b.mul(g, b.mul(b.scalar(-0.5), b.mul(y, b.mul(y, y)))),
  samples: [{ inputs: [{ shape: [2, 3], range: [0.2, 2] }] }],
});

export const abs = unary({
  name: 'abs',
  doc: 'y = |x|',
  dtypes: ['f32', 'i32'],
  f: Math.abs,
  grad: (b, x, _y, g) => b.mul(g, b.op('sign', [x])),
  samples: [{ inputs: [{ shape: [2, 3], avoid: [0] }] }],
});

export const sign = unary({
  name: 'sign',
  doc: 'y = -1, 0 or 1 by the sign of x (not differentiable)',
  dtypes: ['f32', 'i32'],
  f: (x) => (x > 0 ? 1 : x < 0 ? -1 : 0),
});

export const square = unary({
  name: 'square',
  doc: 'y = x * x',
  dtypes: ['f32', 'i32'],
  f: (x) => x * x,
  grad: (b, x, _y, g) => b.mul(g, b.mul(x, b.scalar(2))),
});

export const reciprocal = unary({
  name: 'reciprocal',
  doc: 'y = 1 / x',
  f: (x) => 1 / x,
  grad: (b, _x, y, g) => b.neg(b.mul(g, b.mul(y, y))),
  samples: [{ inputs: [{ shape: [2, 3], range: [0.3, 2] }] }, { inputs: [{ shape: [3], range: [-2, -0.3] }] }],
});

export const relu = unary({
  name: 'relu',
  doc: 'y = max(x, 0); NaN stays NaN (IEEE, as in PyTorch)',
  // `x <= 0 ? 0 : x` lets NaN through (every comparison with NaN is false) and maps -0 to 0;
  // WGSL's max() may return either operand for NaN, so it is a select on the same test
  f: (x) => (x <= 0 ? 0 : x),
  // from the output (y > 0 exactly where x > 0): the pre-activation need not be kept, so it fuses into its producer's epilogue
  grad: (b, _x, y, g) => b.mul(g, b.op('step', [y])),
  samples: [{ inputs: [{ shape: [2, 3], avoid: [0] }] }],
});

export const step = unary({
  name: 'step',
  doc: 'y = x > 0 ? 1 : 0 (Heaviside step; not differentiable)',
  f: (x) => (x > 0 ? 1 : 0),
});

export const sigmoid = unary({
  name: 'sigmoid',
  doc: 'y = 1 / (1 + e^-x)',
  f: sigmoidF,
  // dy/dx = y (1 - y)
  grad: (b, _x, y, g) => b.mul(g, b.mul(y, b.sub(b.scalar(1), y))),
  samples: [{ inputs: [{ shape: [2, 3], range: [-4, 4] }] }],
});

export const tanh = unary({
  name: 'tanh',
  doc: 'y = tanh(x)',
  f: Math.tanh,
  grad: (b, _x, y, g) => b.mul(g, b.sub(b.scalar(1), b.mul(y, y))),
  samples: [{ inputs: [{ shape: [2, 3], range: [-3, 3] }] }],
});

export const softplus = unary({
  name: 'softplus',
  doc: 'y = ln(1 + e^x), computed stably',
  f: (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))),
  // gpu.js has no Math.log1p
  grad: (b, x, _y, g) => b.mul(g, b.op('sigmoid', [x])),
  samples: [{ inputs: [{ shape: [2, 3], range: [-4, 4], avoid: [0] }] }],
});

export const alphaOf = (attrs: Attrs, dflt: number) => numAttr(attrs, 'alpha', dflt);

export const leaky_relu = unary({
  name: 'leaky_relu',
  doc: 'y = x > 0 ? x : alpha * x (attr alpha, default 0.01)',
  attrNames: ['alpha'],
  f: (x, a) => (x > 0 ? x : alphaOf(a, 0.01) * x),
  // with alpha >= 0, y > 0 exactly where x > 0: test the output, so the input need not be kept (as relu)
  grad: (b, x, y, g, a) => b.op('where', [b.op('greater', [alphaOf(a, 0.01) >= 0 ? y : x, b.scalar(0)]), g, b.mul(g, b.scalar(alphaOf(a, 0.01)))]),
  samples: [{ inputs: [{ shape: [2, 3], avoid: [0] }] }, { inputs: [{ shape: [4], avoid: [0] }], attrs: { alpha: 0.2 } }],
});

export const elu = unary({
  name: 'elu',
  doc: 'y = x > 0 ? x : alpha * (e^x - 1) (attr alpha, default 1)',
  attrNames: ['alpha'],
  f: (x, a) => (x > 0 ? x : alphaOf(a, 1) * Math.expm1(x)),
  // gpu.js has no Math.expm1 (exp(x) - 1 loses relative precision only near 0, where elu is ~x)
  // for x <= 0: dy/dx = alpha e^x = y + alpha
  grad: (b, x, y, g, a) =>
    b.op('where', [b.op('greater', [x, b.scalar(0)]), g, b.mul(g, b.add(y, b.scalar(alphaOf(a, 1))))]),
  samples: [{ inputs: [{ shape: [2, 3], avoid: [0] }] }, { inputs: [{ shape: [4], range: [-2, 1], avoid: [0] }], attrs: { alpha: 0.5 } }],
});

export const gelu = unary({
  name: 'gelu',
  doc: 'y = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) (tanh approximation)',
  f: (x) => 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + GELU_C * x * x * x))),
  // dy/dx = 0.5 (1 + t) + 0.5 x (1 - t^2) c (1 + 3 k x^2),  t = tanh(c (x + k x^3))
  grad: (b, x, _y, g) => {
    const x2 = b.mul(x, x);
    const u = b.mul(b.scalar(SQRT_2_OVER_PI), b.add(x, b.mul(b.scalar(GELU_C), b.mul(x2, x))));
    const t = b.op('tanh', [u]);
    const half = b.scalar(0.5);
    const one = b.scalar(1);
    const left = b.mul(half, b.add(one, t));
    const du = b.mul(b.scalar(SQRT_2_OVER_PI), b.add(one, b.mul(b.scalar(3 * GELU_C), x2)));
    const right = b.mul(b.mul(half, x), b.mul(b.sub(one, b.mul(t, t)), du));
    return b.mul(g, b.add(left, right));
  },
  samples: [{ inputs: [{ shape: [2, 3], range: [-3, 3] }] }],
});

export const castTarget = (attrs: Attrs): DType => {
  const d = attrs.dtype;
  if (d !== 'f32' && d !== 'i32' && d !== 'bool') throw new ShapeError(`cast: attribute dtype must be f32, i32 or bool, got ${String(d)}`, 'DNN0022');
  return d;
};

const castF = (x: number, to: DType) => (to === 'f32' ? x : to === 'i32' ? x | 0 : x !== 0 ? 1 : 0);

export const cast = unary({
  name: 'cast',
  doc: 'convert to attrs.dtype (f32 | i32 | bool): f32 -> i32 truncates toward zero, -> bool is x != 0',
  attrNames: ['dtype'],
  dtypes: ['f32', 'i32', 'bool'],
  outDtype: (_d, attrs) => castTarget(attrs),
  f: (x, attrs) => castF(x, castTarget(attrs)),
  // no bitwise ops in gpu.js: truncate toward zero with floor/ceil
  // only f32 -> f32 carries a gradient (the unary wrapper already skips non-f32 inputs)
  grad: (_b, _x, y, g) => (y.type.dtype === 'f32' ? g : undefined),
  samples: [
    { inputs: [{ shape: [2, 3] }], attrs: { dtype: 'f32' } },
    { inputs: [{ shape: [2, 3], range: [-3, 3] }], attrs: { dtype: 'i32' } },
    { inputs: [{ shape: [5], dtype: 'i32', range: [0, 4] }], attrs: { dtype: 'f32' } },
    { inputs: [{ shape: [5], dtype: 'i32', range: [0, 3] }], attrs: { dtype: 'bool' } },
  ],
});

export const logical_not = unary({
  name: 'logical_not',
  doc: 'y = !x for bool tensors',
  dtypes: ['bool'],
  f: (x) => (x ? 0 : 1),
  samples: [{ inputs: [{ shape: [2, 3], dtype: 'bool' }] }],
});
